import type { NextFunction, Request, Response } from 'express';
import { ScimError } from '../../errors/scim-error.js';

/**
 * A path whose percent-encoding does not decode (e.g. `/Users/%E0%A4%A`) is the client's error:
 * answered here, before a route's parameter decoding would throw it as an internal error.
 */
export function rejectMalformedPath(req: Request, _res: Response, next: NextFunction): void {
  try {
    decodeURIComponent(req.path);
  } catch {
    next(new ScimError('malformedUri', 'The request path is not validly percent-encoded (RFC 3986 §2.1)'));
    return;
  }
  next();
}
