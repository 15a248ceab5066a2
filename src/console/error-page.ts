import type { NextFunction, Request, Response } from 'express';
import { ScimError } from '../errors/scim-error.js';
import type { Log } from '../http/logging.js';
import { toScimError } from '../http/middleware/error-handler.js';
import type { ConsoleSessionRecord } from '../store/contract.js';
import { html } from './html.js';
import { CONSOLE_BASE, layout } from './layout.js';
import { ConsolePageError, type ConsoleSessionView } from './page.js';

/** body-parser's refusals of a form (too large, too many fields, bad encoding) are the sender's fault: 4xx, not a 500. */
function formRefusal(error: unknown): ConsolePageError | undefined {
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500 || typeof type !== 'string') return undefined;
  return new ConsolePageError(status, 'Form refused', 'The form could not be read (too large, too many fields, or badly encoded). Nothing was changed.');
}

/**
 * Errors as HTML pages with the status the API would give: a refusal of ours says why, a service's
 * ScimError its message, the engine being down is a 503 with Retry-After, anything else a logged
 * 500 that shows only the request id.
 */
export function consoleErrorPage(log: Log, viewOf: (session: ConsoleSessionRecord) => ConsoleSessionView) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const session = res.locals['consoleSession'] as ConsoleSessionRecord | undefined;
    const known = error instanceof ConsolePageError ? error : formRefusal(error);
    const scim = known ? undefined : toScimError(error);
    const requestId = String(res.locals['requestId']);
    if (scim) {
      res.locals['errorCode'] = scim.code;
      res.set(scim.headers);
      if (!(error instanceof ScimError) && scim.status >= 500) log({ level: 'error', msg: 'console request failed', requestId, path: req.originalUrl.split('?', 1)[0], error: error instanceof Error ? error.stack : String(error) });
    }
    const status = known?.status ?? scim?.status ?? 500;
    const title = known?.title ?? (status === 503 ? 'Temporarily unavailable' : status >= 500 ? 'Something went wrong' : 'Request refused');
    const message = known?.message ?? (status >= 500 && scim?.code === 'internal' ? `The console could not answer (request ${requestId}).` : (scim?.message ?? ''));
    res
      .status(status)
      .type('html')
      .send(layout({ title, session: session ? viewOf(session) : undefined, body: html`<p class="alert" role="alert">${message}</p><p><a href="${CONSOLE_BASE}/">Back to the console</a></p>` }));
  };
}
