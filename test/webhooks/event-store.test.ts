import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import type { EventType, LifecycleEvent } from '../../src/lifecycle/types.js';
import type { Delivery, EventStore } from '../../src/store/contract.js';
import { createEventStore } from '../../src/store/mongo/event-store.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const HOUR = 3_600_000;

function lifecycleEvent(resourceId: string, sequence: number, type: EventType = 'user.roles_changed'): LifecycleEvent {
  return {
    id: `${resourceId}:${sequence}:${type}`,
    type,
    tenant: 'tenant-a',
    resourceType: 'User',
    resourceId,
    sequence,
    occurredAt: at(-HOUR + sequence),
    actor: 'okta',
    requestId: `request-${sequence}`,
    // A URN key (dots) and a nested array: the engine refuses both as stored field names/values.
    data: { userName: `${resourceId}@example.com`, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' }, matrix: [[1, 2]] },
  };
}

const idsOf = (deliveries: Delivery[]) => deliveries.map((delivery) => delivery.id).sort();
const deliveryId = (event: LifecycleEvent, webhook: string) => `${event.id}|${webhook}`;

describe('event store (deliveries, ordering, leases)', function () {
  this.timeout(60_000);
  let client: MongoClient;
  const databases: Db[] = [];

  before(async () => {
    client = new MongoClient(testDatabaseUri(uniqueDbName('event-store')));
    await client.connect();
  });

  after(async () => {
    await Promise.all(databases.map((db) => db.dropDatabase()));
    await client.close();
  });

  /** A database of its own per test: claim sees every pending delivery in its database. */
  function freshStore(): { store: EventStore; db: Db } {
    const db = client.db(uniqueDbName('event-store'));
    databases.push(db);
    return { store: createEventStore(db), db };
  }

  it('append is idempotent on event id and stores data the engine could not hold as fields', async () => {
    const { store, db } = freshStore();
    const [first, second, third] = [1, 2, 3].map((sequence) => lifecycleEvent('alice', sequence)) as [LifecycleEvent, LifecycleEvent, LifecycleEvent];
    await store.append([first, second], ['crm', 'siem']);
    await store.append([first, second], ['crm', 'siem']);
    await store.append([second, third], ['crm', 'siem']);
    assert.equal(await db.collection('events').countDocuments(), 3);
    assert.equal(await db.collection('deliveries').countDocuments(), 6);
    assert.deepEqual(await store.forSubject('tenant-a', 'alice'), [first, second, third]);
    assert.deepEqual(await store.forSubject('tenant-b', 'alice'), []);
  });

  it('an event with no subscribed webhook is logged but never claimed', async () => {
    const { store } = freshStore();
    const event = lifecycleEvent('alice', 1);
    await store.append([event], []);
    assert.deepEqual(await store.forSubject('tenant-a', 'alice'), [event]);
    assert.deepEqual(await store.claim('worker-1', T0, 1_000, 10), []);
  });

  it('claim returns only the head of each (subject, webhook) queue, in sequence order', async () => {
    const { store } = freshStore();
    const alice = [3, 1, 2].map((sequence) => lifecycleEvent('alice', sequence));
    const bob = [1, 2].map((sequence) => lifecycleEvent('bob', sequence));
    // Appended out of order: the sequence, not arrival, decides.
    for (const event of [...alice, ...bob]) await store.append([event], ['crm', 'siem']);
    const [alice1, alice2] = [lifecycleEvent('alice', 1), lifecycleEvent('alice', 2)];
    const bob1 = lifecycleEvent('bob', 1);

    const claimed = await store.claim('worker-1', T0, 60_000, 100);
    assert.deepEqual(idsOf(claimed), [deliveryId(alice1, 'crm'), deliveryId(alice1, 'siem'), deliveryId(bob1, 'crm'), deliveryId(bob1, 'siem')].sort());
    const claimedAlice = claimed.find((delivery) => delivery.id === deliveryId(alice1, 'crm'));
    assert.deepEqual(claimedAlice, { id: deliveryId(alice1, 'crm'), webhook: 'crm', event: alice1, attempts: 0 });

    assert.deepEqual(await store.claim('worker-1', T0, 60_000, 100), [], 'leased heads are not handed out again');
    await store.markDelivered(deliveryId(alice1, 'crm'), 'worker-1', T0);
    assert.deepEqual(idsOf(await store.claim('worker-1', T0, 60_000, 100)), [deliveryId(alice2, 'crm')]);
  });

  it('respects the limit', async () => {
    const { store } = freshStore();
    await store.append(['a', 'b', 'c'].map((user) => lifecycleEvent(user, 1)), ['crm']);
    assert.equal((await store.claim('worker-1', T0, 60_000, 2)).length, 2);
    assert.equal((await store.claim('worker-1', T0, 60_000, 2)).length, 1);
  });

  it('a failed event backing off blocks later events of its subject, not other subjects', async () => {
    const { store } = freshStore();
    const [alice1, alice2, bob1, bob2] = [lifecycleEvent('alice', 1), lifecycleEvent('alice', 2), lifecycleEvent('bob', 1), lifecycleEvent('bob', 2)] as [LifecycleEvent, LifecycleEvent, LifecycleEvent, LifecycleEvent];
    await store.append([alice1, alice2, bob1], ['crm']);
    assert.deepEqual(idsOf(await store.claim('worker-1', T0, 60_000, 10)), [deliveryId(alice1, 'crm'), deliveryId(bob1, 'crm')]);
    await store.markFailed(deliveryId(alice1, 'crm'), 'worker-1', at(HOUR), `HTTP 503 ${'x'.repeat(1_000)}`);
    await store.markDelivered(deliveryId(bob1, 'crm'), 'worker-1', T0);
    await store.append([bob2], ['crm']);

    assert.deepEqual(idsOf(await store.claim('worker-1', at(1_000), 60_000, 10)), [deliveryId(bob2, 'crm')], 'alice waits; bob goes on');
    await store.markDelivered(deliveryId(bob2, 'crm'), 'worker-1', at(1_000));
    const retried = await store.claim('worker-2', at(HOUR), 60_000, 10);
    assert.deepEqual(
      retried.map((delivery) => [delivery.id, delivery.attempts]),
      [[deliveryId(alice1, 'crm'), 1]],
      'after the backoff the failed event comes back, still ahead of the later one',
    );
  });

  it('records the failure, truncated', async () => {
    const { store, db } = freshStore();
    const event = lifecycleEvent('alice', 1);
    await store.append([event], ['crm']);
    await store.claim('worker-1', T0, 60_000, 10);
    await store.markFailed(deliveryId(event, 'crm'), 'worker-1', at(10), `HTTP 500 ${'x'.repeat(1_000)}`);
    const stored = await db.collection('deliveries').findOne({ _id: deliveryId(event, 'crm') as never });
    assert.equal(stored?.['attempts'], 1);
    assert.equal(String(stored?.['lastError']).length, 500);
    assert.deepEqual(stored?.['nextAttemptAt'], at(10));
  });

  it('two owners claiming concurrently never both get the same delivery (50 rounds)', async () => {
    const { store } = freshStore();
    for (let round = 0; round < 50; round += 1) {
      const batch = ['p', 'q', 'r'].map((user) => lifecycleEvent(`${user}-${round}`, 1));
      await store.append(batch, ['crm']);
      const now = at(round * 10);
      const [mine, theirs] = await Promise.all([store.claim('worker-1', now, 60_000, 10), store.claim('worker-2', now, 60_000, 10)]);
      const overlap = idsOf(mine).filter((id) => idsOf(theirs).includes(id));
      assert.deepEqual(overlap, [], `round ${round}: both owners claimed ${overlap.join(', ')}`);
      assert.deepEqual([...idsOf(mine), ...idsOf(theirs)].sort(), batch.map((event) => deliveryId(event, 'crm')).sort(), `round ${round}: every head is claimed`);
      for (const delivery of mine) await store.markDelivered(delivery.id, 'worker-1', now);
      for (const delivery of theirs) await store.markDelivered(delivery.id, 'worker-2', now);
    }
  });

  it('an expired lease is taken over; the former holder can no longer record a failure', async () => {
    const { store, db } = freshStore();
    const event = lifecycleEvent('alice', 1);
    await store.append([event], ['crm']);
    assert.equal((await store.claim('crashed', T0, 1_000, 10)).length, 1);
    assert.deepEqual(await store.claim('worker-2', at(999), 1_000, 10), [], 'still leased');
    const takenOver = await store.claim('worker-2', at(1_001), 1_000, 10);
    assert.deepEqual(takenOver.map((delivery) => [delivery.id, delivery.attempts]), [[deliveryId(event, 'crm'), 0]]);
    assert.deepEqual(await store.claim('worker-3', at(1_500), 1_000, 10), [], 'the new lease holds');

    await store.markFailed(deliveryId(event, 'crm'), 'crashed', at(HOUR), 'late report from the former holder');
    const stored = await db.collection('deliveries').findOne({ _id: deliveryId(event, 'crm') as never });
    assert.equal(stored?.['attempts'], 0, 'the superseded holder does not decide the attempt');
    await store.markDelivered(deliveryId(event, 'crm'), 'worker-2', at(1_600));
    assert.deepEqual(await store.claim('worker-3', at(HOUR), 1_000, 10), []);
  });

  it('release frees the owner’s leases at once, and only its own', async () => {
    const { store } = freshStore();
    await store.append([lifecycleEvent('alice', 1)], ['crm']);
    await store.append([lifecycleEvent('bob', 1)], ['crm']);
    const [aliceDelivery] = await store.claim('worker-1', T0, 60_000, 1);
    const [bobDelivery] = await store.claim('worker-2', T0, 60_000, 1);
    assert.ok(aliceDelivery && bobDelivery);
    assert.deepEqual(await store.claim('worker-3', at(1), 60_000, 10), []);
    await store.release('worker-1');
    assert.deepEqual(idsOf(await store.claim('worker-3', at(2), 60_000, 10)), [aliceDelivery.id]);
  });

  it('a finished attempt is not taken over by a claimer whose copy of the delivery is stale', async () => {
    const { store, db } = freshStore();
    const event = lifecycleEvent('alice', 1);
    await store.append([event], ['crm']);
    await store.claim('worker-1', T0, 1_000, 10);
    const staleCopy = await db.collection('deliveries').findOne({ _id: deliveryId(event, 'crm') as never });
    await store.markFailed(deliveryId(event, 'crm'), 'worker-1', at(HOUR), 'HTTP 500');
    // Put the pre-failure copy back, as a claimer that read just before the failure was stored would see it.
    await db.collection('deliveries').replaceOne({ _id: deliveryId(event, 'crm') as never }, staleCopy ?? {});
    assert.deepEqual(await store.claim('worker-2', at(5_000), 1_000, 10), [], 'attempt 0 is done, so nobody re-runs it early');
  });
});

describe('event store wiring', () => {
  it('createMongoStorage exposes the event store', async () => {
    const storage = await createMongoStorage({ uri: testDatabaseUri(uniqueDbName('event-store-wiring')) });
    try {
      const event = lifecycleEvent(randomUUID(), 1, 'user.provisioned');
      await storage.events.append([event], ['crm']);
      assert.deepEqual(await storage.events.forSubject(event.tenant, event.resourceId), [event]);
    } finally {
      await storage.close();
    }
  });
});
