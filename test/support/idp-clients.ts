import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import supertest from 'supertest';
import { TEST_TOKEN, type TestApp } from './app.js';

/**
 * HTTP clients that send requests exactly as each IdP does (headers, content type), as described in
 * /work/shared/notes/idp-behaviour.md, and the request-body builders they share.
 */

export type Body = Record<string, any>;

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

export interface Client {
  get(path: string): supertest.Test;
  post(path: string, body: unknown): supertest.Test;
  put(path: string, body: unknown): supertest.Test;
  patch(path: string, body: unknown): supertest.Test;
  delete(path: string): supertest.Test;
}

interface Profile {
  userAgent?: string;
  contentType: string;
  accept: string;
}

/** What supertest can drive: the app (a server per request) or one listening server (shared). */
export type Target = TestApp | TestApp['app'] | Server;

function clientFor(target: Target, profile: Profile, token = TEST_TOKEN): Client {
  const agent = supertest('storage' in target ? target.app : target);
  const base = (test: supertest.Test): supertest.Test => {
    test.set('Authorization', `Bearer ${token}`).set('Accept', profile.accept);
    if (profile.userAgent) test.set('User-Agent', profile.userAgent);
    return test;
  };
  // The body is serialised here so that the Content-Type header is exactly the profile's.
  const withBody = (test: supertest.Test, body: unknown) => base(test).set('Content-Type', profile.contentType).send(JSON.stringify(body));
  return {
    get: (path) => base(agent.get(`/scim/v2${path}`)),
    post: (path, body) => withBody(agent.post(`/scim/v2${path}`), body),
    put: (path, body) => withBody(agent.put(`/scim/v2${path}`), body),
    patch: (path, body) => withBody(agent.patch(`/scim/v2${path}`), body),
    delete: (path) => base(agent.delete(`/scim/v2${path}`)),
  };
}

/** Okta's OIN SCIM 2.0 client: JSON bodies as application/json, SCIM responses wanted. */
export const oktaClient = (target: Target, token?: string): Client =>
  clientFor(target, { userAgent: 'Okta SCIM Client 1.0.0', contentType: 'application/json', accept: 'application/scim+json' }, token);

/** Microsoft Entra ID's provisioning service: application/scim+json both ways. */
export const entraClient = (target: Target, token?: string): Client =>
  clientFor(target, { contentType: 'application/scim+json', accept: 'application/scim+json' }, token);

/** A generic pulling client (Microsoft's sample style). */
export const pullingClient = (target: Target, token?: string): Client =>
  clientFor(target, { contentType: 'application/scim+json', accept: 'application/scim+json, application/json' }, token);

export const patchOp = (...operations: Body[]): Body => ({ schemas: [PATCH_OP], Operations: operations });
export const bulk = (...operations: Body[]): Body => ({ schemas: [BULK_REQUEST], Operations: operations });

export function context(response: supertest.Response): string {
  return `${response.status} ${response.text?.slice(0, 2000) ?? ''}`;
}

export function expectStatus(response: supertest.Response, ...statuses: number[]): void {
  assert.ok(statuses.includes(response.status), `expected ${statuses.join(' or ')}, got ${context(response)}`);
}
