import type { Express } from 'express';
import supertest from 'supertest';
import type { Scope } from '../../src/auth/scopes.js';
import { createToken, type TokenActor } from '../../src/auth/token-admin.js';
import type { CredentialStore } from '../../src/store/contract.js';

export type Json = Record<string, unknown>;

/** A SCIM client bound to one bearer token. */
export interface TokenClient {
  get(path: string): supertest.Test;
  post(path: string, body?: unknown): supertest.Test;
  put(path: string, body: unknown): supertest.Test;
  patch(path: string, body: unknown): supertest.Test;
  delete(path: string): supertest.Test;
}

export function clientFor(app: Express, token: string, base = '/scim/v2'): TokenClient {
  const agent = supertest(app);
  const auth = (test: supertest.Test) => test.set('Authorization', `Bearer ${token}`);
  return {
    get: (path) => auth(agent.get(`${base}${path}`)),
    post: (path, body) => (body === undefined ? auth(agent.post(`${base}${path}`)) : auth(agent.post(`${base}${path}`)).send(body as object)),
    put: (path, body) => auth(agent.put(`${base}${path}`)).send(body as object),
    patch: (path, body) => auth(agent.patch(`${base}${path}`)).send(body as object),
    delete: (path) => auth(agent.delete(`${base}${path}`)),
  };
}

/** Who `npm run tokens` says changed a token, as test set-up does. */
export const CLI_ACTOR: TokenActor = { actor: 'cli:tokens', requestId: 'test-set-up' };

/** Stores a credential the way `npm run tokens -- create` does and returns its token. */
export async function issueToken(store: CredentialStore, tenant: string, name: string, scopes: Scope[], options: { lifetimeMs?: number; now?: Date; reviewer?: string } = {}): Promise<string> {
  return (await createToken(store, { grantor: 'root', tenant, name, scopes, lifetimeMs: options.lifetimeMs, reviewer: options.reviewer }, CLI_ACTOR, options.now)).token;
}

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

export function patchOp(...operations: Json[]): Json {
  return { schemas: [PATCH_OP], Operations: operations };
}

export function bulk(...operations: Json[]): Json {
  return { schemas: [BULK_REQUEST], Operations: operations };
}

export function search(body: Json = {}): Json {
  return { schemas: [SEARCH_REQUEST], ...body };
}
