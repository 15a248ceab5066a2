import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { RequestContext } from '../../services/context.js';
import { principalOf } from './authenticate.js';
import { readBudgetOf } from './read-budget.js';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A request id for logs, audit entries and events: the client's X-Request-Id if sane, else a new one. */
export function assignRequestId(req: Request, res: Response, next: NextFunction): void {
  const offered = req.headers['x-request-id'];
  const id = typeof offered === 'string' && CLIENT_REQUEST_ID.test(offered) ? offered : randomUUID();
  res.locals['requestId'] = id;
  res.set('X-Request-Id', id);
  next();
}

export function contextOf(res: Response): RequestContext {
  const principal = principalOf(res);
  return { tenant: principal.tenant, actor: principal.credential, requestId: String(res.locals['requestId']), budget: readBudgetOf(res) };
}
