import assert from 'node:assert/strict';
import { Long, MongoBulkWriteError, MongoClient, ObjectId, type Collection, type Document } from 'mongodb';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';

/**
 * Engine patch 0007 (engine/ferretdb/patches/README.md): the embedded engine refuses a write that
 * would break the promise an index name makes (patches 0005, 0006), instead of storing a document
 * that makes pushed-down results wrong. A `scalar_` field is missing, null or one string, objectId,
 * date, bool or number; the last field of an `elements_` index is missing, a string or an array of
 * strings. MongoDB treats the names as names and stores these documents, so the refusals are the
 * embedded engine's; the writes that keep the promises pass on both.
 */

interface Doc {
  _id: string;
  tenant?: unknown;
  at?: unknown;
  tags?: unknown;
  note?: unknown;
}

const AT = new Date(Date.UTC(2026, 11, 4));
const DOCUMENT_VALIDATION_FAILURE = 121;

/** Documents that keep both promises, with fields left out, null, a single tag and an empty list. */
const KEPT: Doc[] = [
  { _id: 'k-missing' },
  { _id: 'k-strings', tenant: 'a', at: AT, tags: ['x', 'y'] },
  { _id: 'k-string', tenant: 'a', at: new Date(AT.getTime() + 1000), tags: 'x' },
  { _id: 'k-null', tenant: 'b', at: null, tags: [] },
  // fields outside the promises may hold anything
  { _id: 'k-free', tenant: 'a', note: [1, { any: ['thing'] }] },
];

/** [what, fields] that break a promise, each stored on its own document. */
const BROKEN: [string, Partial<Doc>][] = [
  ['an array in a scalar_ field', { at: [AT] }],
  ['an array of one string in a scalar_ field', { tenant: ['a'] }],
  ['an embedded document in a scalar_ field', { at: { day: AT } }],
  ['a number as the elements_ field', { tags: 5 }],
  ['null as the elements_ field', { tags: null }],
  ['an embedded document as the elements_ field', { tags: { x: 'y' } }],
  ['a number among the elements', { tags: ['x', 5] }],
  ['an embedded document among the elements', { tags: [{ value: 'x' }] }],
];

/** The update operators an application could break a promise with, given the broken fields. */
const BREAKING_UPDATES: [string, (fields: Partial<Doc>) => Document][] = [
  ['$set', (fields) => ({ $set: fields })],
  ['replacement', (fields) => ({ tenant: 'a', ...fields })],
];

function assertRefused(error: unknown, field: string): true {
  const refused = error as { code?: number; message?: string; writeErrors?: unknown };
  assert.equal(refused.code, DOCUMENT_VALIDATION_FAILURE, String(refused.message));
  assert.match(String(refused.message), new RegExp(`field "${field}" .* promises the embedded engine`));
  return true;
}

