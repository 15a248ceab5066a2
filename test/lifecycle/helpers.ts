import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';
import { parsePolicy } from '../../src/lifecycle/policy/load.js';
import type { Policy } from '../../src/lifecycle/policy/types.js';
import type { AuditEntry, EventType, Grant, LifecycleEvent, LifecycleState } from '../../src/lifecycle/types.js';
import { ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA, type TestApp } from '../support/app.js';
import { context, type Body, type Client } from '../support/idp-clients.js';

/**
 * Shared pieces of the lifecycle tests: IdP-shaped clients (see /work/shared/notes/idp-behaviour.md),
 * request bodies for users matching the rules of schemas/policy.example.json, and readers of what
 * the server stored (grants, audit entries, events).
 */

export { bulk, context, entraClient, expectStatus, oktaClient, patchOp, PATCH_OP, type Body, type Client, type Target } from '../support/idp-clients.js';

export const LIFECYCLE = 'urn:scim-identity-server:schemas:extension:lifecycle:1.0:User';
export const TENANT = 'default';
export const PASSWORD = 'Sup3r-Secret-Passw0rd!';

/** Creates a user through `client` and returns its id. */
export async function createUser(client: Client, body: Body): Promise<string> {
  const response = await client.post('/Users', body);
  assert.equal(response.status, 201, context(response));
  return String(response.body.id);
}

let counter = 0;
/** A userName unique across the run. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}@example.com`;
}

/** Okta's create body: application/json, a password and `groups: []`. */
export function oktaUser(userName: string, extra: Body = {}): Body {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    userName,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Ada Lovelace',
    locale: 'en-US',
    externalId: `okta-${userName}`,
    groups: [],
    password: PASSWORD,
    active: true,
    ...extra,
  };
}

/** Entra's legacy create body: null attributes, "active": "True", the enterprise extension. */
export function entraUser(userName: string, enterprise: Body, extra: Body = {}): Body {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    externalId: `entra-${userName}`,
    userName,
    active: 'True',
    displayName: 'Grace Hopper',
    title: null,
    emails: [{ primary: true, type: 'work', value: userName }],
    name: { formatted: 'Grace Hopper', familyName: 'Hopper', givenName: 'Grace' },
    [ENTERPRISE]: { manager: null, ...enterprise },
    ...extra,
  };
}

/** A user the "employee-baseline" rule matches (email:use, wiki:read). */
export function employee(userName: string, enterprise: Body = {}, extra: Body = {}): Body {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    userName,
    active: true,
    userType: 'Employee',
    [ENTERPRISE]: { employeeNumber: `E-${++counter}`, ...enterprise },
    ...extra,
  };
}

/** An employee in Sales: employee-baseline + sales-rep. */
export const salesEmployee = (userName: string, extra: Body = {}) => employee(userName, { department: 'Sales' }, extra);

export function group(displayName: string, members: string[] = []): Body {
  return { schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })) };
}

// ---- What the server stored ----

export async function storedLifecycle(t: TestApp, id: string): Promise<LifecycleState> {
  const record = await t.storage.users.get(TENANT, id);
  assert.ok(record, `user ${id} is stored`);
  assert.ok(record.lifecycle, `user ${id} has a lifecycle`);
  return record.lifecycle;
}

export const grantKeys = (grants: readonly Grant[]) => grants.map((grant) => `${grant.kind}:${grant.source}:${grant.name}`).sort();
export const roleNames = (grants: readonly Grant[]) => grants.filter((grant) => grant.kind === 'role').map((grant) => grant.name).sort();

export async function auditOf(t: TestApp, id: string): Promise<AuditEntry[]> {
  return t.storage.audit.query({ tenant: TENANT, resourceId: id, limit: 1000 });
}

export async function eventsOf(t: TestApp, id: string): Promise<LifecycleEvent[]> {
  const events = await t.storage.events.forSubject(TENANT, id);
  // Events of one change share a sequence; their ids carry the position.
  return [...events].sort((a, b) => a.sequence - b.sequence || a.id.localeCompare(b.id));
}

export const typesOf = (events: readonly LifecycleEvent[]): EventType[] => events.map((event) => event.type);

/** The shipped policy with a change applied to its JSON. */
export function policyVariant(change: (json: Body) => void): Policy {
  const json = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'schemas', 'policy.example.json'), 'utf8')) as Body;
  change(json);
  return parsePolicy(json, 'policy-variant.json');
}

/** The lifecycle extension of a SCIM response body. */
export function lifecycleIn(body: Body): Body {
  const extension = body[LIFECYCLE] as Body | undefined;
  assert.ok(extension, `the response has the lifecycle extension: ${JSON.stringify(body)}`);
  return extension;
}

/** The roles granted in a response body's lifecycle extension. */
export const responseRoles = (body: Body): string[] =>
  (lifecycleIn(body)['grants'] as Body[]).filter((grant) => grant['type'] === 'role').map((grant) => String(grant['value'])).sort();

export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One listening server for many requests (supertest(app) would start a server per request). */
export async function listen(t: TestApp): Promise<Server> {
  const server = t.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return server;
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
