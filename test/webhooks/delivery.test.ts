import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { jwtVerify } from 'jose';
import { MongoClient, type Db } from 'mongodb';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { EventType, LifecycleEvent } from '../../src/lifecycle/types.js';
import { signingKey } from '../../src/lifecycle/webhooks/signature.js';
import { webhooksFor, type WebhookConfig } from '../../src/lifecycle/webhooks/webhook-config.js';
import { createWebhookWorker, type WebhookWorker, type WebhookWorkerOptions } from '../../src/lifecycle/webhooks/worker.js';
import type { Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { verifiedByStandardWebhooks } from '../support/standard-webhooks.js';

const SECRET = 'whsec_dGVzdC13ZWJob29rLWtleS0wMTIzNDU2Nzg5YWJjZGVm';

interface Arrival {
  id: string;
  idempotencyKey: string;
  timestamp: string;
  signature: string;
  contentType: string;
  body: string;
  verified: boolean;
  at: number;
}

/** How the receiver answers the nth request (0-based): a status, after an optional delay. */
type Behaviour = (index: number) => { status: number; delayMs?: number };

interface Receiver {
  url: string;
  arrivals: Arrival[];
  behave: Behaviour;
  /** Stops listening: connections are refused until reopen(). */
  down(): Promise<void>;
  reopen(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const header = (request: IncomingMessage, name: string) => String(request.headers[name] ?? '');

/** A real HTTP endpoint on 127.0.0.1 that checks each request's signature and records it. */
async function startReceiver(servers: Server[]): Promise<Receiver> {
  const receiver: Receiver = { url: '', arrivals: [], behave: () => ({ status: 204 }), down, reopen };
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const arrival: Arrival = {
        id: header(request, 'webhook-id'),
        idempotencyKey: header(request, 'idempotency-key'),
        timestamp: header(request, 'webhook-timestamp'),
        signature: header(request, 'webhook-signature'),
        contentType: header(request, 'content-type'),
        body,
        verified: false,
        at: Date.now(),
      };
      arrival.verified = verifiedByStandardWebhooks(SECRET, request.headers, body);
      const { status, delayMs } = receiver.behave(receiver.arrivals.length);
      receiver.arrivals.push(arrival);
      if (delayMs) await sleep(delayMs);
      response.writeHead(status).end();
    })();
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}/events`;

  async function down() {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
  async function reopen() {
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
  }
  return receiver;
}

function lifecycleEvent(resourceId: string, sequence: number, type: EventType = 'user.roles_changed'): LifecycleEvent {
  return {
    id: `${resourceId}:${sequence}:${type}`,
    type,
    tenant: 'tenant-a',
    resourceType: 'User',
    resourceId,
    sequence,
    occurredAt: new Date(Date.now() - 60_000 + sequence),
    actor: 'okta',
    requestId: `request-${resourceId}-${sequence}`,
    data: { userName: `${resourceId}@example.com`, added: [{ kind: 'role', name: 'engineer', source: 'policy' }] },
  };
}

const jsonOf = (arrival: Arrival) => JSON.parse(arrival.body) as { id: string; resourceId: string; sequence: number };

/** Each user's events in the order they first arrived. */
function firstArrivals(arrivals: readonly Arrival[]): Map<string, number[]> {
  const seen = new Set<string>();
  const order = new Map<string, number[]>();
  for (const arrival of arrivals) {
    const body = jsonOf(arrival);
    if (seen.has(body.id)) continue;
    seen.add(body.id);
    order.set(body.resourceId, [...(order.get(body.resourceId) ?? []), body.sequence]);
  }
  return order;
}

function assertInOrderPerUser(arrivals: readonly Arrival[], users: readonly string[], perUser: number): void {
  const order = firstArrivals(arrivals);
  const expected = Array.from({ length: perUser }, (_, index) => index + 1);
  for (const user of users) assert.deepEqual(order.get(user), expected, `${user}'s events arrived in sequence order`);
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('webhook delivery', function () {
  this.timeout(60_000);
  const servers: Server[] = [];
  let storage: Storage;
  let client: MongoClient;
  let db: Db;
  const workers: WebhookWorker[] = [];
  const log: string[] = [];
  let userCounter = 0;

  before(async () => {
    const dbName = uniqueDbName('webhook-delivery');
    storage = await createMongoStorage({ uri: testDatabaseUri(dbName) });
    client = new MongoClient(testDatabaseUri(dbName));
    await client.connect();
    db = client.db(dbName);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    // Each test leaves nothing pending for the next one.
    await db.collection('deliveries').deleteMany({});
    log.length = 0;
  });

  after(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.filter((server) => server.listening).map((server) => new Promise((resolve) => server.close(resolve))));
    await db.dropDatabase();
    await client.close();
    await storage.close();
  });

  const pendingCount = () => db.collection('deliveries').countDocuments({ state: 'pending' });

  function webhook(receiver: Receiver, overrides: Partial<WebhookConfig> = {}): WebhookConfig {
    return { name: 'crm', url: receiver.url, secret: SECRET, format: 'json', ...overrides };
  }

  function worker(webhooks: WebhookConfig[], owner: string, overrides: Partial<WebhookWorkerOptions> = {}): WebhookWorker {
    const created = createWebhookWorker({
      events: storage.events,
      webhooks,
      owner,
      log: (line) => log.push(line),
      pollMs: 10,
      leaseMs: 400,
      timeoutMs: 150,
      maxBackoffMs: 40,
      baseBackoffMs: 10,
      ...overrides,
    });
    workers.push(created);
    return created;
  }

  /** `count` users with `perUser` events each, appended interleaved (user order varies per round). */
  async function appendEvents(count: number, perUser: number, webhooks: readonly WebhookConfig[]): Promise<{ users: string[]; events: LifecycleEvent[] }> {
    const users = Array.from({ length: count }, () => `user-${(userCounter += 1)}`);
    const events: LifecycleEvent[] = [];
    for (let sequence = 1; sequence <= perUser; sequence += 1) {
      for (const user of sequence % 2 ? users : [...users].reverse()) {
        const event = lifecycleEvent(user, sequence);
        events.push(event);
        await storage.events.append([event], webhooksFor(event, webhooks));
      }
    }
    return { users, events };
  }

  it('a receiver failing with 500s and timeouts gets every event, in order per user, with a stable webhook-id', async () => {
    const receiver = await startReceiver(servers);
    // Five 500s, then three answers slower than the worker's timeout, then success.
    receiver.behave = (index) => (index < 5 ? { status: 500 } : index < 8 ? { status: 200, delayMs: 400 } : { status: 200 });
    const hooks = [webhook(receiver)];
    const { users, events } = await appendEvents(3, 4, hooks);

    worker(hooks, 'worker-a').start();
    await until(async () => (await pendingCount()) === 0, 'every delivery');

    assert.ok(receiver.arrivals.every((arrival) => arrival.verified), 'every request carries a valid Standard Webhooks signature');
    assert.deepEqual(new Set(receiver.arrivals.map((arrival) => arrival.id)), new Set(events.map((event) => event.id)), 'every event arrived');
    assertInOrderPerUser(receiver.arrivals, users, 4);
    for (const arrival of receiver.arrivals) {
      assert.equal(arrival.id, jsonOf(arrival).id, 'webhook-id is the event id');
      assert.equal(arrival.idempotencyKey, arrival.id);
      assert.equal(arrival.contentType, 'application/json');
    }
    const retried = events.filter((event) => receiver.arrivals.filter((arrival) => arrival.id === event.id).length > 1);
    assert.ok(retried.length > 0, 'some events were retried');
    for (const event of retried) {
      const bodies = new Set(receiver.arrivals.filter((arrival) => arrival.id === event.id).map((arrival) => arrival.body));
      assert.equal(bodies.size, 1, 'a retry sends the same body under the same webhook-id');
    }
    assert.ok(log.some((line) => line.includes('HTTP 500')), log.join('\n'));
    assert.ok(log.some((line) => line.includes('no response within 150 ms')), log.join('\n'));
  });

  it('a receiver refusing connections gets every event once it is back', async () => {
    const receiver = await startReceiver(servers);
    const hooks = [webhook(receiver)];
    await receiver.down();
    const { users, events } = await appendEvents(2, 3, hooks);
    const delivery = worker(hooks, 'worker-b');
    for (let round = 0; round < 5; round += 1) {
      await delivery.drain();
      await sleep(20);
    }
    assert.equal(await pendingCount(), events.length, 'nothing is dropped while the receiver is down');
    assert.ok(log.some((line) => line.includes('ECONNREFUSED')), log.join('\n'));

    await receiver.reopen();
    await until(async () => {
      await delivery.drain();
      return (await pendingCount()) === 0;
    }, 'every delivery after the receiver came back');
    assert.deepEqual(new Set(receiver.arrivals.map((arrival) => arrival.id)), new Set(events.map((event) => event.id)));
    assertInOrderPerUser(receiver.arrivals, users, 3);
  });

  it('only subscribed events are delivered, each to its own webhook', async () => {
    const crm = await startReceiver(servers);
    const siem = await startReceiver(servers);
    const hooks = [webhook(crm), webhook(siem, { name: 'siem', events: ['user.deleted'] })];
    const roles = lifecycleEvent(`user-${(userCounter += 1)}`, 1);
    const deleted = lifecycleEvent(roles.resourceId, 2, 'user.deleted');
    assert.deepEqual(webhooksFor(roles, hooks), ['crm']);
    assert.deepEqual(webhooksFor(deleted, hooks), ['crm', 'siem']);
    for (const event of [roles, deleted]) await storage.events.append([event], webhooksFor(event, hooks));

    await worker(hooks, 'worker-c').drain();
    assert.deepEqual(crm.arrivals.map((arrival) => arrival.id), [roles.id, deleted.id]);
    assert.deepEqual(siem.arrivals.map((arrival) => arrival.id), [deleted.id]);
  });

  it('restart: a stopped worker finishes its requests and frees its leases; the next one delivers the rest', async () => {
    const receiver = await startReceiver(servers);
    receiver.behave = () => ({ status: 200, delayMs: 30 });
    const hooks = [webhook(receiver)];
    const { users, events } = await appendEvents(2, 6, hooks);

    // A long lease: only release() lets the next worker continue at once.
    const first = worker(hooks, 'worker-first', { concurrency: 2, leaseMs: 60_000 });
    first.start();
    await until(() => receiver.arrivals.length >= 4, 'some deliveries by the first worker');
    await first.stop();
    const arrivedBeforeStop = receiver.arrivals.length;
    assert.ok((await pendingCount()) > 0, 'stopped mid-way');
    await sleep(100);
    assert.equal(receiver.arrivals.length, arrivedBeforeStop, 'nothing is sent after stop() resolves');
    const held = await db.collection('delivery_leases').countDocuments({ owner: 'worker-first', done: false, until: { $gt: new Date() } });
    assert.equal(held, 0, 'the stopped worker holds no lease');

    const second = worker(hooks, 'worker-second', { leaseMs: 60_000 });
    const restartedAt = Date.now();
    second.start();
    await until(async () => (await pendingCount()) === 0, 'every delivery after the restart');
    assert.ok(receiver.arrivals[arrivedBeforeStop]!.at - restartedAt < 10_000, 'the second worker did not wait for the 60 s leases to expire');
    assert.deepEqual(new Set(receiver.arrivals.map((arrival) => arrival.id)), new Set(events.map((event) => event.id)));
    assertInOrderPerUser(receiver.arrivals, users, 6);
  });

  it('crash: a worker frozen mid-request keeps its leases until they expire, then another delivers everything', async () => {
    const receiver = await startReceiver(servers);
    const hooks = [webhook(receiver)];
    const { users, events } = await appendEvents(3, 3, hooks);
    const leaseMs = 500;

    // A process that hangs (or dies) inside its requests: it never reports an outcome nor releases a lease.
    let requestsStarted = 0;
    const frozen = createWebhookWorker({
      events: storage.events,
      webhooks: hooks,
      owner: 'worker-frozen',
      log: () => undefined,
      fetch: () => {
        requestsStarted += 1;
        return new Promise<Response>(() => undefined);
      },
      pollMs: 10,
      leaseMs,
      timeoutMs: 100,
      maxBackoffMs: 40,
    });
    const frozenAt = Date.now();
    frozen.start();
    await until(() => requestsStarted === users.length, 'the frozen worker to claim every user’s first event');

    worker(hooks, 'worker-survivor', { leaseMs }).start();
    await until(async () => (await pendingCount()) === 0, 'every delivery after the leases expired');
    const firstEvents = new Set(events.filter((event) => event.sequence === 1).map((event) => event.id));
    const firstDelivery = receiver.arrivals.find((arrival) => firstEvents.has(arrival.id));
    assert.ok(firstDelivery && firstDelivery.at - frozenAt >= leaseMs, 'the frozen worker’s deliveries waited for its leases to expire');
    assert.deepEqual(new Set(receiver.arrivals.map((arrival) => arrival.id)), new Set(events.map((event) => event.id)));
    assertInOrderPerUser(receiver.arrivals, users, 3);
  });

  it('SET format: a JWS signed with the secret, with RFC 9967 claims', async () => {
    const receiver = await startReceiver(servers);
    const hooks = [webhook(receiver, { name: 'set-receiver', format: 'set' })];
    const user = `user-${(userCounter += 1)}`;
    const provisioned = { ...lifecycleEvent(user, 1, 'user.provisioned'), data: { userName: `${user}@example.com`, active: true, roles: ['engineer'], permissions: ['repo:read'] } };
    const deactivated = lifecycleEvent(user, 2, 'user.deactivated');
    const revoked = { ...lifecycleEvent(user, 2, 'user.permissions_revoked'), occurredAt: deactivated.occurredAt };
    await storage.events.append([provisioned, deactivated, revoked], ['set-receiver']);

    const before = Math.floor(Date.now() / 1000);
    await worker(hooks, 'worker-set', { issuer: 'https://scim.example.com/scim/v2' }).drain();
    assert.equal(receiver.arrivals.length, 3);
    const key = signingKey(SECRET);
    const claims = [];
    for (const arrival of receiver.arrivals) {
      assert.equal(arrival.contentType, 'application/secevent+jwt');
      assert.ok(arrival.verified, 'the Standard Webhooks headers are sent for SETs too');
      const { payload, protectedHeader } = await jwtVerify(arrival.body, key, {
        issuer: 'https://scim.example.com/scim/v2',
        audience: receiver.url,
        typ: 'secevent+jwt',
        algorithms: ['HS256'],
      });
      assert.equal(protectedHeader.alg, 'HS256');
      assert.equal(payload.jti, arrival.id);
      assert.ok(payload.iat !== undefined && payload.iat >= before);
      assert.equal(payload.sub, undefined, 'RFC 9967 forbids sub');
      assert.deepEqual(payload['sub_id'], { format: 'scim', uri: `/Users/${user}` });
      claims.push(payload);
    }
    const [first, second, third] = claims;
    assert.equal(first?.jti, provisioned.id);
    assert.equal(first?.['txn'], provisioned.requestId);
    assert.equal(first?.['toe'], Math.floor(provisioned.occurredAt.getTime() / 1000));
    assert.deepEqual(first?.['events'], { 'urn:ietf:params:scim:event:prov:create:notice': { version: 'W/"1"', attributes: ['userName', 'active', 'roles'] } });
    // Same sequence: ordered by id, so user.deactivated precedes user.permissions_revoked.
    assert.deepEqual(second?.['events'], { 'urn:ietf:params:scim:event:prov:deactivate': { version: 'W/"2"' } });
    assert.deepEqual(third?.['events'], { 'urn:scim-identity-server:event:user.permissions_revoked': revoked.data });
    await assert.rejects(jwtVerify(receiver.arrivals[0]!.body, new TextEncoder().encode('another-key-0123456789abcdefghijkl')));
  });
});

