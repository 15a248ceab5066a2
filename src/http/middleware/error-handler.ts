import type { NextFunction, Request, Response } from 'express';
import { ScimError } from '../../errors/scim-error.js';
import { isOutage } from '../../store/outage.js';
import { sendScim } from '../scim-response.js';

/** The engine being down is the one expected 5xx; everything else unexpected is a bug. */
export function toScimError(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  if (isOutage(error)) {
    return new ScimError('unavailable', 'The identity store is temporarily unavailable', { 'Retry-After': '5' });
  }
  return new ScimError('internal', 'An internal error occurred');
}

export function errorHandler(log: (entry: Record<string, unknown>) => void) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const scimError = toScimError(error);
    // For the request line and the error metric: which catalogue entry answered.
    res.locals['errorCode'] = scimError.code;
    const where = { requestId: res.locals['requestId'], method: req.method, path: req.originalUrl.split('?', 1)[0] };
    if (scimError.status >= 500 && !(error instanceof ScimError)) {
      // Details go to the log only: a 5xx body never carries internals.
      log({ level: 'error', msg: 'request failed', ...where, error: error instanceof Error ? error.stack : String(error) });
    } else if (scimError.status >= 500) {
      // A refusal of ours (deadline, expensive-query slots, an operation the engine failed): its code says why; no stack.
      log({ level: 'warn', msg: 'request refused', ...where, code: scimError.code });
    }
    if (res.headersSent) return;
    res.set(scimError.headers);
    sendScim(res, scimError.status, scimError.toBody());
  };
}
