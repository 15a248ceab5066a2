import assert from 'node:assert/strict';
import type supertest from 'supertest';
import { group, user, type TestApp } from '../support/app.js';

/** A member as RFC 7643 §4.2 represents it in a Group's `members`. */
export interface MemberJson {
  value: string;
  $ref?: string;
  display?: string;
  type?: string;
}

/** A membership as RFC 7643 §4.1.2 represents it in a User's `groups`. */
export interface GroupRefJson {
  value: string;
  $ref?: string;
  display?: string;
  type?: string;
}

export type Json = Record<string, unknown>;

export function bodyOf(response: supertest.Response): Json {
  return response.body as Json;
}

export function membersOf(body: Json): MemberJson[] {
  return (body['members'] ?? []) as MemberJson[];
}

export function groupsOf(body: Json): GroupRefJson[] {
  return (body['groups'] ?? []) as GroupRefJson[];
}

export function versionOf(body: Json): string {
  return String((body['meta'] as Json | undefined)?.['version']);
}

export function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

/** POST /Users and returns the created user's representation (asserting 201). */
export async function createUser(t: TestApp, userName: string, extra: Json = {}): Promise<Json> {
  const response = await t.scim.post('/Users').send(user(userName, extra));
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return bodyOf(response);
}

/** POST /Groups and returns the created group's representation (asserting 201). */
export async function createGroup(t: TestApp, displayName: string, memberIds: string[] = []): Promise<Json> {
  const response = await t.scim.post('/Groups').send(group(displayName, memberIds));
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return bodyOf(response);
}

export function idOf(resource: Json): string {
  return String(resource['id']);
}

/** Every group of the default tenant, as stored (not through HTTP). */
export async function storedGroupCount(t: TestApp): Promise<number> {
  const page = await t.storage.groups.list(t.config.defaultTenant, { descending: false, startIndex: 1, count: 1000 });
  return page.total;
}

/** The stored member ids of a group, sorted. */
export async function storedMemberIds(t: TestApp, groupId: string): Promise<string[]> {
  return sorted((await t.storage.memberships.membersOf(t.config.defaultTenant, groupId)).map((member) => member.id));
}

export async function storedUserGroupIds(t: TestApp, userId: string): Promise<string[]> {
  const record = await t.storage.users.get(t.config.defaultTenant, userId);
  assert.ok(record, `user ${userId} is not stored`);
  return sorted(record.groupIds);
}

export async function storedGroupGroupIds(t: TestApp, groupId: string): Promise<string[]> {
  const record = await t.storage.groups.get(t.config.defaultTenant, groupId);
  assert.ok(record, `group ${groupId} is not stored`);
  return sorted(record.groupIds);
}

export async function storedGroupVersion(t: TestApp, groupId: string): Promise<number> {
  const record = await t.storage.groups.get(t.config.defaultTenant, groupId);
  assert.ok(record, `group ${groupId} is not stored`);
  return record.version;
}

export async function storedUserVersion(t: TestApp, userId: string): Promise<number> {
  const record = await t.storage.users.get(t.config.defaultTenant, userId);
  assert.ok(record, `user ${userId} is not stored`);
  return record.version;
}
