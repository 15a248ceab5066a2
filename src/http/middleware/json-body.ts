import express, { type NextFunction, type Request, type Response } from 'express';
import { ScimError } from '../../errors/scim-error.js';
import { LIMITS } from '../../scim/limits.js';

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

export const parseJsonBody = express.json({ type: JSON_TYPES, limit: LIMITS.maxBodyBytes, strict: false });

interface BodyParserError {
  type?: unknown;
}

/** Turns body-parser's failures into catalogue errors; anything else passes on unchanged. */
export function bodyErrorToScim(error: unknown, _req: Request, _res: Response, next: NextFunction): void {
  const type = typeof error === 'object' && error !== null ? (error as BodyParserError).type : undefined;
  if (type === 'entity.parse.failed') next(new ScimError('invalidSyntax', 'The request body is not valid JSON'));
  else if (type === 'entity.too.large') next(new ScimError('payloadTooLarge', `The request body exceeds ${LIMITS.maxBodyBytes} bytes`));
  else if (type === 'charset.unsupported' || type === 'encoding.unsupported') next(new ScimError('unsupportedMediaType', 'Unsupported body encoding'));
  else next(error);
}
