import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import type supertest from 'supertest';
import type { ResourceRecord } from '../../src/store/contract.js';
import { testDatabaseUri } from '../support/engine.js';
import { type TestApp, USER_SCHEMA } from '../support/app.js';

export const SCIM_JSON = 'application/scim+json';
export type Body = Record<string, any>;

export const tenantOf = (t: TestApp): string => t.config.defaultTenant;

/** POST /Users as application/scim+json; asserts 201 and returns the response. */
export async function createUser(t: TestApp, body: Record<string, unknown>): Promise<supertest.Response> {
  const response = await t.scim.post('/Users').set('Content-Type', SCIM_JSON).send(body);
  assert.equal(response.status, 201, `POST /Users: ${response.status} ${JSON.stringify(response.body)}`);
  return response;
}

/** How many users the default tenant holds, read from storage rather than through the API. */
export async function countUsers(t: TestApp): Promise<number> {
  const page = await t.storage.users.list(tenantOf(t), { descending: false, startIndex: 1, count: 0 });
  return page.total;
}

export async function storedUser(t: TestApp, id: string): Promise<ResourceRecord | null> {
  return t.storage.users.get(tenantOf(t), id);
}

/** userNames of every stored user of the default tenant. */
export async function storedUserNames(t: TestApp): Promise<string[]> {
  const page = await t.storage.users.list(tenantOf(t), { descending: false, startIndex: 1, count: 1000 });
  return page.items.map((record) => String(record.attributes['userName']));
}

export interface RawUserDocument {
  _id: string;
  tenant: string;
  nameLc: string;
  data: Record<string, unknown>;
  ext: Record<string, unknown>;
  groupIds: string[];
  passwordHash?: string;
  [key: string]: unknown;
}

/** Reads documents straight from the engine: proves what storage holds beyond the contract (e.g. hashes). */
export async function withRawUsers<T>(t: TestApp, fn: (users: import('mongodb').Collection<RawUserDocument>) => Promise<T>): Promise<T> {
  assert.ok(t.dbName, 'startTestApp must expose dbName for raw access');
  const client = await MongoClient.connect(testDatabaseUri(t.dbName));
  try {
    return await fn(client.db(t.dbName).collection<RawUserDocument>('users'));
  } finally {
    await client.close();
  }
}

export async function rawUser(t: TestApp, id: string): Promise<RawUserDocument | null> {
  return withRawUsers(t, (users) => users.findOne({ _id: id }));
}

/** True when `key` appears (case-insensitively) anywhere in a JSON value, at any depth. */
export function hasKeyDeep(value: unknown, key: string): boolean {
  if (Array.isArray(value)) return value.some((item) => hasKeyDeep(item, key));
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([name, item]) => name.toLowerCase() === key.toLowerCase() || hasKeyDeep(item, key));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function coreUser(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [USER_SCHEMA], userName, ...extra };
}

export function assertScimJson(response: supertest.Response): void {
  assert.match(String(response.headers['content-type']), /^application\/scim\+json/);
}

/**
 * A representation with meta.location reduced to its path. supertest serves each request from a new
 * ephemeral port, and Location is computed from the request's Host, so only the path is comparable.
 */
export function withLocationPath(body: Body): Body {
  const meta = body['meta'] as Body | undefined;
  if (!meta || typeof meta['location'] !== 'string') return body;
  return { ...body, meta: { ...meta, location: new URL(meta['location']).pathname } };
}
