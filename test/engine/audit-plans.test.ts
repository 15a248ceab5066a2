import assert from 'node:assert/strict';
import { MongoClient, type Db, type Document } from 'mongodb';
import type { AuditEntry } from '../../src/lifecycle/types.js';
import type { AuditQuery } from '../../src/store/contract.js';
import { auditFilter, auditSort, createAuditStore } from '../../src/store/mongo/audit-store.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';

/**
 * An audit page must read about one page of index entries however long the trail is: every query
 * shape the admin API sends is answered from an index in page order. On the embedded engine, from
 * SQLite through the `scalar_` indexes (no table scan, no sort of the matches); with several
 * equality fields, through the index of the one that leads (the most selective as a rule). On
 * MongoDB, by an index scan (without a blocking sort when one field or none is named).
 */

const BASE = Date.UTC(2026, 0, 1);
const FIELDS = ['resourceId', 'actor', 'operation', 'resourceType'] as const;

function entry(n: number): AuditEntry {
  return {
    id: `e${String(n).padStart(5, '0')}`,
    at: new Date(BASE + n * 1000),
    tenant: n % 4 === 0 ? 'other' : 'default',
    actor: ['okta', 'entra', 'admin'][n % 3]!,
    requestId: `r${n}`,
    operation: (['create', 'patch', 'delete'] as const)[n % 3]!,
    resourceType: (['User', 'Group', 'Token'] as const)[n % 3]!,
    resourceId: `res-${n % 50}`,
    before: null,
    after: { active: true },
    grantsAdded: [],
    grantsRevoked: [],
    events: [],
  };
}

describe('audit trail: every query shape is answered from an index', () => {
  let client: MongoClient;
  let db: Db;
  const embedded = !process.env.MONGODB_URI;

  before(async () => {
    client = await new MongoClient(testDatabaseUri(uniqueDbName('audit-plans'))).connect();
    db = client.db();
    // An index of an earlier design, which only slows appends: the store drops it.
    await db.collection('audit').createIndex({ tenant: 1, at: 1 });
    const store = createAuditStore(db);
    await store.ensureIndexes();
    await store.append(Array.from({ length: 600 }, (_, n) => entry(n)));
  });

  after(async () => {
    await db.dropDatabase();
    await client.close();
  });

  const values: Pick<AuditQuery, (typeof FIELDS)[number]> = { resourceId: 'res-7', actor: 'admin', operation: 'delete', resourceType: 'Token' };
  const range = { since: new Date(BASE + 100_000), until: new Date(BASE + 400_000) };
  const position = { at: new Date(BASE + 300_000), id: 'e00300' };

  /** Every shape: no field, each field, each pair, all four; each alone, with a time range and with a keyset position; both orders. */
  function shapes(): { query: AuditQuery; leading: string }[] {
    const sets: (typeof FIELDS)[number][][] = [[], ...FIELDS.map((field) => [field])];
    for (const [i, first] of FIELDS.entries()) for (const second of FIELDS.slice(i + 1)) sets.push([first, second]);
    sets.push([...FIELDS]);
    const result: { query: AuditQuery; leading: string }[] = [];
    for (const fields of sets) {
      const leading = FIELDS.find((field) => fields.includes(field)) ?? '';
      for (const extra of [{}, range, { after: position }, { ...range, after: position }]) {
        for (const order of ['newest', 'oldest'] as const) {
          const query: AuditQuery = { tenant: 'default', order, limit: 11, ...extra, ...Object.fromEntries(fields.map((field) => [field, values[field]])) };
          result.push({ query, leading });
        }
      }
    }
    return result;
  }

  it('the collection holds exactly the named indexes', async () => {
    const names = (await db.collection('audit').listIndexes().toArray()).map((index) => String(index['name'])).sort();
    assert.deepEqual(names, ['_id_', 'scalar_tenant_actor_at_id', 'scalar_tenant_at_id', 'scalar_tenant_operation_at_id', 'scalar_tenant_resourceId_at_id', 'scalar_tenant_resourceType_at_id']);
  });

  it('each shape reads its leading field’s index in page order (and answers what a full read would)', async () => {
    const everything = (await db.collection('audit').find({}).toArray()) as Document[];
    for (const { query, leading } of shapes()) {
      const label = JSON.stringify(query);
      const plan = (await db.command({ explain: { find: 'audit', filter: auditFilter(query), sort: auditSort(query), limit: query.limit } })) as Document;
      const text = JSON.stringify(plan['queryPlanner']);
      if (embedded) {
        assert.equal(plan['filterPushdown'], true, label);
        assert.equal(plan['sortPushdown'], true, label);
        const index = leading === '' ? 'scalar_tenant_at_id' : `scalar_tenant_${leading}_at_id`;
        assert.match(text, new RegExp(`SEARCH \\S+ USING INDEX \\S+_${index} `), `${label}: ${text}`);
        assert.doesNotMatch(text, /SCAN|TEMP B-TREE/, `${label}: ${text}`);
      } else {
        assert.match(text, /IXSCAN/, `${label}: ${text}`);
        assert.doesNotMatch(text, /COLLSCAN/, `${label}: ${text}`);
        // With several equality fields MongoDB's planner may prefer another plan it measured; with one, the index gives the order.
        if (leading === '' || FIELDS.filter((field) => query[field] !== undefined).length === 1) assert.doesNotMatch(text, /"stage":"SORT"/, `${label}: ${text}`);
      }
      const docs = await db.collection('audit').find(auditFilter(query) as Document).sort(auditSort(query)).limit(query.limit).toArray();
      const direction = query.order === 'newest' ? -1 : 1;
      const expected = everything
        .filter((doc) => doc['tenant'] === 'default' && FIELDS.every((field) => query[field] === undefined || doc[field] === query[field]))
        .filter((doc) => (!query.since || doc['at'] >= query.since) && (!query.until || doc['at'] < query.until))
        .filter((doc) => !query.after || direction * (doc['at'].getTime() - query.after.at.getTime() || (doc['_id'] > query.after.id ? 1 : -1)) > 0)
        .sort((a, b) => direction * (a['at'].getTime() - b['at'].getTime()))
        .slice(0, query.limit)
        .map((doc) => doc['_id']);
      assert.deepEqual(
        docs.map((doc) => doc['_id']),
        expected,
        label,
      );
    }
  });
});
