import { randomUUID } from 'node:crypto';
import type { Scope } from '../../src/auth/scopes.js';
import { createToken, revokeToken } from '../../src/auth/token-admin.js';
import type { WebhookConfig } from '../../src/lifecycle/webhooks/webhook-config.js';
import { createWebhookWorker } from '../../src/lifecycle/webhooks/worker.js';
import { ENTERPRISE, group, user, type TestApp } from './app.js';

/** What seedDirectory stored, for tests to compare the console's pages with. */
export interface SeededDirectory {
  /** userName → id */
  users: Map<string, string>;
  /** displayName → id */
  groups: Map<string, string>;
  /** userNames deactivated by the IdP (a leaver, a long-term leave). */
  inactive: string[];
}

interface Person {
  userName: string;
  given: string;
  family: string;
  title: string;
  userType: 'Employee' | 'Intern' | 'Contractor';
  department: string;
  organization?: string;
  costCenter?: string;
  employeeNumber?: string;
}

const PEOPLE: Person[] = [
  { userName: 'ada.lovelace@example.com', given: 'Ada', family: 'Lovelace', title: 'Software Engineer', userType: 'Employee', department: 'Engineering', organization: 'Acme Product', employeeNumber: '1001' },
  { userName: 'grace.hopper@example.com', given: 'Grace', family: 'Hopper', title: 'Principal Engineer', userType: 'Employee', department: 'Engineering', organization: 'Acme Product', employeeNumber: '1002' },
  { userName: 'alan.turing@example.com', given: 'Alan', family: 'Turing', title: 'Software Engineer', userType: 'Contractor', department: 'Engineering', organization: 'Acme Product' },
  { userName: 'mary.jackson@example.com', given: 'Mary', family: 'Jackson', title: 'Sales Manager EMEA', userType: 'Employee', department: 'Sales', employeeNumber: '2001' },
  { userName: 'katherine.johnson@example.com', given: 'Katherine', family: 'Johnson', title: 'Account Executive', userType: 'Employee', department: 'Sales', employeeNumber: '2002' },
  { userName: 'dorothy.vaughan@example.com', given: 'Dorothy', family: 'Vaughan', title: 'Financial Analyst', userType: 'Employee', department: 'Finance', costCenter: 'CC-4100', employeeNumber: '3001' },
  { userName: 'john.von.neumann@example.com', given: 'John', family: 'von Neumann', title: 'Payroll Lead', userType: 'Employee', department: 'Finance', costCenter: 'CC-4200', employeeNumber: '3002' },
  { userName: 'hedy.lamarr@example.com', given: 'Hedy', family: 'Lamarr', title: 'Engineering Intern', userType: 'Intern', department: 'Engineering', organization: 'Acme Product', employeeNumber: '9001' },
  { userName: 'claude.shannon@example.com', given: 'Claude', family: 'Shannon', title: 'Sales Development Rep', userType: 'Employee', department: 'Sales', employeeNumber: '2003' },
  { userName: 'barbara.liskov@example.com', given: 'Barbara', family: 'Liskov', title: 'Staff Engineer', userType: 'Employee', department: 'Engineering', organization: 'Acme Product', employeeNumber: '1003' },
];

async function created(response: Promise<{ status: number; body: unknown }>, what: string): Promise<string> {
  const { status, body } = await response;
  if (status !== 201) throw new Error(`seeding ${what}: ${status} ${JSON.stringify(body)}`);
  return String((body as { id: string }).id);
}

/**
 * A small, realistic directory written through the SCIM API as an IdP writes it: people of several
 * departments (the example policy grants them roles), groups that policy rules name, and two
 * leavers deactivated by PATCH. The console's screenshots are taken of it.
 */