describe('WEBHOOKS configuration', () => {
  const valid = { name: 'crm', url: 'https://hooks.example.com/scim', secret: SECRET };
  const SECRET_RULE = (index: number, field: string) => new RegExp(`WEBHOOKS\\.${index}\\.${field.replace('.', '\\.')}: must be "whsec_" followed by the base64 of 32 to 64 random bytes`);

  it('parses webhooks with defaults, and the timing variables', () => {
    const rotating = { ...valid, name: 'siem', events: ['user.deleted'], format: 'set', previousSecrets: [`whsec_${randomBytes(64).toString('base64')}`] };
    const config = loadConfig({ WEBHOOKS: JSON.stringify([valid, rotating]), WEBHOOK_POLL_MS: '250' });
    assert.deepEqual(config.webhooks, [{ ...valid, format: 'json' }, rotating]);
    assert.equal(config.webhookPollMs, 250);
    assert.equal(config.webhookTimeoutMs, 10_000);
    assert.equal(config.webhookMaxBackoffMs, 3_600_000);
    assert.deepEqual(loadConfig({}).webhooks, []);
  });

  const invalid: [string, string, RegExp][] = [
    ['not JSON', `[{"name":"crm","secret":"${SECRET}"`, /WEBHOOKS: must be a JSON array/],
    ['not an array', JSON.stringify(valid), /WEBHOOKS: /],
    ['a secret without the whsec_ prefix (the old hex form)', JSON.stringify([{ ...valid, secret: 'ab'.repeat(32) }]), SECRET_RULE(0, 'secret')],
    ['a secret that is not base64', JSON.stringify([{ ...valid, secret: `whsec_${'*'.repeat(44)}` }]), SECRET_RULE(0, 'secret')],
    ['a key of 24 bytes (HS256 needs 32)', JSON.stringify([{ ...valid, secret: `whsec_${randomBytes(24).toString('base64')}` }]), SECRET_RULE(0, 'secret')],
    ['a key of 65 bytes', JSON.stringify([{ ...valid, secret: `whsec_${randomBytes(65).toString('base64')}` }]), SECRET_RULE(0, 'secret')],
    ['a bad previous secret', JSON.stringify([{ ...valid, previousSecrets: [SECRET, 'whsec_'] }]), SECRET_RULE(0, 'previousSecrets.1')],
    ['a non-http URL', JSON.stringify([{ ...valid, url: 'ftp://example.com' }]), /WEBHOOKS\.0\.url: must be an http\(s\) URL/],
    ['an unknown event type', JSON.stringify([{ ...valid, events: ['user.exploded'] }]), /WEBHOOKS\.0\.events\.0: /],
    ['a duplicate name', JSON.stringify([valid, valid]), /WEBHOOKS\.1\.name: duplicate webhook name "crm"/],
    ['a bad name', JSON.stringify([{ ...valid, name: 'CRM|x' }]), /WEBHOOKS\.0\.name: /],
    ['an unknown format', JSON.stringify([{ ...valid, format: 'xml' }]), /WEBHOOKS\.0\.format: /],
  ];
  for (const [what, value, message] of invalid) {
    it(`rejects ${what}, naming WEBHOOKS and never echoing the secret`, () => {
      assert.throws(
        () => loadConfig({ WEBHOOKS: value }),
        (error: unknown) => error instanceof ConfigError && message.test(error.message) && !/whsec_[A-Za-z0-9+/*]|abab/.test(error.message),
      );
    });
  }
});
