import assert from 'node:assert/strict';
import { randomUUID, scrypt } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type supertest from 'supertest';
import { LIST_SCHEMA, type TestApp } from '../support/app.js';
import { context, type Body } from '../support/idp-clients.js';
import { testDatabaseUri } from '../support/engine.js';

/**
 * Shared pieces of the IdP replays (see /work/shared/notes/idp-behaviour.md). Each client is a
 * function that issues requests exactly as that IdP does: its headers, its content type.
 */

export { context, entraClient, expectStatus, oktaClient, patchOp, PATCH_OP, pullingClient, type Body, type Client } from '../support/idp-clients.js';

export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const MS_GROUP_SCHEMA = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

/** A query string built the way IdPs percent-encode it (spaces as %20, quotes as %22). */
export function qs(params: Record<string, string | number>): string {
  return `?${Object.entries(params)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`)
    .join('&')}`;
}

export function assertScimJsonType(response: supertest.Response): void {
  assert.match(String(response.headers['content-type']), /^application\/scim\+json/, `content-type: ${response.headers['content-type']}`);
}

export interface ListBody {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: Body[];
}

/** Asserts a 200 SCIM ListResponse (RFC 7644 §3.4.2) with integer paging numbers. */
export function listOf(response: supertest.Response): ListBody {
  assert.equal(response.status, 200, context(response));
  assertScimJsonType(response);
  const body = response.body as ListBody;
  assert.deepEqual(body.schemas, [LIST_SCHEMA], context(response));
  for (const key of ['totalResults', 'startIndex', 'itemsPerPage'] as const) {
    assert.ok(Number.isInteger(body[key]), `${key} must be an integer: ${context(response)}`);
  }
  assert.ok(Array.isArray(body.Resources), `Resources must be an array: ${context(response)}`);
  assert.equal(body.itemsPerPage, body.Resources.length, `itemsPerPage must equal the number of Resources: ${context(response)}`);
  return body;
}

export function assertEmptyList(body: ListBody): void {
  assert.equal(body.totalResults, 0);
  assert.equal(body.startIndex, 1);
  assert.equal(body.itemsPerPage, 0);
  assert.deepEqual(body.Resources, []);
}

export const ids = (resources: readonly Body[]): string[] => resources.map((resource) => String(resource['id']));

export const sortedIds = (values: readonly string[]): string[] => [...values].sort();

/** True when `key` appears (case-insensitively) anywhere in a JSON value. */
export function hasKeyDeep(value: unknown, key: string): boolean {
  if (Array.isArray(value)) return value.some((item) => hasKeyDeep(item, key));
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([name, item]) => name.toLowerCase() === key.toLowerCase() || hasKeyDeep(item, key));
}

/** Keys anywhere in a stored value that a path-less PATCH might have stored literally. */
export function dottedOrUrnKeys(value: unknown, top = true): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => dottedOrUrnKeys(item, false));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => [
    // Extension objects live under their URN at the top level: that is the only legitimate URN key.
    ...((top && key.toLowerCase().startsWith('urn:')) || !(key.includes('.') || key.toLowerCase().startsWith('urn:')) ? [] : [key]),
    ...dottedOrUrnKeys(item, false),
  ]);
}

export async function storedUser(t: TestApp, id: string) {
  return t.storage.users.get(t.config.defaultTenant, id);
}

export async function storedGroup(t: TestApp, id: string) {
  return t.storage.groups.get(t.config.defaultTenant, id);
}

export async function storedMemberIds(t: TestApp, groupId: string): Promise<string[]> {
  return sortedIds((await t.storage.memberships.membersOf(t.config.defaultTenant, groupId)).map((member) => member.id));
}

export async function storedUserCount(t: TestApp): Promise<number> {
  return (await t.storage.users.list(t.config.defaultTenant, { descending: false, startIndex: 1, count: 0 })).total;
}

/** The stored password hash, read from the engine (the storage contract never exposes it). */
export async function storedPasswordHash(t: TestApp, id: string): Promise<string | undefined> {
  assert.ok(t.dbName, 'startTestApp must expose dbName');
  const client = await MongoClient.connect(testDatabaseUri(t.dbName));
  try {
    const doc = await client.db(t.dbName).collection<{ _id: string; passwordHash?: string }>('users').findOne({ _id: id });
    return doc?.passwordHash;
  } finally {
    await client.close();
  }
}

/** Checks a password against the self-describing hash `scrypt$N$r$p$salt$key` (src/auth/password.ts). */
export async function passwordMatches(hash: string | undefined, password: string): Promise<boolean> {
  const parts = hash?.split('$') ?? [];
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(key, 'base64url');
  const derived = await new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
  return derived.equals(expected);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Users that already exist in the application (created there, not by the IdP under test), written
 * straight to storage, `batch` at a time. Returns their ids in creation order.
 */
export async function seedUsers(t: TestApp, userNames: readonly string[], batch = 25): Promise<string[]> {
  const created: string[] = [];
  for (let start = 0; start < userNames.length; start += batch) {
    const records = await Promise.all(
      userNames.slice(start, start + batch).map((userName) =>
        t.storage.users.create({ tenant: t.config.defaultTenant, id: randomUUID(), attributes: { userName, active: true } }),
      ),
    );
    created.push(...records.map((record) => record.id));
  }
  return created;
}
