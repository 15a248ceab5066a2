import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Config } from '../../config.js';
import { ScimError } from '../../errors/scim-error.js';
import type { EventStreamService, PollRequest } from '../../services/event-streams.js';
import { authenticate, principalOf, requireScope } from '../middleware/authenticate.js';
import { bodyErrorToScim, jsonBodyParser, requireJsonContentType } from '../middleware/json-body.js';
import { rateLimit } from '../middleware/rate-limit.js';

const MAX_JTI_LENGTH = 256;
const MAX_ERR_LENGTH = 64;
const MAX_DESCRIPTION_LENGTH = 1024;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const invalid = (detail: string) => new ScimError('invalidValue', detail);
const isText = (value: unknown, max: number): value is string => typeof value === 'string' && value.length > 0 && value.length <= max;

function setErrsOf(value: unknown): PollRequest['setErrs'] {
  if (value === undefined) return [];
  if (!isObject(value)) throw invalid('"setErrs" must be an object whose members are the jti of SETs in error (RFC 8936 §2.2)');
  return Object.entries(value).map(([eventId, error]) => {
    if (!isText(eventId, MAX_JTI_LENGTH)) throw invalid(`"setErrs" keys must be jti values of 1-${MAX_JTI_LENGTH} characters`);
    if (!isObject(error) || !isText(error['err'], MAX_ERR_LENGTH)) throw invalid(`"setErrs"."${eventId}" must be an object with "err", an RFC 8935 error code`);
    const description = error['description'];
    if (description !== undefined && !(typeof description === 'string' && description.length <= MAX_DESCRIPTION_LENGTH)) {
      throw invalid(`"setErrs"."${eventId}".description must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`);
    }
    return { eventId, err: error['err'], ...(description !== undefined ? { description } : {}) };
  });
}

/** An RFC 8936 §2.2 poll request; members it does not define are ignored. An empty body is `{}`. */
export function parsePollRequest(body: unknown): PollRequest {
  const request = body ?? {};
  if (!isObject(request)) throw invalid('The request body must be a JSON object (RFC 8936 §2.2)');
  const { maxEvents, returnImmediately, ack = [] } = request;
  if (maxEvents !== undefined && !(Number.isSafeInteger(maxEvents) && (maxEvents as number) >= 0)) throw invalid('"maxEvents" must be a whole number, 0 or more');
  if (returnImmediately !== undefined && typeof returnImmediately !== 'boolean') throw invalid('"returnImmediately" must be true or false');
  if (!Array.isArray(ack) || !ack.every((jti) => isText(jti, MAX_JTI_LENGTH))) throw invalid(`"ack" must be an array of jti values of 1-${MAX_JTI_LENGTH} characters`);
  const setErrs = setErrsOf(request['setErrs']);
  const both = setErrs.find((error) => ack.includes(error.eventId));
  if (both) throw invalid(`"${both.eventId}" is both acknowledged and reported in "setErrs"`);
  return { maxEvents: maxEvents as number | undefined, returnImmediately: returnImmediately === true, ack: ack as string[], setErrs };
}

const ERR_CODES: Record<number, string> = { 401: 'authentication_failed', 403: 'access_denied' };

/**
 * The poll's refusals in the error form of SET delivery (RFC 8935 §2.3, which RFC 8936 shares):
 * `{"err", "description"}` with a code of the RFC 8935 §2.4 registry (`invalid_request` unless
 * authentication or authorisation failed), with the status and headers (WWW-Authenticate) every
 * endpoint uses. General conditions (429, 5xx) go on to the common SCIM error handler.
 */
function pollErrors(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (!(error instanceof ScimError) || error.status < 400 || error.status >= 500 || error.status === 429 || res.headersSent) {
    next(error);
    return;
  }
  res.locals['errorCode'] = error.code;
  res.status(error.status).set(error.headers).json({ err: ERR_CODES[error.status] ?? 'invalid_request', description: error.message });
}

export interface StreamPollOptions {
  config: Config;
  authenticator: Authenticator;
  streams: EventStreamService;
  /** Aborted when the process stops: held polls answer at once instead of holding the shutdown. */
  shutdown: AbortSignal;
}

/**
 * POST /streams/{name}/poll: RFC 8936 poll-based SET delivery. The caller needs `scim:read` and a
 * credential bound to this stream of its tenant (a credential bound to another stream, or to
 * none, gets 403); the stream of another tenant is never reachable, since the tenant is the
 * credential's.
 */
export function streamPollRoutes({ config, authenticator, streams, shutdown }: StreamPollOptions): Router {
  const router = Router();
  router.use(authenticate(authenticator), rateLimit(config.rateLimit), requireScope('scim:read'));
  router.use(requireJsonContentType, jsonBodyParser(config.limits.maxBodyBytes), bodyErrorToScim);
  router.post('/:name/poll', async (req, res) => {
    const name = String(req.params['name']);
    const { tenant, stream } = principalOf(res);
    if (stream !== name) throw new ScimError('forbidden', stream ? `This credential polls the event stream "${stream}", not "${name}"` : 'This credential is not bound to an event stream');
    const request = parsePollRequest(req.body);
    const hungUp = new AbortController();
    res.on('close', () => hungUp.abort());
    const response = await streams.poll(tenant, name, request, AbortSignal.any([shutdown, hungUp.signal]));
    res.set('Cache-Control', 'no-store').json(response);
  });
  router.use(pollErrors);
  return router;
}
