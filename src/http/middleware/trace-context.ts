import type { NextFunction, Request, Response } from 'express';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/ §3.2): `traceparent` is
 * version-traceid-parentid-flags in lower-case hex. Version ff is invalid; version 00 has nothing
 * after the flags, a later version may carry more fields after a "-". All-zero ids are invalid.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The trace id of a valid `traceparent`; undefined for anything else (which is ignored, as the spec says). */
export function traceIdOf(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = TRACEPARENT.exec(header);
  if (!match) return undefined;
  const [, version, traceId, parentId, , rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return traceId;
}

/**
 * Takes the caller's trace id for the request's log lines, so they can be found from the caller's
 * trace. It is not echoed (Trace Context defines no response header) and not stored in audit
 * entries or events, which carry the request id (logged beside it).
 */
export function acceptTraceContext(req: Request, res: Response, next: NextFunction): void {
  const traceId = traceIdOf(req.headers['traceparent']);
  if (traceId) res.locals['traceId'] = traceId;
  next();
}
