import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../../auth/authenticator.js';
import type { Log } from '../logging.js';

/**
 * One line per request when its response is finished, or when its connection closed first (the
 * client went away, or shutdown cut a stalled reader): then the line says `aborted` and carries no
 * status, since the client never received a whole answer. The path is logged without its query
 * string (filters carry user names and e-mail addresses); headers and bodies are never logged, so
 * neither are bearer tokens nor passwords.
 */
export function requestLog(log: Log) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const fields = () => {
      const principal = res.locals['principal'] as Principal | undefined;
      return {
        requestId: res.locals['requestId'],
        method: req.method,
        path: req.originalUrl.split('?', 1)[0],
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ...(principal ? { tenant: principal.tenant, credential: principal.credential } : {}),
      };
    };
    const aborted = () => log({ level: 'warn', msg: 'request aborted', aborted: true, ...fields() });
    // Node also emits 'finish' when a connection is destroyed with the answer still unsent: that is an abort.
    res.on('finish', () => (req.socket.destroyed ? aborted() : log({ level: res.statusCode >= 500 ? 'error' : 'info', msg: 'request', status: res.statusCode, ...fields() })));
    res.on('close', () => {
      if (!res.writableFinished) aborted();
    });
    next();
  };
}
