import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import type { LifecycleEvent } from '../../src/lifecycle/types.js';
import { webhooksFor, type WebhookConfig } from '../../src/lifecycle/webhooks/webhook-config.js';
import { createWebhookWorker, type WebhookWorker, type WebhookWorkerOptions } from '../../src/lifecycle/webhooks/worker.js';
import type { Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { ENTERPRISE, examplePolicy, startTestApp, type TestApp } from '../support/app.js';
import { testDatabaseUri } from '../support/engine.js';
import { verifiedByStandardWebhooks } from '../support/standard-webhooks.js';
import {
  context,
  employee,
  entraClient,
  expectStatus,
  group,
  oktaClient,
  oktaUser,
  PASSWORD,
  patchOp,
  salesEmployee,
  TENANT,
  uniqueName,
  until,
  type Body,
  type Client,
  createUser,
} from './helpers.js';

/**
 * Lifecycle events end to end: SCIM requests → events stored with the change → a delivery worker
 * → a real HTTP receiver on 127.0.0.1 that verifies each signature. Nothing is lost when the
 * receiver fails for a while, nor when the worker stops or is abandoned and a new storage, app
 * and worker take over the same database.
 */

const SECRET = 'whsec_bGlmZWN5Y2xlLWUyZS13ZWJob29rLWtleS0wMTIzNDU=';

interface Arrival {
  id: string;
  idempotencyKey: string;
  timestamp: string;
  signature: string;
  contentType: string;
  body: string;
  verified: boolean;
  status: number;
  at: number;
  event: { id: string; type: string; resourceType: string; resourceId: string; sequence: number; data: Body };
}

type Behaviour = (index: number) => { status: number; delayMs?: number };

interface Receiver {
  url: string;
  arrivals: Arrival[];
  behave: Behaviour;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function startReceiver(servers: Server[]): Promise<Receiver> {
  const receiver: Receiver = { url: '', arrivals: [], behave: () => ({ status: 204 }) };
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const header = (name: string) => String(request.headers[name] ?? '');
      const { status, delayMs } = receiver.behave(receiver.arrivals.length);
      const arrival: Arrival = {
        id: header('webhook-id'),
        idempotencyKey: header('idempotency-key'),
        timestamp: header('webhook-timestamp'),
        signature: header('webhook-signature'),
        contentType: header('content-type'),
        body,
        verified: false,
        status,
        at: Date.now(),
        event: JSON.parse(body) as Arrival['event'],
      };
      arrival.verified = verifiedByStandardWebhooks(SECRET, request.headers, body);
      receiver.arrivals.push(arrival);
      if (delayMs) await sleep(delayMs);
      response.writeHead(status).end();
    })();
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim-events`;
  return receiver;
}

const delivered = (arrival: Arrival) => arrival.status >= 200 && arrival.status < 300;

/** Every stored event of these subjects, in the store's per-subject order (the delivery order). */
async function storedEvents(storage: Storage, subjects: readonly string[]): Promise<Map<string, LifecycleEvent[]>> {
  return new Map(await Promise.all(subjects.map(async (subject) => [subject, await storage.events.forSubject(TENANT, subject)] as const)));
}

/**
 * Each expected event arrived (answered 2xx) at least once, signed; per subject, the first
 * successful arrivals follow the stored order, and no attempt at an event was made before the
 * previous event of its subject had been delivered. Returns how many arrivals were duplicates.
 */
function assertDelivered(receiver: Receiver, expected: Map<string, LifecycleEvent[]>): { events: number; duplicates: number } {
  assert.ok(receiver.arrivals.every((arrival) => arrival.verified), 'every request carries a valid Standard Webhooks signature');
  for (const arrival of receiver.arrivals) {
    assert.equal(arrival.id, arrival.event.id, 'webhook-id is the event id');
    assert.equal(arrival.idempotencyKey, arrival.id, 'Idempotency-Key is the event id');
    assert.equal(arrival.contentType, 'application/json');
  }
  let events = 0;
  for (const [subject, list] of expected) {
    const ids = list.map((event) => event.id);
    events += ids.length;
    const ofSubject = receiver.arrivals.filter((arrival) => arrival.event.resourceId === subject);
    const firstSuccess: string[] = [];
    for (const arrival of ofSubject) {
      const position = ids.indexOf(arrival.id);
      assert.ok(position >= 0, `arrival ${arrival.id} is a stored event of ${subject}`);
      // An attempt at event k comes only after event k-1 was delivered.
      assert.ok(position <= firstSuccess.length, `${arrival.event.type} ${arrival.id} was attempted before ${ids[firstSuccess.length]} was delivered`);
      if (delivered(arrival) && !firstSuccess.includes(arrival.id)) firstSuccess.push(arrival.id);
    }
    assert.deepEqual(firstSuccess, ids, `every event of ${subject} was delivered, in order`);
  }
  const successes = receiver.arrivals.filter(delivered);
  return { events, duplicates: successes.length - new Set(successes.map((arrival) => arrival.id)).size };
}

describe('lifecycle: webhooks end to end', function () {
  this.timeout(180_000);
  const servers: Server[] = [];
  const workers: WebhookWorker[] = [];
  const closers: (() => Promise<void>)[] = [];
  const log: string[] = [];

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    for (const close of closers.splice(0).reverse()) await close();
    log.length = 0;
  });

  after(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.filter((server) => server.listening).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  function hooksFor(receiver: Receiver, extra: WebhookConfig[] = []): WebhookConfig[] {
    return [{ name: 'idm', url: receiver.url, secret: SECRET, format: 'json' }, ...extra];
  }

  /** The app with these webhooks; its close() may be called early (a restart) and again after the test. */
  async function appWith(tag: string, hooks: WebhookConfig[]): Promise<TestApp> {
    const t = await startTestApp(tag, {}, { webhooksFor: (event) => webhooksFor(event, hooks) });
    let closed: Promise<void> | undefined;
    const close = () => (closed ??= t.close());
    closers.push(close);
    return { ...t, close };
  }

  function worker(storage: Storage, hooks: WebhookConfig[], owner: string, overrides: Partial<WebhookWorkerOptions> = {}): WebhookWorker {
    const created = createWebhookWorker({
      events: storage.events,
      webhooks: hooks,
      owner,
      log: (line) => log.push(line),
      pollMs: 10,
      // Small, but with room for a loaded machine: a lease outlives its request.
      leaseMs: 3_000,
      timeoutMs: 1_000,
      maxBackoffMs: 50,
      baseBackoffMs: 10,
      ...overrides,
    });
    workers.push(created);
    return created;
  }

  async function pendingDeliveries(dbName: string): Promise<number> {
    const client = new MongoClient(testDatabaseUri(dbName));
    try {
      await client.connect();
      return await client.db(dbName).collection('deliveries').countDocuments({ state: 'pending' });
    } finally {
      await client.close();
    }
  }

  const waitForAll = (receiver: Receiver, expected: Map<string, LifecycleEvent[]>, what: string) =>
    until(() => {
      const done = new Set(receiver.arrivals.filter(delivered).map((arrival) => arrival.id));
      return [...expected.values()].flat().every((event) => done.has(event.id));
    }, what, 120_000);

  /** Joiner, mover, leaver, rehire for one user; returns its id. */
  async function lifecycleOf(okta: Client, entra: Client): Promise<string> {
    const id = await createUser(okta, oktaUser(uniqueName('hooked'), { userType: 'Employee', [ENTERPRISE]: { employeeNumber: '42', department: 'Sales' } }));
    expectStatus(await entra.patch(`/Users/${id}`, patchOp({ op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Engineering' }, { op: 'Add', path: `${ENTERPRISE}:organization`, value: 'Acme Product' })), 200, 204);
    expectStatus(await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } })), 200);
    expectStatus(await entra.patch(`/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'True' })), 200, 204);
    return id;
  }

  it('joiner, mover (attribute and group), leaver, rehire and delete through SCIM: every event delivered once, signed, in order per user; a filtered webhook gets only its types', async () => {
    const receiver = await startReceiver(servers);
    const siem = await startReceiver(servers);
    const hooks = hooksFor(receiver, [{ name: 'siem', url: siem.url, secret: SECRET, format: 'json', events: ['user.deactivated', 'user.permissions_revoked', 'user.deleted'] }]);
    const t = await appWith('lifecycle-webhooks-e2e', hooks);
    const okta = oktaClient(t);
    const entra = entraClient(t);

    const alice = await lifecycleOf(okta, entra);
    const bob = await createUser(okta, employee(uniqueName('payroll'), { department: 'Finance', costCenter: 'CC-9999' }, { password: PASSWORD }));
    const payroll = await okta.post('/Groups', group('Payroll Approvers'));
    assert.equal(payroll.status, 201, context(payroll));
    const groupId = String(payroll.body.id);
    expectStatus(await okta.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: bob }] })), 200, 204);
    assert.equal((await okta.delete(`/Users/${bob}`)).status, 204);
    assert.equal((await okta.delete(`/Groups/${groupId}`)).status, 204);

    const expected = await storedEvents(t.storage, [alice, bob, groupId]);
    assert.deepEqual(expected.get(alice)!.map((event) => event.type), ['user.provisioned', 'user.roles_changed', 'user.deactivated', 'user.permissions_revoked', 'user.reactivated', 'user.roles_changed']);
    assert.deepEqual(expected.get(bob)!.map((event) => event.type), ['user.provisioned', 'user.roles_changed', 'user.permissions_revoked', 'user.deleted']);
    assert.deepEqual(expected.get(groupId)!.map((event) => event.type), ['group.created', 'group.members_changed', 'group.members_changed', 'group.deleted']);

    await worker(t.storage, hooks, 'e2e-worker').drain();
    await waitForAll(receiver, expected, 'every event at the receiver');
    const { events, duplicates } = assertDelivered(receiver, expected);
    assert.equal(events, 14);
    assert.equal(duplicates, 0, 'a healthy receiver gets each event exactly once');
    assert.equal(await pendingDeliveries(t.dbName!), 0);

    // What a receiver learns: account details without a password, the grants and their revocation.
    const byType = (type: string, subject: string) => receiver.arrivals.find((arrival) => arrival.event.type === type && arrival.event.resourceId === subject)!.event;
    assert.ok(!receiver.arrivals.some((arrival) => arrival.body.includes(PASSWORD) || /"password/i.test(arrival.body)), 'no password in any webhook body');
    assert.deepEqual(byType('user.provisioned', alice).data['roles'], ['employee-baseline', 'sales-rep']);
    assert.deepEqual(byType('user.roles_changed', bob).data['added'].map((grant: Body) => grant['name']).sort(), ['finance-analyst', 'payroll-approver']);
    assert.ok(byType('user.permissions_revoked', bob).data['permissions'].includes('payroll:approve'));
    assert.equal(byType('user.deleted', bob).data['userName'], expected.get(bob)![0]!.data['userName']);

    // The filtered webhook got exactly its three types, in order too.
    const siemExpected = new Map([...expected].map(([subject, list]) => [subject, list.filter((event) => ['user.deactivated', 'user.permissions_revoked', 'user.deleted'].includes(event.type))] as const));
    assert.deepEqual(assertDelivered(siem, siemExpected), { events: 4, duplicates: 0 });
  });

  it('a JSON body names its fields exactly as docs/lifecycle.md does: id, type, tenant, resourceType, resourceId, sequence, occurredAt, actor, requestId, data', async () => {
    const receiver = await startReceiver(servers);
    const hooks = hooksFor(receiver);
    const t = await appWith('lifecycle-webhooks-json-fields', hooks);
    const okta = oktaClient(t);
    const id = await createUser(okta, employee(uniqueName('fields')));
    await worker(t.storage, hooks, 'fields-worker').drain();
    const arrival = receiver.arrivals.find((candidate) => candidate.event.resourceId === id);
    assert.ok(arrival, 'the user.provisioned event arrived');
    const body = JSON.parse(arrival.body) as Body;
    assert.deepEqual(Object.keys(body).sort(), ['actor', 'data', 'id', 'occurredAt', 'requestId', 'resourceId', 'resourceType', 'sequence', 'tenant', 'type']);
    const [stored] = await t.storage.events.forSubject(TENANT, id);
    assert.deepEqual(
      { id: body['id'], type: body['type'], tenant: body['tenant'], resourceType: body['resourceType'], resourceId: body['resourceId'], sequence: body['sequence'], occurredAt: body['occurredAt'], actor: body['actor'], requestId: body['requestId'] },
      { id: stored!.id, type: 'user.provisioned', tenant: TENANT, resourceType: 'User', resourceId: id, sequence: 1, occurredAt: stored!.occurredAt.toISOString(), actor: stored!.actor, requestId: stored!.requestId },
    );
  });

  it('a refused delete announces nothing: DELETE /Users and /Groups with a stale If-Match answer 412, keep the resource, and store no audit entry and no event, so the receiver gets no request', async () => {
    const receiver = await startReceiver(servers);
    const hooks = hooksFor(receiver);
    const t = await appWith('lifecycle-webhooks-refused-delete', hooks);
    const okta = oktaClient(t);
    const userId = await createUser(okta, salesEmployee(uniqueName('kept')));
    const created = await okta.post('/Groups', group(`Kept ${userId}`, [userId]));
    assert.equal(created.status, 201, context(created));
    const groupId = String(created.body.id);
    const delivery = worker(t.storage, hooks, 'refused-delete-worker');
    await delivery.drain();
    const arrivalsBefore = receiver.arrivals.length;
    assert.ok(arrivalsBefore > 0, 'the receiver gets what is announced');

    for (const [path, id] of [['Users', userId], ['Groups', groupId]] as const) {
      const before = await okta.get(`/${path}/${id}`);
      const auditBefore = await t.storage.audit.query({ tenant: TENANT, resourceId: id, limit: 1000 });
      const eventsBefore = await t.storage.events.forSubject(TENANT, id);
      const stale = `W/"${Number(/\d+/.exec(String(before.headers['etag']))![0]) - 1}"`;
      const response = await okta.delete(`/${path}/${id}`).set('If-Match', stale);
      assert.equal(response.status, 412, context(response));
      const after = await okta.get(`/${path}/${id}`);
      assert.equal(after.status, 200, `${path}: the resource is intact`);
      assert.equal(after.headers['etag'], before.headers['etag'], `${path}: unchanged`);
      assert.deepEqual(await t.storage.audit.query({ tenant: TENANT, resourceId: id, limit: 1000 }), auditBefore, `${path}: no audit entry`);
      assert.deepEqual(await t.storage.events.forSubject(TENANT, id), eventsBefore, `${path}: no event`);
    }
    await delivery.drain();
    assert.equal(receiver.arrivals.length, arrivalsBefore, 'no webhook call');

    // The same deletes with the current version are announced.
    for (const [path, id] of [['Users', userId], ['Groups', groupId]] as const) {
      const current = await okta.get(`/${path}/${id}`);
      expectStatus(await okta.delete(`/${path}/${id}`).set('If-Match', String(current.headers['etag'])), 204);
    }
    await delivery.drain();
    const announced = receiver.arrivals.slice(arrivalsBefore).map((arrival) => `${arrival.event.type} ${arrival.event.resourceId}`);
    assert.ok(announced.includes(`user.deleted ${userId}`) && announced.includes(`group.deleted ${groupId}`), announced.join('\n'));
  });

  it('a receiver that fails (500) for its first requests then recovers loses nothing; order per user holds while events back off', async () => {
    const receiver = await startReceiver(servers);
    const FAILURES = 7;
    receiver.behave = (index) => ({ status: index < FAILURES ? 500 : 200 });
    const hooks = hooksFor(receiver);
    const t = await appWith('lifecycle-webhooks-flaky', hooks);
    const okta = oktaClient(t);
    const entra = entraClient(t);
    const users = [await lifecycleOf(okta, entra), await lifecycleOf(okta, entra)];
    const third = await createUser(okta, salesEmployee(uniqueName('deleted')));
    assert.equal((await okta.delete(`/Users/${third}`)).status, 204);

    const delivery = worker(t.storage, hooks, 'flaky-worker');
    delivery.start();
    const expected = await storedEvents(t.storage, [...users, third]);
    await waitForAll(receiver, expected, 'every event after the receiver recovered');
    const { events } = assertDelivered(receiver, expected);
    assert.equal(events, 6 + 6 + 3);
    assert.equal(receiver.arrivals.filter((arrival) => arrival.status === 500).length, FAILURES);
    assert.ok(log.some((line) => line.includes('HTTP 500')), log.join('\n'));
    await until(async () => (await pendingDeliveries(t.dbName!)) === 0, 'no pending delivery');
  });

  /** A second storage, app and worker over the same database, as a restarted process has. */
  async function restarted(t: TestApp, hooks: WebhookConfig[]): Promise<{ storage: Storage; okta: Client }> {
    const storage = await createMongoStorage({ uri: testDatabaseUri(t.dbName!) });
    closers.push(() => storage.close());
    const authenticator = createAuthenticator(t.config, storage.credentials);
    const app = createApp({ config: t.config, storage, authenticator, policy: examplePolicy(), webhooksFor: (event) => webhooksFor(event, hooks), log: () => undefined });
    return { storage, okta: oktaClient(app) };
  }

  it('restart: a worker stopped mid-way releases its leases; a new storage, app and worker on the same database deliver the rest, in order', async () => {
    const receiver = await startReceiver(servers);
    receiver.behave = () => ({ status: 200, delayMs: 25 });
    const hooks = hooksFor(receiver);
    const t = await appWith('lifecycle-webhooks-restart', hooks);
    const okta = oktaClient(t);
    const entra = entraClient(t);
    const users = [await lifecycleOf(okta, entra), await lifecycleOf(okta, entra), await lifecycleOf(okta, entra)];

    // A long lease: only release() lets the next worker continue at once.
    const first = worker(t.storage, hooks, 'before-restart', { concurrency: 2, leaseMs: 60_000 });
    first.start();
    await until(() => receiver.arrivals.length >= 4, 'some deliveries before the restart');
    await first.stop();
    workers.splice(workers.indexOf(first), 1);
    const beforeRestart = receiver.arrivals.length;
    assert.ok((await pendingDeliveries(t.dbName!)) > 0, 'stopped mid-way');
    await t.close();

    const next = await restarted(t, hooks);
    // Changes after the restart: the first user leaves, the second is deleted.
    expectStatus(await next.okta.patch(`/Users/${users[0]}`, patchOp({ op: 'replace', value: { active: false } })), 200);
    assert.equal((await next.okta.delete(`/Users/${users[1]}`)).status, 204);

    const restartedAt = Date.now();
    worker(next.storage, hooks, 'after-restart', { leaseMs: 60_000 }).start();
    const expected = await storedEvents(next.storage, users);
    assert.equal([...expected.values()].flat().length, 6 * 3 + 2 + 2);
    await waitForAll(receiver, expected, 'every event after the restart');
    assert.ok(receiver.arrivals.length > beforeRestart);
    const resumed = receiver.arrivals[beforeRestart]!;
    assert.ok(resumed, 'the new worker delivered');
    assert.ok(Date.now() - restartedAt < 60_000, 'the new worker did not wait for the old 60 s leases');
    const { duplicates } = assertDelivered(receiver, expected);
    assert.equal(duplicates, 0, 'a clean stop loses nothing and repeats nothing');
  });

  it('crash: a worker abandoned mid-request (never stopped) keeps its leases until they expire; a new storage, app and worker deliver everything at least once, in order', async () => {
    const receiver = await startReceiver(servers);
    const hooks = hooksFor(receiver);
    const t = await appWith('lifecycle-webhooks-crash', hooks);
    const okta = oktaClient(t);
    const entra = entraClient(t);
    const users = [await lifecycleOf(okta, entra), await lifecycleOf(okta, entra)];
    const leaseMs = 1_500;

    // The process sends its requests and dies before recording any outcome or releasing a lease.
    let sent = 0;
    const abandoned = createWebhookWorker({
      events: t.storage.events,
      webhooks: hooks,
      owner: 'crashed-process',
      log: () => undefined,
      fetch: (url, init) => {
        sent += 1;
        void fetch(url, init).catch(() => undefined);
        return new Promise<Response>(() => undefined);
      },
      pollMs: 10,
      leaseMs,
      timeoutMs: 500,
      maxBackoffMs: 50,
    });
    const crashedAt = Date.now();
    abandoned.start();
    await until(() => sent === users.length && receiver.arrivals.length === users.length, 'the crashed worker to send each user’s first event');
    await t.close();

    const next = await restarted(t, hooks);
    expectStatus(await next.okta.patch(`/Users/${users[0]}`, patchOp({ op: 'replace', value: { active: false } })), 200);
    worker(next.storage, hooks, 'survivor', { leaseMs }).start();
    const expected = await storedEvents(next.storage, users);
    await waitForAll(receiver, expected, 'every event after the leases expired');

    const firstEvents = new Set(users.map((user) => expected.get(user)![0]!.id));
    const redelivered = receiver.arrivals.slice(users.length).filter((arrival) => firstEvents.has(arrival.id));
    assert.equal(redelivered.length, users.length, 'what the crashed process sent is sent again (at least once)');
    assert.ok(redelivered.every((arrival) => arrival.at - crashedAt >= leaseMs), 'the survivor waited for the leases to expire');
    const { duplicates } = assertDelivered(receiver, expected);
    assert.equal(duplicates, users.length, 'only the crashed process’s requests were repeated');
  });
});
