import assert from 'node:assert/strict';
import { MongoClient, type Document } from 'mongodb';
import supertest from 'supertest';
import { createWebhookWorker } from '../../src/lifecycle/webhooks/worker.js';
import { webhooksFor } from '../../src/lifecycle/webhooks/webhook-config.js';
import { createDeliveryHealth } from '../../src/services/delivery-health.js';
import type { ResourceStore, Storage } from '../../src/store/contract.js';
import { startAnotherApp, startTestApp, user, type TestApp } from '../support/app.js';
import { testDatabaseUri } from '../support/engine.js';
import { leaveBehind } from '../support/pending-entries.js';
import { createStream, STREAM_ADMIN_TOKEN } from '../support/streams.js';

const SECRET = 'whsec_dGVzdC13ZWJob29rLWtleS0wMTIzNDU2Nzg5YWJjZGVm';
/** Nothing listens on the discard port of loopback: every attempt fails to connect. */
const UNREACHABLE = 'http://127.0.0.1:9/hooks';
const TENANT_SECRET_STREAM = 'acme-payroll-feed';

/** Counts how often the relay backlog is read, to see the cache at work. */
function counting(storage: Storage): { storage: Storage; reads: () => number } {
  let reads = 0;
  const users: ResourceStore = Object.create(storage.users) as ResourceStore;
  users.pendingBacklog = () => {
    reads += 1;
    return storage.users.pendingBacklog();
  };
  return { storage: { ...storage, users }, reads: () => reads };
}

/**
 * GET /readyz: 200 while the engine answers (503 otherwise: test/http/engine-outage.test.ts), and
 * what is still owed: entries a crash left for the relay, deliveries a webhook has not accepted,
 * events waiting in event streams. Unauthenticated, so it names no tenant, user or stream, and no
 * address of a receiver.
 */
describe('readiness: /readyz reports relay and delivery health', function () {
  this.timeout(60_000);
  let t: TestApp;
  let client: MongoClient;
  const WEBHOOKS = [{ name: 'siem', url: UNREACHABLE, secret: SECRET, format: 'json' as const }];

  before(async () => {
    t = await startTestApp('readiness', { ADMIN_TOKEN: STREAM_ADMIN_TOKEN, WEBHOOKS: JSON.stringify(WEBHOOKS) }, { webhooksFor: (event) => webhooksFor(event, WEBHOOKS) });
    client = await MongoClient.connect(testDatabaseUri(t.dbName!));
  });
  after(async () => {
    await client.close();
    await t.close();
  });

  /** /readyz of an app on the same database, reading without a cache. */
  async function readyz(): Promise<supertest.Response> {
    const fresh = await startAnotherApp(t, { health: createDeliveryHealth(t.storage, ['siem'], { cacheMs: 0 }) });
    try {
      return await supertest(fresh.app).get('/readyz');
    } finally {
      await fresh.close();
    }
  }

  it('answers 200 with nothing owed on a quiet server', async () => {
    const response = await readyz();
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      status: 'ready',
      engine: 'up',
      relay: { backlog: 0, oldestPendingSeconds: null },
      webhooks: [{ name: 'siem', backlog: 0, oldestUndeliveredSeconds: null }],
      streams: { count: 0, backlog: 0, oldestUnacknowledgedSeconds: null },
    });
  });

  it('reports what a receiver is owed and why its last attempt failed, by class only', async () => {
    await createStream(t, TENANT_SECRET_STREAM);
    const created = await t.scim.post('/Users').send(user('owed@example.com'));
    assert.equal(created.status, 201);
    // One round of the delivery worker against a receiver that is down.
    const worker = createWebhookWorker({ events: t.storage.events, webhooks: WEBHOOKS, owner: 'readiness-test', log: () => undefined, pollMs: 1000, leaseMs: 3000, timeoutMs: 1000, maxBackoffMs: 60_000 });
    await worker.drain();
    await worker.stop();

    const body = (await readyz()).body as { webhooks: { name: string; backlog: number; oldestUndeliveredSeconds: number | null; lastError?: string }[]; streams: { count: number; backlog: number } };
    const [siem] = body.webhooks;
    assert.equal(siem?.name, 'siem');
    assert.ok((siem?.backlog ?? 0) >= 1);
    assert.equal(typeof siem?.oldestUndeliveredSeconds, 'number');
    assert.equal(siem?.lastError, 'connection failed');
    assert.ok(body.streams.count === 1 && body.streams.backlog >= 1, JSON.stringify(body.streams));
  });

  it('reports the entries a crash left in a document, and how long they have waited', async () => {
    const created = await t.scim.post('/Users').send(user('crashed@example.com'));
    await leaveBehind(client, t.dbName!, String(created.body.id));
    const body = (await readyz()).body as { relay: { backlog: number; oldestPendingSeconds: number } };
    assert.equal(body.relay.backlog, 1);
    assert.ok(body.relay.oldestPendingSeconds >= 3500, `written an hour ago: ${body.relay.oldestPendingSeconds}`);
  });

  it('names no tenant, user, stream or receiver address', async () => {
    const text = JSON.stringify((await readyz()).body);
    for (const secret of ['default', 'owed@example.com', 'crashed@example.com', TENANT_SECRET_STREAM, '127.0.0.1', '/hooks', 'ECONNREFUSED']) {
      assert.ok(!text.includes(secret), `${secret} in ${text}`);
    }
  });

  it('is cached: probes every few seconds cost the engine one read per few seconds', async () => {
    const counted = counting(t.storage);
    const app = await startAnotherApp(t, { health: createDeliveryHealth(counted.storage, ['siem'], { cacheMs: 60_000 }) });
    try {
      for (let probe = 0; probe < 5; probe += 1) assert.equal((await supertest(app.app).get('/readyz')).status, 200);
    } finally {
      await app.close();
    }
    assert.equal(counted.reads(), 1);
  });

  it('reads the relay and webhook backlogs through indexes (scalar_ names on the embedded engine)', async () => {
    /** As in test/streams/poll.test.ts: FerretDB says what it pushed down and SQLite names the index; MongoDB shows an IXSCAN. */
    async function answeredFrom(index: string, collection: string, filter: Document, sort: Document): Promise<[boolean, string]> {
      const explained = (await client.db(t.dbName).command({ explain: { find: collection, filter, sort, limit: 1 } })) as Document;
      const shown = JSON.stringify(explained);
      if (!('filterPushdown' in explained)) return [/IXSCAN/.test(shown) && shown.includes(index), shown];
      const pushed = explained['filterPushdown'] === true && explained['sortPushdown'] === true;
      return [pushed && shown.includes(`_${index} `) && !/\bSCAN\b/.test(shown), shown];
    }
    const shapes: [string, string, string, Document, Document][] = [
      ['users holding entries, oldest first', 'scalar_hasPending', 'users', { hasPending: true }, { lastModified: 1 }],
      ['groups holding entries, oldest first', 'scalar_hasPending', 'groups', { hasPending: true }, { lastModified: 1 }],
      ['a webhook’s undelivered events, oldest first', 'scalar_webhook_state_occurredAt', 'deliveries', { webhook: 'siem', state: 'pending' }, { occurredAt: 1 }],
    ];
    for (const [what, index, collection, filter, sort] of shapes) {
      const [indexed, shown] = await answeredFrom(index, collection, filter, sort);
      assert.ok(indexed, `${what}: ${shown}`);
    }
  });
});
