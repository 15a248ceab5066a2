import { strict as assert } from 'node:assert';
import { MongoClient } from 'mongodb';
import { startTestApp, sweep, user, type TestApp } from '../support/app.js';
import { testDatabaseUri } from '../support/engine.js';
import { leaveBehind as leavePending, type PendingForm } from '../support/pending-entries.js';

/**
 * A crash between a write and its relay leaves the audit entry and events in the document; the
 * sweep relays them. Entries are stored as JSON text; documents from before that hold objects.
 */
describe('relay sweep: entries a crash left in a document', function () {
  this.timeout(60_000);
  let t: TestApp;
  let client: MongoClient;
  before(async () => {
    t = await startTestApp('relay-sweep');
    client = await MongoClient.connect(testDatabaseUri(t.dbName!));
  });
  after(async () => {
    await client.close();
    await t.close();
  });

  const leaveBehind = (id: string, stored: PendingForm) => leavePending(client, t.dbName!, id, stored);

  for (const stored of ['text', 'objects'] as const) {
    it(`relays entries stored as ${stored} to the audit trail and event log, with their dates, and clears them`, async () => {
      const id = String((await t.scim.post('/Users').send(user(`sweep-${stored}@example.com`))).body.id);
      const { auditId, eventId, at: longAgo } = await leaveBehind(id, stored);
      assert.ok((await sweep(t, new Date())) >= 1);
      const audit = (await t.storage.audit.query({ tenant: 'default', resourceId: id, limit: 10 })).find((entry) => entry.id === auditId);
      assert.ok(audit, 'the audit entry is stored');
      assert.equal(audit.at.toISOString(), longAgo.toISOString());
      const event = (await t.storage.events.forSubject('default', id)).find((candidate) => candidate.id === eventId);
      assert.ok(event, 'the event is stored');
      assert.equal(event.occurredAt.toISOString(), longAgo.toISOString());
      const raw = await client.db(t.dbName).collection<{ _id: string; hasPending?: boolean; pending?: { events: unknown[]; audit: unknown[] } }>('users').findOne({ _id: id });
      assert.equal(raw?.hasPending, false);
      assert.deepEqual(raw?.pending, { events: [], audit: [] });
    });
  }

  it('leaves documents written after the cut-off to the request that wrote them', async () => {
    const id = String((await t.scim.post('/Users').send(user('sweep-recent@example.com'))).body.id);
    const { at: longAgo } = await leaveBehind(id, 'text');
    assert.equal(await sweep(t, new Date(longAgo.getTime() - 1)), 0);
    assert.equal((await t.storage.audit.query({ tenant: 'default', resourceId: id, limit: 10 })).length, 1, 'only the create is stored');
  });
});
