import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { ScimError } from '../../errors/scim-error.js';
import { MAX_JSON_DEPTH } from '../../scim/limits.js';

export const JSON_TYPES = ['application/json', 'application/scim+json', 'application/*+json'];

/**
 * Content codings a body may arrive in (RFC 9110 §8.4.1): body-parser inflates them, and the body
 * limits apply to the inflated bytes, so a small compressed body cannot expand past them. Named
 * here rather than left to body-parser, whose list depends on the Node version (zstd).
 */
const CONTENT_CODINGS = ['identity', 'gzip', 'deflate', 'br'];

function unsupportedCoding(): ScimError {
  // RFC 9110 §15.5.16: a 415 for a content coding lists the acceptable ones in Accept-Encoding.
  return new ScimError('unsupportedMediaType', `Request bodies may be sent with Content-Encoding ${CONTENT_CODINGS.join(', ')} only`, { 'Accept-Encoding': CONTENT_CODINGS.slice(1).join(', ') });
}

/** Bodies must be JSON (RFC 7644 §3.1 names application/scim+json; Okta sends application/json), in a coding we decode. */
export function requireJsonContentType(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is(JSON_TYPES)) {
    next(new ScimError('unsupportedMediaType', 'Request bodies must be application/scim+json or application/json'));
    return;
  }
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  next(hasBody && !CONTENT_CODINGS.includes(coding) ? unsupportedCoding() : undefined);
}

/** Whether a parsed JSON value nests objects and arrays deeper than `max` (a top-level object is depth 1); iterative, so any depth is safe to check. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Refuses bodies nested deeper than MAX_JSON_DEPTH before any handler walks them: JSON.parse
 * copes with any depth, but recursive code (validation, bulkId resolution) would overflow the stack.
 */
function depthLimit(req: Request, _res: Response, next: NextFunction): void {
  next(nestedDeeperThan(req.body, MAX_JSON_DEPTH) ? new ScimError('invalidSyntax', `The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`) : undefined);
}

/** A JSON body parser refusing bodies above `maxBytes` (bulk has a larger limit than the rest) and nested deeper than MAX_JSON_DEPTH. */
export function jsonBodyParser(maxBytes: number): RequestHandler[] {
  return [express.json({ type: JSON_TYPES, limit: maxBytes, strict: false, inflate: true }), depthLimit];
}

interface BodyParserError {
  type?: unknown;
  limit?: unknown;
  status?: unknown;
}

/** Turns body-parser's failures into catalogue errors; anything else passes on unchanged. */
export function bodyErrorToScim(error: unknown, _req: Request, _res: Response, next: NextFunction): void {
  if (error instanceof ScimError || typeof error !== 'object' || error === null) {
    next(error);
    return;
  }
  const { type, limit, status } = error as BodyParserError;
  if (type === 'entity.parse.failed') next(new ScimError('invalidSyntax', 'The request body is not valid JSON'));
  else if (type === 'entity.too.large') next(new ScimError('payloadTooLarge', `The request body exceeds the limit of ${String(limit)} bytes`));
  else if (type === 'encoding.unsupported') next(unsupportedCoding());
  else if (type === 'charset.unsupported') next(new ScimError('unsupportedMediaType', 'Unsupported body charset'));
  // What is left with a client-error status: a body whose coding does not decode (zlib's error), or whose length differs from Content-Length.
  else if (typeof status === 'number' && status >= 400 && status < 500) next(new ScimError('invalidSyntax', 'The request body could not be read: it does not match its Content-Length or Content-Encoding'));
  else next(error);
}
