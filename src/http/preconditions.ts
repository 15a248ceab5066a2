import type { Request } from 'express';
import { ScimError } from '../errors/scim-error.js';

/**
 * If-Match → the version the client expects, or undefined for "any" (absent or `*`).
 * Our ETags are W/"<version>"; the strong spelling "<version>" is accepted too.
 */
export function expectedVersion(req: Request): number | undefined {
  return versionFromEtag(req.headers['if-match']);
}

/** Also used for a bulk operation's `version`, which carries an ETag the same way. */
export function versionFromEtag(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header);
  if (!match) throw new ScimError('preconditionFailed', 'If-Match does not name a version of this resource');
  return Number(match[1]);
}

/** If-None-Match on GET: true when the client already holds this representation. */
export function notModified(req: Request, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  const weak = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || weak(tag) === weak(etag));
}
