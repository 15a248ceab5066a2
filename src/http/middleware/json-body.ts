import express, { type NextFunction, type Request, type Response } from 'express';
import { ScimError } from '../../errors/scim-error.js';

const JSON_TYPES = ['application/json', 'application/scim+json', 'application/*+json'];

/** Bodies must be JSON (RFC 7644 §3.1 names application/scim+json; Okta sends application/json). */
export function requireJsonContentType(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is(JSON_TYPES)) {
    next(new ScimError('unsupportedMediaType', 'Request bodies must be application/scim+json or application/json'));
    return;
  }
  next();
}

/** A JSON body parser refusing bodies above `maxBytes` (bulk has a larger limit than the rest). */
export function jsonBodyParser(maxBytes: number) {
  return express.json({ type: JSON_TYPES, limit: maxBytes, strict: false });
}

interface BodyParserError {
  type?: unknown;
  limit?: unknown;
}

/** Turns body-parser's failures into catalogue errors; anything else passes on unchanged. */
export function bodyErrorToScim(error: unknown, _req: Request, _res: Response, next: NextFunction): void {
  const { type, limit } = typeof error === 'object' && error !== null ? (error as BodyParserError) : {};
  if (type === 'entity.parse.failed') next(new ScimError('invalidSyntax', 'The request body is not valid JSON'));
  else if (type === 'entity.too.large') next(new ScimError('payloadTooLarge', `The request body exceeds the limit of ${String(limit)} bytes`));
  else if (type === 'charset.unsupported' || type === 'encoding.unsupported') next(new ScimError('unsupportedMediaType', 'Unsupported body encoding'));
  else next(error);
}
