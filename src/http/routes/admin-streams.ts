import { Router } from 'express';
import { ScimError } from '../../errors/scim-error.js';
import { parseEventTypes } from '../../lifecycle/event-streams.js';
import type { EventType } from '../../lifecycle/types.js';
import type { EventStreamService } from '../../services/event-streams.js';
import { principalOf } from '../middleware/authenticate.js';

type Body = Record<string, unknown>;

function bodyOf(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ScimError('invalidSyntax', 'The body must be a JSON object');
  return body as Body;
}

/** `events`: a non-empty array of event types; absent or null: every type. */
function eventsOf(body: Body): EventType[] | undefined {
  const value = body['events'];
  if (value === undefined || value === null) return undefined;
  const names = Array.isArray(value) && value.every((item): item is string => typeof item === 'string') ? value : undefined;
  const parsed = names && names.length > 0 ? parseEventTypes(names) : undefined;
  if (!parsed || parsed.unknown.length > 0) {
    throw new ScimError('invalidValue', `"events" must be a non-empty array of event types${parsed ? ` ("${parsed.unknown[0]}" is not one)` : ''}, or null for every type`);
  }
  return parsed.types;
}

/**
 * Event streams of the caller's own tenant (needs tokens:manage, like the credentials that poll
 * them): GET / lists them with their backlog; POST / {name, events?} → 201; GET /:name adds the
 * latest errors its receiver reported; PATCH /:name {events} changes the types it takes from now
 * on; DELETE /:name removes it and everything queued in it.
 */
export function streamAdminRoutes(streams: EventStreamService): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/', async (_req, res) => {
    res.json({ streams: await streams.list(principalOf(res).tenant) });
  });

  router.post('/', async (req, res) => {
    const body = bodyOf(req.body ?? {});
    const name = body['name'];
    if (typeof name !== 'string' || name === '') throw new ScimError('invalidValue', '"name" must be a non-empty string');
    res.status(201).json(await streams.create(principalOf(res).tenant, name, eventsOf(body)));
  });

  router.get('/:name', async (req, res) => {
    res.json(await streams.get(principalOf(res).tenant, String(req.params['name'])));
  });

  router.patch('/:name', async (req, res) => {
    const body = bodyOf(req.body);
    if (!('events' in body)) throw new ScimError('invalidValue', '"events" is required: an array of event types, or null for every type');
    res.json(await streams.setEvents(principalOf(res).tenant, String(req.params['name']), eventsOf(body)));
  });

  router.delete('/:name', async (req, res) => {
    await streams.remove(principalOf(res).tenant, String(req.params['name']));
    res.status(204).end();
  });

  return router;
}