export async function seedDirectory(t: TestApp): Promise<SeededDirectory> {
  const users = new Map<string, string>();
  for (const person of PEOPLE) {
    const body = user(person.userName, {
      name: { givenName: person.given, familyName: person.family, formatted: `${person.given} ${person.family}` },
      displayName: `${person.given} ${person.family}`,
      title: person.title,
      userType: person.userType,
      emails: [{ value: person.userName, type: 'work', primary: true }],
      externalId: `okta-${person.userName.split('@')[0]}`,
      [ENTERPRISE]: {
        department: person.department,
        ...(person.organization ? { organization: person.organization } : {}),
        ...(person.costCenter ? { costCenter: person.costCenter } : {}),
        ...(person.employeeNumber ? { employeeNumber: person.employeeNumber } : {}),
      },
    });
    users.set(person.userName, await created(t.scim.post('/Users').send(body), person.userName));
  }
  const id = (userName: string) => users.get(userName) as string;
  const groups = new Map<string, string>();
  const memberships: [string, string[]][] = [
    ['Engineering On-Call', ['ada.lovelace@example.com', 'grace.hopper@example.com', 'barbara.liskov@example.com']],
    ['Payroll Approvers', ['john.von.neumann@example.com']],
    ['All Staff', PEOPLE.map((person) => person.userName)],
    ['Sales EMEA', ['mary.jackson@example.com', 'katherine.johnson@example.com', 'claude.shannon@example.com']],
  ];
  for (const [displayName, members] of memberships) groups.set(displayName, await created(t.scim.post('/Groups').send(group(displayName, members.map(id))), displayName));
  const inactive = ['claude.shannon@example.com', 'hedy.lamarr@example.com'];
  for (const userName of inactive) {
    const response = await t.scim.patch(`/Users/${id(userName)}`).send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] });
    if (response.status !== 200) throw new Error(`deactivating ${userName}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return { users, groups, inactive };
}

const DEMO_SECRET = 'whsec_dGVzdC13ZWJob29rLWtleS0wMTIzNDU2Nzg5YWJjZGVm';

/** Receivers for seedReceivers: pass as `WEBHOOKS` (env) and route events with `webhooksFor` (options). */
export const DEMO_WEBHOOKS: readonly WebhookConfig[] = [
  { name: 'crm', url: 'https://crm.example.com/hooks/scim', secret: DEMO_SECRET, format: 'json' },
  { name: 'siem', url: 'https://siem.example.com/ingest', secret: DEMO_SECRET, format: 'set', events: ['user.deactivated', 'user.permissions_revoked', 'user.deleted'] },
];

/**
 * What receivers and operators leave behind: connector, auditor and stream tokens (one revoked), a
 * stream whose receiver reported an error, and one delivery round in which the CRM answered 503
 * (so its deliveries back off, with a last error) while the SIEM accepted everything.
 */
export async function seedReceivers(t: TestApp): Promise<void> {
  const actor = { actor: 'cli:tokens', requestId: 'seed' };
  const token = (name: string, scopes: Scope[], extra: { stream?: string; lifetimeMs?: number } = {}) => createToken(t.storage.credentials, { grantor: 'root', tenant: 'default', name, scopes, ...extra }, actor);
  await token('okta-provisioning', ['scim:read', 'scim:write']);
  await token('entra-provisioning', ['scim:read', 'scim:write'], { lifetimeMs: 90 * 86_400_000 });
  await token('security-auditor', ['audit:read'], { lifetimeMs: 30 * 86_400_000 });
  await token('old-connector', ['scim:write']);
  await revokeToken(t.storage.credentials, 'default', 'old-connector', actor);
  const now = new Date();
  await t.storage.streams.create({ id: randomUUID(), tenant: 'default', name: 'hr-portal', createdAt: now, updatedAt: now });
  await token('hr-portal', ['scim:read'], { stream: 'hr-portal' });
  await t.scim.post('/Users').send(user('new.joiner@example.com', { name: { givenName: 'New', familyName: 'Joiner' }, userType: 'Employee' }));
  const stream = await t.storage.streams.get('default', 'hr-portal');
  const [queued] = stream ? await t.storage.streams.pending(stream, 1) : [];
  if (stream && queued) await t.storage.streams.reportErrors(stream, [{ eventId: queued.event.id, err: 'invalid_request', description: 'no such employee in the HR system', reportedAt: now }]);
  // An hour ahead: the CRM's failed deliveries back off past the real now.
  await deliveryRound(t, DEMO_WEBHOOKS, (url) => (url.includes('crm') ? 503 : 204), 3_600_000);
}

/**
 * One round of the delivery worker over the app's deliveries, receivers answering `status(url)`.
 * With the worker's clock `clockAheadMs` ahead, a failure backs off past the real now (a
 * "retry now" then has something to do).
 */
export async function deliveryRound(t: TestApp, webhooks: readonly WebhookConfig[], status: (url: string) => number, clockAheadMs = 0): Promise<void> {
  const worker = createWebhookWorker({
    events: t.storage.events,
    webhooks,
    owner: 'test-delivery-round',
    log: () => undefined,
    fetch: async (url) => new Response(null, { status: status(String(url)) }),
    now: () => new Date(Date.now() + clockAheadMs),
    pollMs: 1000,
    leaseMs: 3000,
    timeoutMs: 1000,
    maxBackoffMs: 60_000,
  });
  await worker.drain();
  await worker.stop();
}
