import type { Db, Filter, IndexSpecification, Sort } from 'mongodb';
import type { AuditEntry } from '../../lifecycle/types.js';
import type { AuditQuery, AuditStore } from '../contract.js';
import { noCollectionYet } from './index-names.js';
import { insertNew } from './insert-new.js';

type AuditDocument = Omit<AuditEntry, 'id'> & { _id: string };

/** The fields a query may name with equality; each leads an index of its own. */
const EQUALITY_FIELDS = ['resourceId', 'actor', 'operation', 'resourceType'] as const;

/**
 * One index per filter field, each followed by `at` and `_id`, the order of every page: a query on
 * one field (or none) reads its range of one index in page order and stops after the page, on both
 * engines. Every field is a string or a date in every entry and never an array (the AuditEntry type,
 * and `append` stores `at` as a date), so the names may promise it (`scalar_`): the embedded engine
 * then answers conditions and sorts from SQLite (engine patch 0005) instead of decoding the trail.
 *
 * A query naming several fields reads one field's index range and checks the other conditions on
 * the rows it reads (in SQL on the embedded engine). MongoDB's planner picks the index by trying
 * them; SQLite has no statistics, and of equally good indexes it takes the one created last. So
 * they are created from the least to the most selective field as a rule (a resource has a handful
 * of entries; most come from one or two IdP connectors; a few operations and resource types make
 * up most of the trail), and test/engine/audit-plans.test.ts holds SQLite to it.
 */
const AUDIT_INDEXES: { name: string; key: IndexSpecification }[] = [
  { name: 'scalar_tenant_at_id', key: { tenant: 1, at: 1, _id: 1 } },
  ...[...EQUALITY_FIELDS].reverse().map((field) => ({ name: `scalar_tenant_${field}_at_id`, key: { tenant: 1, [field]: 1, at: 1, _id: 1 } })),
];

/**
 * The filter of one page. Conditions the embedded engine pushes down sit at the top level; the
 * keyset's `$or` (same `at`, further `_id`) is not pushed down, so a plain bound on `at` beside it
 * starts the index scan at the position. `at` gets at most one lower and one upper bound, the
 * tighter of the time range's and the position's: with more, SQLite (which has no statistics)
 * takes the range on `at` for more selective than an equality and reads the (tenant, at) index.
 */
export function auditFilter(query: AuditQuery): Filter<AuditDocument> {
  const filter: Record<string, unknown> = { tenant: query.tenant };
  for (const field of EQUALITY_FIELDS) {
    const value = query[field];
    if (value !== undefined) filter[field] = value;
  }
  let lower: Record<string, Date> = query.since ? { $gte: query.since } : {};
  let upper: Record<string, Date> = query.until ? { $lt: query.until } : {};
  if (query.after) {
    const { at, id } = query.after;
    const newest = (query.order ?? 'oldest') === 'newest';
    if (newest && !(query.until && query.until <= at)) upper = { $lte: at };
    if (!newest && !(query.since && query.since > at)) lower = { $gte: at };
    const beyond = newest ? '$lt' : '$gt';
    filter['$or'] = [{ at: { [beyond]: at } }, { at, _id: { [beyond]: id } }];
  }
  if (query.since || query.until || query.after) filter['at'] = { ...lower, ...upper };
  return filter as Filter<AuditDocument>;
}

export function auditSort(query: Pick<AuditQuery, 'order'>): Sort {
  const direction = (query.order ?? 'oldest') === 'newest' ? -1 : 1;
  return { at: direction, _id: direction };
}

/** The audit trail: inserts only. Entry ids derive from the change, so a relayed entry is stored once. */
export function createAuditStore(db: Db): AuditStore & { ensureIndexes(): Promise<void> } {
  const collection = db.collection<AuditDocument>('audit');
  return {
    /** The collection's indexes become exactly AUDIT_INDEXES: any other (an earlier design's) only slows every append. */
    async ensureIndexes() {
      const wanted = new Set(AUDIT_INDEXES.map((index) => index.name));
      const existing = (await collection.listIndexes().toArray().catch(noCollectionYet)) as { name: string }[];
      for (const index of existing) if (index.name !== '_id_' && !wanted.has(index.name)) await collection.dropIndex(index.name);
      for (const { name, key } of AUDIT_INDEXES) await collection.createIndex(key, { name });
    },
    async append(entries) {
      // `at` stored as a date whatever the entry was revived from, so one type sorts the whole trail (the `scalar_` promise).
      await insertNew(collection, entries.map(({ id, at, ...entry }) => ({ _id: id, ...entry, at: new Date(at) })));
    },
    async query(query: AuditQuery) {
      // limit(0) would mean no limit to the driver.
      if (query.limit < 1) return [];
      const docs = await collection.find(auditFilter(query)).sort(auditSort(query)).limit(query.limit).toArray();
      return docs.map(({ _id, ...entry }) => ({ id: _id, ...entry }) as AuditEntry);
    },
  };
}
