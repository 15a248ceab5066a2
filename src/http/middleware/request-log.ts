import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../../auth/authenticator.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { Log } from '../logging.js';
import { routeTemplateOf } from './route-template.js';

/**
 * One line per request when its response is finished, or when its connection closed first (the
 * client went away, or shutdown cut a stalled reader): then the line says `aborted` and carries no
 * status, since the client never received a whole answer. The path is logged without its query
 * string (filters carry user names and e-mail addresses); headers and bodies are never logged, so
 * neither are bearer tokens nor passwords. A client error (4xx) is an info line naming its error
 * code, never with a stack: it is the client's mistake, not the server's. The caller's W3C trace id
 * (traceparent), when valid, is on the line, as is the route pattern the request matched.
 *
 * With `metrics`, the same outcome is counted (requests, latency, errors by code).
 */
export function requestLog(log: Log, metrics?: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const fields = (elapsed: number) => {
      const principal = res.locals['principal'] as Principal | undefined;
      const traceId = res.locals['traceId'] as string | undefined;
      return {
        requestId: res.locals['requestId'],
        ...(traceId ? { traceId } : {}),
        method: req.method,
        path: req.originalUrl.split('?', 1)[0],
        route: routeTemplateOf(res),
        durationMs: Math.round(elapsed * 1e6) / 1e3,
        ...(principal ? { tenant: principal.tenant, credential: principal.credential } : {}),
      };
    };
    const aborted = () => {
      const elapsed = seconds();
      log({ level: 'warn', msg: 'request aborted', aborted: true, ...fields(elapsed) });
      metrics?.httpRequest(req.method, routeTemplateOf(res), 'aborted', elapsed);
    };
    const finished = () => {
      const elapsed = seconds();
      const code = res.locals['errorCode'] as string | undefined;
      log({ level: res.statusCode >= 500 ? 'error' : 'info', msg: 'request', status: res.statusCode, ...(code ? { error: code } : {}), ...fields(elapsed) });
      metrics?.httpRequest(req.method, routeTemplateOf(res), res.statusCode, elapsed);
      if (code && res.statusCode >= 400) metrics?.httpError(res.statusCode, code);
    };
    // Node also emits 'finish' when a connection is destroyed with the answer still unsent: that is an abort.
    res.on('finish', () => (req.socket.destroyed ? aborted() : finished()));
    res.on('close', () => {
      if (!res.writableFinished) aborted();
    });
    next();
  };
}
