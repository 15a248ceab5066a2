import { decodeProtectedHeader, UnsecuredJWT, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import supertest from 'supertest';
import type { Scope } from '../../src/auth/scopes.js';
import { createToken } from '../../src/auth/token-admin.js';
import { CLI_ACTOR } from '../security/helpers.js';
import type { TestApp } from './app.js';

/** A static token with the admin scopes (tokens:manage among them): startTestApp(tag, { ADMIN_TOKEN }). */
export const STREAM_ADMIN_TOKEN = 'stream-admin-token-0123456789abcdef';

export const PROV = 'urn:ietf:params:scim:event:prov';

/** The admin API as ADMIN_TOKEN (or another token) calls it. */
export function streamAdmin(t: TestApp, token = STREAM_ADMIN_TOKEN) {
  const agent = supertest(t.app);
  const auth = (test: supertest.Test) => test.set('Authorization', `Bearer ${token}`);
  return {
    list: () => auth(agent.get('/admin/streams')),
    create: (body: unknown) => auth(agent.post('/admin/streams')).send(body as object),
    get: (name: string) => auth(agent.get(`/admin/streams/${name}`)),
    patch: (name: string, body: unknown) => auth(agent.patch(`/admin/streams/${name}`)).send(body as object),
    remove: (name: string) => auth(agent.delete(`/admin/streams/${name}`)),
  };
}

/** A stream created through the admin API (every event type unless `events`). */
export async function createStream(t: TestApp, name: string, events?: string[]): Promise<void> {
  const response = await streamAdmin(t).create({ name, ...(events ? { events } : {}) });
  if (response.status !== 201) throw new Error(`creating stream ${name}: ${response.status} ${JSON.stringify(response.body)}`);
}

/** A credential bound to a stream, stored as `npm run tokens -- create --stream` stores it. */
export async function bindToken(t: TestApp, name: string, stream: string, options: { tenant?: string; scopes?: Scope[] } = {}): Promise<string> {
  const issued = await createToken(t.storage.credentials, { grantor: 'root', tenant: options.tenant ?? 'default', name, scopes: options.scopes ?? ['scim:read'], stream }, CLI_ACTOR);
  return issued.token;
}

export interface PollAnswer {
  status: number;
  sets: Record<string, string>;
  moreAvailable: boolean | undefined;
  body: Record<string, unknown>;
  response: supertest.Response;
}

/** POST /streams/{stream}/poll with `body` (JSON) as `token`. */
export async function poll(t: TestApp, token: string | undefined, stream: string, body: unknown = { returnImmediately: true }): Promise<PollAnswer> {
  let request = supertest(t.app).post(`/streams/${stream}/poll`);
  if (token !== undefined) request = request.set('Authorization', `Bearer ${token}`);
  const response = typeof body === 'string' ? await request.set('Content-Type', 'application/json').send(body) : await request.send(body as object);
  const answer = response.body as Record<string, unknown>;
  return { status: response.status, sets: (answer['sets'] ?? {}) as Record<string, string>, moreAvailable: answer['moreAvailable'] as boolean | undefined, body: answer, response };
}

export interface DecodedSet {
  header: ProtectedHeaderParameters;
  claims: JWTPayload & { sub_id?: { format: string; uri: string }; events?: Record<string, Record<string, unknown>>; txn?: string; toe?: number };
}

/** What a receiver does with a SET of ours: an unsecured JWT (alg none), parsed with jose. */
export function decodeSet(set: string): DecodedSet {
  const header = decodeProtectedHeader(set);
  const { payload } = UnsecuredJWT.decode(set, { typ: 'secevent+jwt' });
  return { header, claims: payload };
}

/** The single event URI of each SET, by jti. */
export function eventUris(sets: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(sets).map(([jti, set]) => [jti, Object.keys(decodeSet(set).claims.events ?? {})[0] ?? '']));
}
