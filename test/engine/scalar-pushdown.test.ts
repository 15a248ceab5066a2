import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MongoClient, type Collection, type Document, type Filter, type Sort } from 'mongodb';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';

/**
 * Engine patches 0005 and 0006 (engine/ferretdb/patches/README.md) push conditions, sorts, skips
 * and counts on the fields of `scalar_` indexes, and string equality on the array field of
 * `elements_` indexes, down to SQLite. The oracle is the same engine without the promise: two
 * collections hold the same documents, one with those indexes, one with the same keys under
 * ordinary names (read by FerretDB's own filter and sort code). Every query must answer the same.
 * On MongoDB both collections are ordinary, and the comparison still holds.
 */

interface Doc {
  _id: string;
  tenant: string;
  at?: Date;
  n?: number;
  flag?: boolean;
  name?: string;
  tags?: string[] | string;
  nested: { name?: string };
}

const TENANTS = ['a', 'b', 'c'];
const NAMES = ['ann', 'Bob', 'bob', 'céline', 'x<y', 'a b', 'a"b', ''];
const BASE = Date.UTC(2026, 0, 1);
const FIELDS = ['tenant', 'at', 'n', 'flag', 'name', '_id'] as const;
type Field = (typeof FIELDS)[number];

/** Deterministic documents that keep the promise: one type per field, never an array, some fields missing. */
function documents(count: number): Doc[] {
  return Array.from({ length: count }, (_, i) => {
    const doc: Doc = { _id: `d${String((i * 7919) % 10007).padStart(5, '0')}`, tenant: TENANTS[i % 3]!, nested: {} };
    // tags: missing, a string, or an array of strings (the elements_ promise)
    if (i % 9 === 1) doc.tags = NAMES[i % NAMES.length]!;
    else if (i % 9 !== 0) doc.tags = Array.from({ length: i % 4 }, (_, k) => NAMES[(i + k * 5) % NAMES.length]!);
    if (i % 11 !== 0) doc.at = new Date(BASE + ((i * 104729) % 500) * 1000);
    if (i % 7 !== 0) doc.n = (i * 31) % 50 - 10;
    if (i % 5 !== 0) doc.flag = i % 2 === 0;
    if (i % 13 !== 0) doc.name = NAMES[(i * 3) % NAMES.length]!;
    if (i % 4 === 0) doc.nested.name = NAMES[i % NAMES.length]!;
    return doc;
  });
}

const value: Record<Field, fc.Arbitrary<unknown>> = {
  tenant: fc.constantFrom(...TENANTS, 'z'),
  at: fc.integer({ min: -5, max: 505 }).map((s) => new Date(BASE + s * 1000)),
  n: fc.integer({ min: -12, max: 42 }),
  flag: fc.boolean(),
  name: fc.constantFrom(...NAMES, 'bo', 'zz'),
  _id: fc.integer({ min: 0, max: 10007 }).map((i) => `d${String(i).padStart(5, '0')}`),
};

/** A condition on one scalar field: equality, comparisons, $in, or an operator left to the handler. */
function condition(field: Field): fc.Arbitrary<Filter<Doc>> {
  const v = value[field];
  return fc.oneof(
    v.map((x) => ({ [field]: x })),
    fc.tuple(fc.constantFrom('$gt', '$gte', '$lt', '$lte', '$eq'), v).map(([op, x]) => ({ [field]: { [op]: x } })),
    fc.tuple(v, v).map(([lo, hi]) => ({ [field]: { $gte: lo, $lt: hi } })),
    fc.array(v, { minLength: 1, maxLength: 4 }).map((xs) => ({ [field]: { $in: xs } })),
    v.map((x) => ({ [field]: { $ne: x } })),
    fc.boolean().map((exists) => ({ [field]: { $exists: exists } })),
    fc.constant({ [field]: null }),
  ) as fc.Arbitrary<Filter<Doc>>;
}

const tag = fc.constantFrom(...NAMES, 'touched', 'zz');

/** Conditions on the elements field: string equality and `$in` are pushed down, the rest is not. */
const onTags: fc.Arbitrary<Filter<Doc>> = fc.oneof(
  tag.map((x) => ({ tags: x })),
  tag.map((x) => ({ tags: { $eq: x } })),
  fc.array(tag, { minLength: 1, maxLength: 3 }).map((xs) => ({ tags: { $in: xs } })),
  fc.constant({ tags: { $size: 1 } }),
  fc.constant({ tags: { $exists: false } }),
  tag.map((x) => ({ tags: { $ne: x } })),
);

