import type { NextFunction, Request, Response } from 'express';
import { grants, type Scope } from '../../auth/scopes.js';
import { insufficientScope, principalOf } from './authenticate.js';

/** Express matches routes case-insensitively and with a trailing slash, so these do too. */
const DISCOVERY = /^\/(ServiceProviderConfig|Schemas|ResourceTypes)(\/|$)/i;
const SEARCH = /\/\.search\/?$/i;

/**
 * The scope a SCIM request needs, decided before the body is parsed. Discovery needs only a valid
 * token (clients read it before anything else); reads, including POST .../.search, need
 * scim:read; anything else, Bulk included (all its operations are writes), needs scim:write.
 */
export function requiredScope(method: string, path: string): Scope | undefined {
  if (DISCOVERY.test(path)) return undefined;
  if (method === 'GET' || method === 'HEAD') return 'scim:read';
  if (method === 'POST' && SEARCH.test(path)) return 'scim:read';
  return 'scim:write';
}

export function authoriseScimRequest(req: Request, res: Response, next: NextFunction): void {
  const needed = requiredScope(req.method, req.path);
  next(needed === undefined || grants(principalOf(res).scopes, needed) ? undefined : insufficientScope(needed));
}
