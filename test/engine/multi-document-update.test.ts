import assert from 'node:assert/strict';
import { MongoClient, type Collection } from 'mongodb';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';

/**
 * Multi-document updates: every matched document is changed exactly once and the counts are
 * MongoDB's. Our engine patch 0004 writes modified documents 100 per transaction, so these sizes
 * cross its batch boundary (engine/ferretdb/patches/README.md).
 */

interface Doc {
  _id: string;
  tenant: string;
  n: number;
  tags: string[];
}

describe('engine: updateMany writes every matched document once', function () {
  this.timeout(60_000);
  let client: MongoClient;
  let docs: Collection<Doc>;

  before(async () => {
    client = await MongoClient.connect(testDatabaseUri(uniqueDbName('multi-update')));
    docs = client.db().collection<Doc>('docs');
  });
  after(async () => {
    await client.db().dropDatabase();
    await client.close();
  });

  for (const size of [1, 99, 100, 101, 250]) {
    it(`changes all ${size} of ${size} matched documents, counting each once, and nothing else`, async () => {
      const ids = Array.from({ length: size }, (_, i) => `s${size}-${String(i).padStart(4, '0')}`);
      await docs.insertMany([...ids.map((_id) => ({ _id, tenant: 'a', n: 0, tags: [] })), { _id: `s${size}-other`, tenant: 'b', n: 0, tags: [] }]);
      const result = await docs.updateMany({ _id: { $in: [...ids, `s${size}-other`] }, tenant: 'a' }, { $inc: { n: 1 }, $addToSet: { tags: 'x' } });
      assert.equal(result.matchedCount, size);
      assert.equal(result.modifiedCount, size);
      const stored = await docs.find({ _id: { $in: ids } }).toArray();
      assert.ok(stored.every((doc) => doc.n === 1 && doc.tags.length === 1), 'each matched document changed once');
      assert.equal((await docs.findOne({ _id: `s${size}-other` }))?.n, 0);
    });
  }

  it('counts documents that already hold the change as matched, not modified', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `same-${i}`);
    await docs.insertMany(ids.map((_id, i) => ({ _id, tenant: 'a', n: 0, tags: i % 2 === 0 ? ['y'] : [] })));
    const result = await docs.updateMany({ _id: { $in: ids } }, { $addToSet: { tags: 'y' } });
    assert.equal(result.matchedCount, 150);
    assert.equal(result.modifiedCount, 75);
    assert.equal(await docs.countDocuments({ _id: { $in: ids }, tags: 'y' }), 150);
  });
});
