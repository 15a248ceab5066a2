import assert from 'node:assert/strict';
import { MongoClient, type Collection } from 'mongodb';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';

/**
 * Concurrent read-modify-write commands on one document from two independent clients (what two
 * server processes on one engine are): each must see the other's write, as on MongoDB. FerretDB
 * 1.24 computes updates in Go between its read and its write; our patch 0003
 * (engine/ferretdb/patches/README.md) isolates them.
 */

interface Hot {
  _id: string;
  version: number;
  n: number;
  claims: string[];
  key?: string;
}

/** Concurrent workers per client. */
const WORKERS = 10;
/** Attempts per worker. */
const ATTEMPTS = 10;

describe('engine: write isolation across connections', function () {
  this.timeout(120_000);
  let clients: MongoClient[];
  let collections: Collection<Hot>[];

  before(async () => {
    const uri = testDatabaseUri(uniqueDbName('write-isolation'));
    // Two clients, two connection pools: nothing in this process orders their commands.
    clients = await Promise.all([MongoClient.connect(uri, { maxPoolSize: WORKERS }), MongoClient.connect(uri, { maxPoolSize: WORKERS })]);
    collections = clients.map((client) => client.db().collection<Hot>('hot'));
  });

  after(async () => {
    await clients[0]?.db().dropDatabase();
    await Promise.all(clients.map((client) => client.close()));
  });

  /** Runs `attempt` from WORKERS workers on each client, ATTEMPTS times each, and returns what they report. */
  async function hammer<T>(attempt: (collection: Collection<Hot>, worker: string) => Promise<T>): Promise<T[]> {
    const workers = collections.flatMap((collection, c) =>
      Array.from({ length: WORKERS }, async (_, w) => {
        const results: T[] = [];
        for (let i = 0; i < ATTEMPTS; i += 1) results.push(await attempt(collection, `${c}.${w}.${i}`));
        return results;
      }),
    );
    return (await Promise.all(workers)).flat();
  }

  it('a version-conditional findOneAndUpdate claims each version once: no two writers both match the same version', async () => {
    await collections[0]!.insertOne({ _id: 'cas', version: 0, n: 0, claims: [] });
    const claimed = await hammer(async (collection, worker) => {
      const current = await collection.findOne({ _id: 'cas' });
      const next = current!.version + 1;
      const updated = await collection.findOneAndUpdate({ _id: 'cas', version: current!.version }, { $set: { version: next }, $push: { claims: `${worker}@${next}` } }, { returnDocument: 'after' });
      return updated ? `${worker}@${next}` : undefined;
    });
    const acknowledged = claimed.filter((claim) => claim !== undefined);
    const stored = await collections[1]!.findOne({ _id: 'cas' });
    assert.ok(acknowledged.length > 0);
    assert.equal(stored!.version, acknowledged.length, `${acknowledged.length} writers were told they claimed a version, the document is at version ${stored!.version}`);
    assert.deepEqual([...stored!.claims].sort(), [...acknowledged].sort(), 'every acknowledged claim is stored');
  });

  it('concurrent $inc updates from both clients lose no increment', async () => {
    await collections[0]!.insertOne({ _id: 'inc', version: 0, n: 0, claims: [] });
    const modified = await hammer(async (collection) => (await collection.updateOne({ _id: 'inc' }, { $inc: { n: 1 } })).modifiedCount);
    const stored = await collections[1]!.findOne({ _id: 'inc' });
    assert.equal(modified.reduce((sum, count) => sum + count, 0), 2 * WORKERS * ATTEMPTS);
    assert.equal(stored!.n, 2 * WORKERS * ATTEMPTS);
  });

  it('a version-conditional delete racing a version-conditional update: exactly one of them succeeds', async () => {
    const rounds = Array.from({ length: 2 * WORKERS }, (_, round) => `race-${round}`);
    await collections[0]!.insertMany(rounds.map((_id) => ({ _id, version: 1, n: 0, claims: [] })));
    const outcomes = await Promise.all(
      rounds.map(async (_id) => {
        const [updated, deleted] = await Promise.all([
          collections[0]!.updateOne({ _id, version: 1 }, { $set: { version: 2 } }),
          collections[1]!.deleteOne({ _id, version: 1 }),
        ]);
        const stored = await collections[0]!.findOne({ _id });
        return { updated: updated.modifiedCount, deleted: deleted.deletedCount, stored: stored?.version ?? 'gone' };
      }),
    );
    for (const outcome of outcomes) {
      assert.equal(outcome.updated + outcome.deleted, 1, JSON.stringify(outcome));
      assert.equal(outcome.stored, outcome.updated === 1 ? 2 : 'gone', JSON.stringify(outcome));
    }
  });

  it('concurrent upserts of one filter from both clients insert one document', async () => {
    const keys = Array.from({ length: 2 * WORKERS }, (_, key) => `upsert-${key}`);
    await Promise.all(keys.flatMap((key) => collections.map((collection) => collection.updateOne({ key }, { $setOnInsert: { version: 1, n: 0, claims: [] } }, { upsert: true }))));
    for (const key of keys) assert.equal(await collections[0]!.countDocuments({ key }), 1, key);
  });
});
