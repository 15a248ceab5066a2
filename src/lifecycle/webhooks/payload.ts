import { SignJWT, type JWTPayload } from 'jose';
import type { EventType, LifecycleEvent } from '../types.js';
import { signingKey } from './signature.js';
import type { WebhookConfig } from './webhook-config.js';

export interface Payload {
  body: string;
  contentType: string;
}

export interface PayloadContext {
  /** The SET `iss`: PUBLIC_BASE_URL, else DEFAULT_ISSUER. */
  issuer: string;
  now: Date;
}

export const DEFAULT_ISSUER = 'urn:scim-identity-server';

type SetEvents = Record<string, Record<string, unknown>>;

const PROV = 'urn:ietf:params:scim:event:prov';
const OWN = 'urn:scim-identity-server:event';

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
/** The ETag the resource has after the event (RFC 9967 §2.2 "version"): the sequence is its version. */
const versionOf = (event: LifecycleEvent) => `W/"${event.sequence}"`;

/** user.provisioned data adds the effective permissions, which are no SCIM attribute. */
const createdAttributes = (event: LifecycleEvent) => Object.keys(event.data).filter((key) => key !== 'permissions');

const created = (event: LifecycleEvent): SetEvents => ({ [`${PROV}:create:notice`]: { version: versionOf(event), attributes: createdAttributes(event) } });
const deleted = (): SetEvents => ({ [`${PROV}:delete`]: {} });
/** RFC 9967 has no event for derived access (grants from policy, separation of duties): our own URN, with our data. */
const own = (event: LifecycleEvent): SetEvents => ({ [`${OWN}:${event.type}`]: event.data });

/**
 * RFC 9967 §2.4 events in "notice" mode: our event data is not the resource's full representation,
 * which "full" mode's `data` must be, so receivers fetch the resource at `sub_id.uri` for details.
 */
const SET_EVENTS: Record<EventType, (event: LifecycleEvent) => SetEvents> = {
  'user.provisioned': created,
  'user.deactivated': (event) => ({ [`${PROV}:deactivate`]: { version: versionOf(event) } }),
  'user.reactivated': (event) => ({ [`${PROV}:activate`]: { version: versionOf(event) } }),
  'user.roles_changed': own,
  'user.permissions_revoked': own,
  'user.deleted': deleted,
  'user.sod_conflict': own,
  'user.sod_blocked': own,
  'group.created': created,
  'group.members_changed': (event) => ({ [`${PROV}:patch:notice`]: { version: versionOf(event), attributes: ['members'] } }),
  'group.deleted': deleted,
  'access.revoked_by_review': own,
  'campaign.reminder': own,
};

/** The event as docs/lifecycle.md ("Events") names its fields, flat. */
function jsonPayload(event: LifecycleEvent): Payload {
  const body = {
    id: event.id,
    type: event.type,
    occurredAt: event.occurredAt.toISOString(),
    tenant: event.tenant,
    resourceType: event.resourceType,
    resourceId: event.resourceId,
    sequence: event.sequence,
    actor: event.actor,
    requestId: event.requestId,
    data: event.data,
  };
  return { body: JSON.stringify(body), contentType: 'application/json' };
}

/**
 * The claims of the Security Event Token (RFC 8417) for an event, profiled by RFC 9967: what a
 * "set" webhook signs and what an event stream (RFC 8936 poll) hands out.
 */
export function setClaims(event: LifecycleEvent, audience: string, context: PayloadContext): JWTPayload {
  return {
    iss: context.issuer,
    iat: seconds(context.now),
    jti: event.id,
    aud: audience,
    // RFC 9967 §2.1: the subject goes in sub_id (RFC 9493, format "scim"), never in sub.
    sub_id: { format: 'scim', uri: `/${event.resourceType}s/${event.resourceId}` },
    txn: event.requestId,
    toe: seconds(event.occurredAt),
    events: SET_EVENTS[event.type](event),
  };
}

/** Signed HS256 with the webhook secret's key. */
async function setPayload(event: LifecycleEvent, webhook: WebhookConfig, context: PayloadContext): Promise<Payload> {
  const body = await new SignJWT(setClaims(event, webhook.url, context)).setProtectedHeader({ alg: 'HS256', typ: 'secevent+jwt' }).sign(signingKey(webhook.secret));
  return { body, contentType: 'application/secevent+jwt' };
}

/**
 * An unsecured SET (RFC 7519 §6, `alg: none`, explicitly typed as RFC 8417 §2.3 recommends), for
 * event streams: the receiver fetches it from us over an authenticated TLS connection, which RFC
 * 8936 §4.1 and RFC 9967 §5 accept in place of a signature (docs/decisions.md). jose's
 * UnsecuredJWT cannot carry `typ`, hence the compact serialisation here.
 */
export function unsecuredSet(claims: JWTPayload): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'secevent+jwt' })}.${part(claims)}.`;
}

export function payloadFor(event: LifecycleEvent, webhook: WebhookConfig, context: PayloadContext): Promise<Payload> {
  return webhook.format === 'set' ? setPayload(event, webhook, context) : Promise.resolve(jsonPayload(event));
}