/** Conditions on fields outside the promise, which the engine must leave to its own filter. */
const unpromised: fc.Arbitrary<Filter<Doc>> = fc.oneof(
  fc.constantFrom(...NAMES).map((x) => ({ 'nested.name': x })),
  fc.constantFrom(...NAMES).map((x) => ({ nested: { name: x } })),
);

const filterArb: fc.Arbitrary<Filter<Doc>> = fc.letrec<{ filter: Filter<Doc> }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(...FIELDS).chain(condition),
    onTags,
    unpromised,
    fc.array(tie('filter'), { minLength: 1, maxLength: 3 }).map((parts) => Object.assign({}, ...parts) as Filter<Doc>),
    fc.array(tie('filter'), { minLength: 1, maxLength: 3 }).map((parts) => ({ $and: parts })),
    fc.array(tie('filter'), { minLength: 1, maxLength: 2 }).map((parts) => ({ $or: parts })),
  ),
})).filter;

/** A sort on some fields, ending in _id so that both engines agree on ties. */
const sortArb: fc.Arbitrary<Sort> = fc
  .tuple(fc.uniqueArray(fc.constantFrom('tenant', 'at', 'n', 'flag', 'name', 'tags', 'nested.name'), { maxLength: 3 }), fc.array(fc.constantFrom(1, -1), { minLength: 4, maxLength: 4 }))
  .map(([keys, directions]) => Object.fromEntries([...keys.map((key, i) => [key, directions[i]!]), ['_id', directions[3]!]]) as Sort);

