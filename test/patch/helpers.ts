import assert from 'node:assert/strict';
import type supertest from 'supertest';
import type { MemberRef, ResourceRecord } from '../../src/store/contract.js';
import type { TestApp } from '../support/app.js';

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SCIM_JSON = 'application/scim+json';

export type Json = Record<string, any>;
export type Operation = Record<string, unknown>;

/** An RFC 7644 §3.5.2 PatchOp body. */
export function patchOp(...operations: Operation[]): Json {
  return { schemas: [PATCH_OP], Operations: operations };
}

/** PATCH /Users/{id} or /Groups/{id} as application/scim+json (the body is sent as given). */
export function sendPatch(t: TestApp, path: string, body: unknown, ifMatch?: string): supertest.Test {
  const request = t.scim.patch(path).set('Content-Type', SCIM_JSON);
  if (ifMatch !== undefined) request.set('If-Match', ifMatch);
  return request.send(typeof body === 'string' ? body : JSON.stringify(body));
}

/** `W/"7"` → 7. */
export function versionNumber(etag: unknown): number {
  const match = /^W\/"(\d+)"$/.exec(String(etag));
  assert.ok(match, `not one of our ETags: ${String(etag)}`);
  return Number(match[1]);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function storedUser(t: TestApp, id: string): Promise<ResourceRecord> {
  const record = await t.storage.users.get(t.config.defaultTenant, id);
  assert.ok(record, `user ${id} is not stored`);
  return record;
}

export async function storedGroup(t: TestApp, id: string): Promise<ResourceRecord> {
  const record = await t.storage.groups.get(t.config.defaultTenant, id);
  assert.ok(record, `group ${id} is not stored`);
  return record;
}

export async function storedMembers(t: TestApp, groupId: string): Promise<MemberRef[]> {
  return t.storage.memberships.membersOf(t.config.defaultTenant, groupId);
}

export async function storedMemberIds(t: TestApp, groupId: string): Promise<string[]> {
  return (await storedMembers(t, groupId)).map((member) => member.id).sort();
}

/** Everything stored about a group: its record and its member list. */
export async function groupSnapshot(t: TestApp, id: string): Promise<{ record: ResourceRecord; members: MemberRef[] }> {
  return { record: await storedGroup(t, id), members: await storedMembers(t, id) };
}

/** Asserts the common shape of a successful PATCH /Users response (200, full resource, ETag). */
export function assertUser200(response: supertest.Response, id: string): Json {
  assert.equal(response.status, 200, `expected 200, got ${response.status} ${response.text}`);
  assert.match(String(response.headers['content-type']), /^application\/scim\+json/);
  const body = response.body as Json;
  assert.equal(body['id'], id);
  assert.ok(Array.isArray(body['schemas']) && body['schemas'].includes('urn:ietf:params:scim:schemas:core:2.0:User'), response.text);
  assert.equal(body['meta']?.['resourceType'], 'User');
  assert.equal(response.headers['etag'], body['meta']?.['version'], 'the ETag header is meta.version');
  assert.equal(JSON.stringify(body).toLowerCase().includes('password'), false, `password returned: ${response.text}`);
  return body;
}

/** Asserts a 204 PATCH /Groups response: no body, and an ETag naming the stored version. */
export async function assertGroup204(t: TestApp, response: supertest.Response, id: string): Promise<ResourceRecord> {
  assert.equal(response.status, 204, `expected 204, got ${response.status} ${response.text}`);
  assert.equal(response.text, '', 'a 204 has no body');
  const record = await storedGroup(t, id);
  assert.equal(response.headers['etag'], `W/"${record.version}"`, 'the ETag header names the stored version');
  return record;
}

export function sortedIds(values: Iterable<string>): string[] {
  return [...values].sort();
}

/** Runs `work` over `items` with at most `limit` in flight (setup only; tests that probe concurrency use Promise.all). */
export async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += limit) {
    results.push(...(await Promise.all(items.slice(start, start + limit).map((item, offset) => work(item, start + offset)))));
  }
  return results;
}
