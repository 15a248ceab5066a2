import type { QueuedEvent, StreamRecord } from '../store/contract.js';
import { EVENT_TYPES, type EventType } from './types.js';
import { setClaims, unsecuredSet } from './webhooks/payload.js';

/** Stream names: what URLs, `_id`s (`tenant|name`) and credential bindings carry as they are. */
export const STREAM_NAME = /^[a-z0-9_-]{1,64}$/;
export const STREAM_NAME_RULE = 'must be 1-64 lower-case letters, digits, "-" or "_"';

/** The event types a stream takes, as an operator lists them; the names that are not types. */
export function parseEventTypes(names: readonly string[]): { types: EventType[]; unknown: string[] } {
  const known = new Set<string>(EVENT_TYPES);
  return { types: EVENT_TYPES.filter((type) => names.includes(type)), unknown: names.filter((name) => !known.has(name)) };
}

/** The SET audience of a stream's events: the stream itself. */
export const streamAudience = (stream: Pick<StreamRecord, 'tenant' | 'name'>) => `urn:scim-identity-server:stream:${stream.tenant}:${stream.name}`;

/**
 * The RFC 9967 Security Event Token a stream hands out for a queued event: the same claims as a
 * "set" webhook (lifecycle/webhooks/payload.ts), `iat` the time it entered the stream so every
 * redelivery is the same token, unsecured (docs/decisions.md: the receiver fetches it over an
 * authenticated TLS connection).
 */
export function streamSet(queued: QueuedEvent, stream: StreamRecord, issuer: string): string {
  return unsecuredSet(setClaims(queued.event, streamAudience(stream), { issuer, now: queued.enqueuedAt }));
}