describe('engine: pushdown on scalar index fields answers like the engine without it', function () {
  this.timeout(300_000);
  let client: MongoClient;
  let scalar: Collection<Doc>;
  let plain: Collection<Doc>;

  before(async () => {
    client = await MongoClient.connect(testDatabaseUri(uniqueDbName('scalar-pushdown')));
    scalar = client.db().collection<Doc>('scalar');
    plain = client.db().collection<Doc>('plain');
    const indexes: [Document, string][] = [
      [{ tenant: 1, at: 1, _id: 1 }, 'tenant_at_id'],
      [{ tenant: 1, name: 1 }, 'tenant_name'],
      [{ n: -1, flag: 1 }, 'n_flag'],
    ];
    await scalar.createIndex({ tenant: 1, tags: 1 }, { name: 'elements_tenant_tags' });
    await plain.createIndex({ tenant: 1, tags: 1 }, { name: 'tenant_tags' });
    for (const [key, name] of indexes) {
      await scalar.createIndex(key, { name: `scalar_${name}` });
      await plain.createIndex(key, { name });
    }
    const docs = documents(600);
    await scalar.insertMany(docs.map((doc) => ({ ...doc })));
    await plain.insertMany(docs.map((doc) => ({ ...doc })));
  });
  after(async () => {
    await client.db().dropDatabase();
    await client.close();
  });

  const ids = (docs: Doc[]): string[] => docs.map((doc) => doc._id);

  it('find: the same documents in the same order, with skip and limit', async () => {
    await fc.assert(
      fc.asyncProperty(filterArb, sortArb, fc.nat(30), fc.integer({ min: 0, max: 40 }), async (filter, sort, skip, limit) => {
        const [expected, actual] = await Promise.all([plain, scalar].map((c) => c.find(filter).sort(sort).skip(skip).limit(limit).toArray()));
        assert.deepEqual(ids(actual!), ids(expected!), JSON.stringify({ filter, sort, skip, limit }));
      }),
      { numRuns: 300 },
    );
  });

  it('countDocuments: the same count, also when nothing matches', async () => {
    let empty = 0;
    await fc.assert(
      fc.asyncProperty(filterArb, async (filter) => {
        const [expected, actual] = await Promise.all([plain, scalar].map((c) => c.countDocuments(filter)));
        if (expected === 0) empty++;
        assert.equal(actual, expected, JSON.stringify(filter));
      }),
      { numRuns: 300 },
    );
    assert.ok(empty > 0, 'some filters matched nothing');
  });

  it('updates, deletes and findOneAndUpdate narrowed by pushed-down conditions touch the same documents', async () => {
    const filter = { tenant: 'b', at: { $gte: new Date(BASE + 100_000), $lt: new Date(BASE + 300_000) } };
    for (const c of [plain, scalar]) {
      await c.updateMany({ ...filter, tags: { $type: 'array' } }, { $push: { tags: 'touched' } } as never);
      await c.updateMany({ tenant: 'c', tags: 'Bob' }, { $set: { tags: 'bob' } });
      await c.updateMany({ tags: { $in: ['ann', 'x<y'], $type: 'array' } }, { $pull: { tags: 'ann' } } as never);
      await c.findOneAndUpdate({ tenant: 'c', n: { $gt: 30 } }, { $set: { name: 'first' } }, { sort: { n: 1, _id: 1 } });
      await c.deleteMany({ tenant: 'a', flag: false, n: { $lte: 0 } });
      await c.deleteMany({ tags: 'céline', tenant: 'b' });
    }
    const [expected, actual] = await Promise.all([plain, scalar].map((c) => c.find({}).sort({ _id: 1 }).toArray()));
    assert.deepEqual(actual, expected);
  });

  it('the elements of an array field are found after writes, and after the index is dropped and created again', async () => {
    const queries: Filter<Doc>[] = ['touched', 'bob', 'Bob', 'ann', 'céline', 'a b'].flatMap((x) => [{ tags: x }, { tenant: 'b', tags: x }]);
    const same = async (when: string) => {
      for (const query of queries) {
        const [expected, actual] = await Promise.all([plain, scalar].map((c) => c.find(query).sort({ _id: 1 }).toArray()));
        assert.deepEqual(ids(actual!), ids(expected!), `${when}: ${JSON.stringify(query)}`);
        assert.equal(await scalar.countDocuments(query), expected!.length, `${when}: count ${JSON.stringify(query)}`);
      }
    };
    await same('after the writes');
    await scalar.dropIndex('elements_tenant_tags');
    await same('without the index');
    await scalar.createIndex({ tenant: 1, tags: 1 }, { name: 'elements_tenant_tags' });
    await same('after creating it again over existing documents');
  });

  it('a dropped collection leaves nothing behind for a new one of the same name', async () => {
    const again = client.db().collection<{ _id: string; tags: string[] }>('again');
    for (const [round, tags] of [['first', ['old']], ['second', ['new']]] as const) {
      await again.createIndex({ tags: 1 }, { name: 'elements_tags' });
      await again.insertMany([{ _id: `${round}-1`, tags: [...tags] }]);
      assert.deepEqual(await again.find({ tags: { $in: ['old', 'new'] } }).toArray(), [{ _id: `${round}-1`, tags: [...tags] }], round);
      assert.equal(await again.countDocuments({ tags: 'old' }), round === 'first' ? 1 : 0, round);
      await again.drop();
    }
  });

  it('plans: conditions and sorts on a scalar index use it; others are left to the handler', async function () {
    if (process.env.MONGODB_URI) this.skip(); // the plan is the embedded engine's
    const explain = async (filter: Document, sort: Document): Promise<{ filterPushdown: boolean; sortPushdown: boolean; plan: string }> => {
      const res = await client.db().command({ explain: { find: 'scalar', filter, sort } });
      return { filterPushdown: res.filterPushdown as boolean, sortPushdown: res.sortPushdown as boolean, plan: JSON.stringify(res.queryPlanner) };
    };
    const delta = await explain({ tenant: 'a', at: { $gt: new Date(BASE) } }, { at: 1, _id: 1 });
    assert.equal(delta.filterPushdown, true);
    assert.equal(delta.sortPushdown, true);
    assert.match(delta.plan, /USING INDEX \S+_scalar_tenant_at_id/);
    const keyset = await explain({ $and: [{ tenant: 'a' }, { at: { $gte: new Date(BASE) }, $or: [{ at: { $gt: new Date(BASE) } }, { at: new Date(BASE), _id: { $gt: 'd' } }] }] }, { at: -1, _id: -1 });
    assert.match(keyset.plan, /USING INDEX \S+_scalar_tenant_at_id/);
    const byIds = await explain({ _id: { $in: ['d00001', 'd00002', 'd00003'] }, tenant: 'a', at: { $gt: new Date(BASE) } }, { at: 1 });
    assert.match(byIds.plan, /USING INDEX \S+__id_ /, 'an _id lookup beside scalar conditions keeps to the _id index');
    const byTag = await explain({ tenant: 'a', tags: 'ann' }, { at: 1, _id: 1 });
    assert.match(byTag.plan, /SEARCH \S+_elements_tenant_tags USING COVERING INDEX/, 'a tag is looked up in the side table');
    assert.match(byTag.plan, /SEARCH scalar_\w+ USING INDEX \S+__id_ /, 'and its documents by _id');
    assert.doesNotMatch(byTag.plan, /SCAN/);
    const unsorted = await explain({ tenant: 'a' }, { 'nested.name': 1 });
    assert.equal(unsorted.sortPushdown, false);
    const plainPlan = JSON.stringify((await client.db().command({ explain: { find: 'plain', filter: { tenant: 'a' }, sort: { at: 1 } } })).queryPlanner);
    assert.match(plainPlan, /SCAN/, 'ordinary indexes are not pushed down');
  });
});
