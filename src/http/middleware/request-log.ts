import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../../auth/authenticator.js';
import type { Log } from '../logging.js';

/**
 * One line per request when its response is finished. The path is logged without its query string
 * (filters carry user names and e-mail addresses); headers and bodies are never logged, so neither
 * are bearer tokens nor passwords.
 */
export function requestLog(log: Log) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const principal = res.locals['principal'] as Principal | undefined;
      log({
        level: res.statusCode >= 500 ? 'error' : 'info',
        msg: 'request',
        requestId: res.locals['requestId'],
        method: req.method,
        path: req.originalUrl.split('?', 1)[0],
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ...(principal ? { tenant: principal.tenant, credential: principal.credential } : {}),
      });
    });
    next();
  };
}