describe('engine: writes that break a scalar_ or elements_ promise are refused (patch 0007)', () => {
  let client: MongoClient;
  let docs: Collection<Doc>;
  const embedded = !process.env.MONGODB_URI;

  before(async () => {
    client = await MongoClient.connect(testDatabaseUri(uniqueDbName('index-promises')));
    docs = client.db().collection<Doc>('docs');
    await docs.createIndex({ tenant: 1, at: 1 }, { name: 'scalar_tenant_at' });
    await docs.createIndex({ tenant: 1, tags: 1 }, { name: 'elements_tenant_tags' });
  });
  beforeEach(async () => {
    await docs.deleteMany({});
    await docs.insertMany(KEPT.map((doc) => ({ ...doc })));
  });
  after(async () => {
    await client.db().dropDatabase();
    await client.close();
  });

  const stored = (): Promise<Doc[]> => docs.find().sort({ _id: 1 }).toArray();
  const keptSorted = [...KEPT].sort((a, b) => a._id.localeCompare(b._id));

  it('documents that keep the promises are stored, and updates that keep them are applied', async () => {
    assert.deepEqual(await stored(), keptSorted);
    await docs.updateOne({ _id: 'k-missing' }, { $set: { tenant: 'b', at: AT, tags: ['z'] } });
    await docs.updateOne({ _id: 'k-strings' }, { $push: { tags: 'w' }, $unset: { at: '' } } as Document);
    await docs.updateOne({ _id: 'k-null' }, { $set: { tags: 'x' } });
    await docs.replaceOne({ _id: 'k-string' }, { tenant: 'c', tags: [] });
    await docs.updateOne({ _id: 'k-new' }, { $set: { tenant: 'd', tags: ['v'] } }, { upsert: true });
    assert.deepEqual(await docs.find({ tags: 'w' }, { projection: { _id: 1 } }).toArray(), [{ _id: 'k-strings' }]);
    assert.deepEqual(await docs.find({ tenant: 'd', tags: 'v' }).toArray(), [{ _id: 'k-new', tenant: 'd', tags: ['v'] }]);
    assert.deepEqual(await docs.findOne({ _id: 'k-missing' }), { _id: 'k-missing', tenant: 'b', at: AT, tags: ['z'] });
  });

  it('a scalar_ field takes one value of each type whose SQL value orders like it does in MongoDB', async () => {
    // One type per field across documents is the application's promise (the engine checks what one
    // document shows), so each type goes into a collection of its own.
    const values: unknown[] = [null, 'text', new ObjectId(), AT, true, 7, Long.fromNumber(2 ** 40), 2.5];
    for (const [i, value] of values.entries()) {
      const typed = client.db().collection(`typed_${i}`);
      await typed.createIndex({ value: 1 }, { name: 'scalar_value' });
      await typed.insertOne({ _id: 'one', value } as Document);
      assert.deepEqual(await typed.findOne({}, { promoteLongs: false }), { _id: 'one', value }, String(value));
    }
  });

  for (const [what, fields] of BROKEN) {
    const field = Object.keys(fields)[0]!;

    it(`insert of ${what}: refused with DocumentValidationFailure, nothing stored`, async function () {
      if (!embedded) this.skip();
      await assert.rejects(docs.insertOne({ _id: 'broken', tenant: 'a', ...fields }), (error) => assertRefused(error, field));
      assert.deepEqual(await stored(), keptSorted);
    });

    for (const [how, update] of BREAKING_UPDATES) {
      it(`update (${how}) to ${what}: refused, the document unchanged`, async function () {
        if (!embedded) this.skip();
        const write = how === 'replacement' ? docs.replaceOne({ _id: 'k-strings' }, update(fields)) : docs.updateOne({ _id: 'k-strings' }, update(fields));
        await assert.rejects(write, (error) => assertRefused(error, field));
        assert.deepEqual(await stored(), keptSorted);
      });
    }

    it(`upsert of ${what}: refused, nothing inserted`, async function () {
      if (!embedded) this.skip();
      await assert.rejects(docs.updateOne({ _id: 'upserted' }, { $set: fields }, { upsert: true }), (error) => assertRefused(error, field));
      await assert.rejects(docs.findOneAndUpdate({ _id: 'upserted' }, { $set: fields }, { upsert: true }), (error) => assertRefused(error, field));
      assert.deepEqual(await stored(), keptSorted);
    });
  }

  it('$push of a number onto the elements_ field: refused, the document unchanged', async function () {
    if (!embedded) this.skip();
    await assert.rejects(docs.updateOne({ _id: 'k-strings' }, { $push: { tags: 7 } } as Document), (error) => assertRefused(error, 'tags'));
    await assert.rejects(docs.findOneAndUpdate({ _id: 'k-strings' }, { $push: { tags: 7 } } as Document), (error) => assertRefused(error, 'tags'));
    assert.deepEqual(await stored(), keptSorted);
  });

  for (const ordered of [true, false]) {
    it(`insertMany (${ordered ? 'ordered' : 'unordered'}): the broken document is a write error of its own`, async function () {
      if (!embedded) this.skip();
      const batch: Doc[] = [{ _id: 'm1', tenant: 'a' }, { _id: 'm2', at: [AT] }, { _id: 'm3', tags: ['x'] }];
      const error = await docs.insertMany(batch, { ordered }).then(
        () => assert.fail('the batch was stored whole'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof MongoBulkWriteError);
      assert.deepEqual([error.writeErrors].flat().map((e) => [e.index, e.code]), [[1, DOCUMENT_VALIDATION_FAILURE]]);
      const expected = ordered ? ['m1'] : ['m1', 'm3'];
      assert.deepEqual((await docs.find({ _id: { $in: ['m1', 'm2', 'm3'] } }).sort({ _id: 1 }).toArray()).map((doc) => doc._id), expected);
    });
  }
});
