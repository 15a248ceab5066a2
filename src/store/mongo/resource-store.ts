import type { Filter, UpdateFilter } from 'mongodb';
import type { Model } from 'mongoose';
import { correlatedValuePaths, filterToMongo, sortToMongo } from '../../scim/filter/to-mongo.js';
import type { AttributeResolver } from '../../scim/filter/resolver.js';
import type { ResourceTypeDefinition } from '../../scim/schema-registry.js';
import type { Census, CensusQuery, ListPage, ListQuery, NewResource, PendingEntries, PendingTarget, ReadBudget, Replacement, ResourceKind, ResourceRecord, ResourceStore, TakenEntries } from '../contract.js';
import { isLive, lifecycleSummary, nativeCollection, newDocument, replacementFields, toRecord, toStoredFields, type ResourceDocument } from './documents.js';
import { claimKey, type NameClaims } from './name-claims.js';
import { externalIdOf, type ExternalIds } from './external-ids.js';
import { candidateIds, withinIds, type EqualityLookups } from './indexed-equality.js';
import { createAttributeResolver } from './attribute-resolver.js';
import { scopedQuery } from './scoped-query.js';
import type { DocumentLocks } from './document-locks.js';
import { keysetFilter, sortValueOf } from './keyset.js';
import { resolveCorrelatedValuePaths } from './correlated-value-paths.js';
import { createBatchCreator } from './batch-create.js';
import { resolveMemberConditions, type GroupsOfMembers } from './member-filters.js';
import { hasEntries, loadPending, pendingPush, storePending, withoutEntries } from './pending-entries.js';
import { boundedRead } from './bounded-reads.js';
import { indexedQueries } from './indexed-query.js';
import { outageOutcome } from '../outage.js';

/**
 * Whether a failed write may still have been applied: only when the request may have reached the
 * engine and no answer came back (a network error). A command that never left for the engine was
 * not applied; a server error is a refusal.
 */
function writeOutcome(error: unknown): 'no' | 'unknown' {
  if (outageOutcome(error) === 'not sent') return 'no';
  return error instanceof Error && error.name === 'MongoServerError' ? 'no' : 'unknown';
}

/** What a walk leaves out: sort keys and pending entries are most of a document's size, and a record carries neither. */
const WALK_PROJECTION = { sk: 0, pending: 0, passwordHash: 0 } as const;

/** Up to this many `_id` candidates, a list reads every match instead of counting them first. */
const INLINE_TOTAL_CANDIDATES = 50;

interface ResourceStoreOptions {
  kind: ResourceKind;
  model: Model<ResourceDocument>;
  definition: ResourceTypeDefinition;
  /** The case-insensitively unique attribute: userName or displayName. */
  nameAttribute: string;
  claims: NameClaims;
  externalIds: ExternalIds;
  locks: DocumentLocks;
  /** Groups: filters on `members` are answered from the members' documents. */
  groupsOfMembers?: GroupsOfMembers;
}

export function createResourceStore({ kind, model, definition, nameAttribute, claims, externalIds, locks, groupsOfMembers }: ResourceStoreOptions): ResourceStore & { resolver: AttributeResolver } {
  const resolver = createAttributeResolver(definition, nameAttribute);
  const collection = nativeCollection(model);
  const answeredFromIndexes = indexedQueries(model.schema);
  const record = (doc: ResourceDocument): ResourceRecord => toRecord(definition, doc);
  /** What create and replace return: the record with the entries waiting for the relay. */
  const written = (doc: ResourceDocument): ResourceRecord => ({ ...record(doc), ...(doc.pending ? { pending: loadPending(doc.pending) } : {}) });

  async function ownerHolds(tenant: string, nameLc: string, owner: string): Promise<boolean> {
    return (await model.exists({ _id: owner, tenant, nameLc })) !== null;
  }

  async function claimName(tenant: string, nameLc: string, owner: string): Promise<string> {
    const key = claimKey(tenant, kind, nameLc);
    await claims.claim(key, owner, (holder) => ownerHolds(tenant, nameLc, holder), `${nameAttribute} "${nameLc}"`);
    return key;
  }

  async function holdsExternalId(tenant: string, id: string, externalId: string): Promise<boolean> {
    return (await model.exists({ _id: id, tenant, 'data.externalId': externalId })) !== null;
  }

  /** After a write that took `externalId` from `id` or failed to give it: the lookup entry goes. */
  function releaseExternalId(tenant: string, id: string, externalId: string | undefined): Promise<void> {
    if (externalId === undefined) return Promise.resolve();
    return externalIds.release(tenant, kind, externalId, id, () => holdsExternalId(tenant, id, externalId));
  }

  async function create(resource: NewResource): Promise<ResourceRecord> {
    const { tenant, id } = resource;
    const doc = newDocument(definition, nameAttribute, resource, new Date());
    const key = await claimName(tenant, doc.nameLc, id);
    const externalId = externalIdOf(doc.data);
    try {
      if (externalId !== undefined) await externalIds.add(tenant, kind, externalId, id);
    } catch (error) {
      await claims.abandon(key, id, 'no');
      throw error;
    }
    try {
      await collection.insertOne(doc);
    } catch (error) {
      await claims.abandon(key, id, writeOutcome(error));
      if (writeOutcome(error) === 'no') await releaseExternalId(tenant, id, externalId);
      throw error;
    }
    return written(doc);
  }

  const createMany = createBatchCreator({ kind, collection, definition, nameAttribute, claims, externalIds, ownerHolds, written: (doc) => written(doc) });

  async function get(tenant: string, id: string): Promise<ResourceRecord | null> {
    const doc = await model.findOne({ _id: id, tenant }).lean<ResourceDocument>();
    return doc && isLive(doc) ? record(doc) : null;
  }

  async function getMany(tenant: string, ids: readonly string[]): Promise<ResourceRecord[]> {
    if (ids.length === 0) return [];
    const docs = await model.find({ _id: { $in: [...ids] }, tenant }).lean<ResourceDocument[]>();
    return docs.filter(isLive).map(record);
  }

  type Basis = Pick<ResourceDocument, 'nameLc' | 'version' | 'data'>;

  /** A stale basis is harmless: the write below is conditional on the version and reports the conflict. */
  function storedBasis(basis: ResourceRecord): Basis {
    const { nameLc, data } = toStoredFields(definition, nameAttribute, basis.attributes);
    return { nameLc, version: basis.version, data };
  }

  function readBasis(tenant: string, id: string): Promise<Basis | null> {
    return model.findOne({ _id: id, tenant }, { nameLc: 1, version: 1, 'data.externalId': 1 }).lean<Basis>();
  }

  function replace(tenant: string, id: string, expectedVersion: number, replacement: Replacement): Promise<ResourceRecord | 'conflict' | null> {
    return locks.withLock(`${kind}:${id}`, () => replaceUnlocked(tenant, id, expectedVersion, replacement));
  }

  async function replaceUnlocked(tenant: string, id: string, expectedVersion: number, replacement: Replacement): Promise<ResourceRecord | 'conflict' | null> {
    const current = replacement.basis?.version === expectedVersion ? storedBasis(replacement.basis) : await readBasis(tenant, id);
    if (!current) return null;
    if (current.version !== expectedVersion) return 'conflict';
    const fields = toStoredFields(definition, nameAttribute, replacement.attributes);
    const renamed = fields.nameLc !== current.nameLc;
    const newKey = renamed ? await claimName(tenant, fields.nameLc, id) : undefined;
    const oldExternalId = externalIdOf(current.data);
    const newExternalId = externalIdOf(fields.data);
    const addedExternalId = newExternalId !== oldExternalId ? newExternalId : undefined;
    try {
      if (addedExternalId !== undefined) await externalIds.add(tenant, kind, addedExternalId, id);
    } catch (error) {
      if (newKey) await claims.abandon(newKey, id, 'no');
      throw error;
    }
    const stored = replacementFields(definition, fields);
    const set: Partial<ResourceDocument> = { lastModified: new Date() };
    if (replacement.passwordHash) set.passwordHash = replacement.passwordHash;
    if (replacement.lifecycle) Object.assign(set, { lifecycle: replacement.lifecycle, ...lifecycleSummary(replacement.lifecycle) });
    if (replacement.groupIds) set.groupIds = replacement.groupIds;
    if (replacement.pending && hasEntries(replacement.pending)) set.hasPending = true;
    const unset = Object.keys(stored.unset).length > 0 ? { $unset: stored.unset } : {};
    let updated: ResourceDocument | null;
    try {
      updated = await collection.findOneAndUpdate(
        { _id: id, tenant, version: expectedVersion },
        { $set: { ...stored.set, ...set }, ...unset, $inc: { version: 1 }, ...pendingPush(replacement.pending) } as UpdateFilter<ResourceDocument>,
        { returnDocument: 'after' },
      );
    } catch (error) {
      if (newKey) await claims.abandon(newKey, id, writeOutcome(error));
      if (writeOutcome(error) === 'no') await releaseExternalId(tenant, id, addedExternalId);
      throw error;
    }
    if (!updated) {
      if (newKey) await claims.abandon(newKey, id, 'no');
      await releaseExternalId(tenant, id, addedExternalId);
      return (await model.exists({ _id: id, tenant })) ? 'conflict' : null;
    }
    // The rename is stored: a failure to free the old name must not turn it into an error.
    if (renamed) await claims.abandon(claimKey(tenant, kind, current.nameLc), id, 'no');
    // Again after the write: another process may have pulled this owner in between (see external-ids.ts).
    if (addedExternalId !== undefined) await externalIds.add(tenant, kind, addedExternalId, id).catch(() => undefined);
    if (oldExternalId !== newExternalId) await releaseExternalId(tenant, id, oldExternalId);
    return written(updated);
  }

  /** A version-conditional write of everything but the attributes, with the write's entries appended. */
  function writeVersion(tenant: string, id: string, expectedVersion: number, set: Partial<ResourceDocument>, pending: PendingEntries): Promise<ResourceRecord | 'conflict' | null> {
    return locks.withLock(`${kind}:${id}`, async () => {
      const updated = await collection.findOneAndUpdate(
        { _id: id, tenant, version: expectedVersion },
        { $set: { ...set, lastModified: new Date(), ...(hasEntries(pending) ? { hasPending: true } : {}) }, $inc: { version: 1 }, ...pendingPush(pending) },
        { returnDocument: 'after' },
      );
      if (updated) return written(updated);
      return (await model.exists({ _id: id, tenant })) ? 'conflict' : null;
    });
  }

  const touch = (tenant: string, id: string, expectedVersion: number, pending: PendingEntries) => writeVersion(tenant, id, expectedVersion, {}, pending);

  // hasPending stays set until the document is removed, so the sweep finds a delete a crash interrupted.
  const markDeleting = (tenant: string, id: string, expectedVersion: number, pending: PendingEntries) => writeVersion(tenant, id, expectedVersion, { deleting: true, hasPending: true }, pending);

  async function deleting(tenant: string, id: string): Promise<ResourceRecord | null> {
    const doc = await model.findOne({ _id: id, tenant }).lean<ResourceDocument>();
    return doc && !isLive(doc) ? record(doc) : null;
  }

  function remove(tenant: string, id: string): Promise<boolean> {
    return locks.withLock(`${kind}:${id}`, async () => {
      const deleted = await collection.findOneAndDelete({ _id: id, tenant, deleting: true });
      if (!deleted) return false;
      // The delete is stored: a failure to free the name must not turn it into an error.
      await claims.abandon(claimKey(tenant, kind, deleted.nameLc), id, 'no');
      await releaseExternalId(tenant, id, externalIdOf(deleted.data));
      return true;
    });
  }

  async function listByKeyset(filter: Record<string, unknown>, ids: string[] | undefined, total: number, query: ListQuery, sortField: string): Promise<ListPage<ResourceRecord>> {
    const position = query.keyset ?? undefined;
    const backwards = position?.direction === 'before';
    const descending = Boolean(query.sortBy) && query.descending;
    const direction = descending !== backwards ? -1 : 1;
    const scoped = position ? { $and: [filter, keysetFilter(sortField, descending, position, model.schema.requiredPaths().includes(sortField))] } : filter;
    const docs = await readPage(withinIds(scoped, ids), sortField, direction, 0, query.count + 1, query.budget);
    const page = docs.slice(0, query.count).filter(isLive);
    if (backwards) page.reverse();
    const sortValues = page.map((doc) => sortValueOf(doc as unknown as Record<string, unknown>, sortField));
    return { total, items: page.map(record), sortValues, more: docs.length > query.count };
  }

  /** One page in one batch (`limit` documents at most), so the engine's maxTimeMS bounds all of it. */
  function readPage(filter: Record<string, unknown>, sortField: string, direction: 1 | -1, skip: number, limit: number | undefined, budget: ReadBudget | undefined): Promise<ResourceDocument[]> {
    return boundedRead(budget, (maxTimeMS) => {
      const find = model.find(filter).sort({ [sortField]: direction, _id: direction }).skip(skip);
      if (limit !== undefined) find.limit(limit).batchSize(limit);
      if (maxTimeMS !== undefined) find.maxTimeMS(maxTimeMS);
      return find.lean<ResourceDocument[]>();
    });
  }

  function countMatches(filter: Record<string, unknown>, budget: ReadBudget | undefined): Promise<number> {
    return boundedRead(budget, (maxTimeMS) => model.countDocuments(filter, maxTimeMS === undefined ? {} : { maxTimeMS }));
  }

  const lookups = (tenant: string): EqualityLookups => ({
    byName: async (nameLc) => {
      const owner = await claims.ownerOf(claimKey(tenant, kind, nameLc));
      return owner === undefined ? [] : [owner];
    },
    byExternalId: (externalId) => externalIds.owners(tenant, kind, externalId),
  });

  /**
   * An equality on id, the unique name or externalId (alone or ANDed) is answered from `_id` lookups:
   * its candidates narrow every query below by `_id`, the most selective index on every engine, and
   * the whole filter still decides (docs/decisions.md, "Lookups by userName, externalId, displayName and id").
   * Anything else that the engine cannot answer from an index is an expensive query (indexed-query.ts):
   * it takes one of the credential's slots before it reads (ReadBudget).
   */
  async function list(tenant: string, query: ListQuery): Promise<ListPage<ResourceRecord>> {
    const { budget } = query;
    const members = query.filter && groupsOfMembers ? await resolveMemberConditions(definition, query.filter, tenant, groupsOfMembers) : new Map();
    const ids = query.filter ? await candidateIds(query.filter, resolver, lookups(tenant), members) : undefined;
    if (ids === undefined && query.filter && correlatedValuePaths(query.filter).length > 0) budget?.expensive();
    const correlated = query.filter ? await resolveCorrelatedValuePaths(collection, tenant, definition, resolver, query.filter, ids, budget) : undefined;
    const filter = scopedQuery(tenant, query.filter ? filterToMongo(query.filter, resolver, new Map([...members, ...(correlated ?? [])])) : {});
    // sortBy is validated before any early return, so a bad sortBy is a 400 even when no page is read.
    const sortField = query.sortBy ? sortToMongo(query.sortBy, resolver) : 'created';
    // No candidate: nothing to read (an empty `$in` is not answered by FerretDB's index).
    if (ids?.length === 0) return query.keyset !== undefined ? { total: 0, items: [], sortValues: [], more: false } : { total: 0, items: [] };
    if (ids === undefined && !answeredFromIndexes(filter, sortField)) budget?.expensive();
    // A handful of candidates (a userName or externalId lookup): one read gives both the page and the total.
    if (ids !== undefined && ids.length <= INLINE_TOTAL_CANDIDATES && query.keyset === undefined) return listCandidates(filter, ids, query, sortField);
    const total = await countMatches(withinIds(filter, ids), budget);
    if (query.keyset !== undefined) {
      return query.count === 0 ? { total, items: [], sortValues: [], more: total > 0 } : listByKeyset(filter, ids, total, query, sortField);
    }
    if (query.count === 0 || query.startIndex > total) return { total, items: [] };
    const direction = query.sortBy && query.descending ? -1 : 1;
    const docs = await readPage(withinIds(filter, ids), sortField, direction, query.startIndex - 1, query.count, budget);
    return { total, items: docs.filter(isLive).map(record) };
  }

  async function listCandidates(filter: Record<string, unknown>, ids: string[], query: ListQuery, sortField: string): Promise<ListPage<ResourceRecord>> {
    const direction = query.sortBy && query.descending ? -1 : 1;
    const docs = (await readPage(withinIds(filter, ids), sortField, direction, 0, undefined, query.budget)).filter(isLive);
    return { total: docs.length, items: docs.slice(query.startIndex - 1, query.startIndex - 1 + query.count).map(record) };
  }

  /**
   * Pending entries are taken by reading them and later clearing exactly those with a `$set` that is
   * conditional on the version read: a write that added more in between changed the version, so
   * the clear is retried from a fresh read and nothing pending is ever dropped.
   */
  async function takePending(tenant: string, id: string): Promise<TakenEntries | null> {
    const doc = await collection.findOne({ _id: id, tenant }, { projection: { pending: 1, version: 1, deleting: 1 } });
    if (!doc) return null;
    const deleting = !isLive(doc);
    // A document marked deleting is returned even with no entries left: its delete still has to be finished.
    if (!deleting && (!doc.pending || !hasEntries(doc.pending))) return null;
    const taken = loadPending(doc.pending);
    // Filtered by `_id` alone: on FerretDB an update with any other condition costs far more (see
    // docs/benchmarks.md), and under the document lock nothing in this process can push in between.
    // Across processes (MongoDB) a push between the read and the $set is the one window left.
    const clear = () =>
      locks.withLock(`${kind}:${id}`, async () => {
        const current = await collection.findOne({ _id: id }, { projection: { pending: 1, tenant: 1 } });
        if (!current || current.tenant !== tenant) return;
        const rest = withoutEntries(loadPending(current.pending), taken);
        await collection.updateOne({ _id: id }, { $set: { pending: storePending(rest), hasPending: hasEntries(rest) } });
      });
    return { entries: taken, deleting, clear };
  }

  async function clearPending(targets: readonly PendingTarget[]): Promise<void> {
    if (targets.length === 0) return;
    // One branch per (tenant, version), not per target: FerretDB evaluates `$or` branch by branch for
    // every document, and a batch of creates is a single branch. The outer `_id` `$in` narrows the
    // engine's work to these documents (FerretDB answers it from its index).
    const branches = new Map<string, { _id: { $in: string[] }; tenant: string; version: number }>();
    for (const { id, tenant, version } of targets) {
      const key = JSON.stringify([tenant, version]);
      const branch = branches.get(key) ?? { _id: { $in: [] }, tenant, version };
      branch._id.$in.push(id);
      branches.set(key, branch);
    }
    const [only, ...more] = [...branches.values()];
    const filter = more.length === 0 ? only : { _id: { $in: targets.map((target) => target.id) }, $or: [...branches.values()] };
    await collection.updateMany(filter as Filter<ResourceDocument>, { $set: { pending: { events: [], audit: [] }, hasPending: false } });
  }

  async function withPending(limit: number, writtenBefore: Date) {
    const docs = await collection.find({ hasPending: true, lastModified: { $lt: writtenBefore } }, { projection: { _id: 1, tenant: 1 } }).limit(limit).toArray();
    return docs.map((doc) => ({ tenant: doc.tenant, id: doc._id }));
  }

  async function pendingBacklog() {
    // Both answered from indexes: `scalar_hasPending` selects, `lastModified` (a scalar_ field) sorts.
    const [documents, oldest] = await Promise.all([
      collection.countDocuments({ hasPending: true }),
      collection.find({ hasPending: true }, { projection: { _id: 0, lastModified: 1 } }).sort({ lastModified: 1 }).limit(1).next(),
    ]);
    return { documents, oldestWrittenAt: oldest?.lastModified ?? null };
  }

  async function scan(afterId: string | undefined, limit: number) {
    const filter = afterId === undefined ? {} : { _id: { $gt: afterId } };
    const docs = await collection.find(filter, { projection: { _id: 1, tenant: 1 } }).sort({ _id: 1 }).limit(limit).toArray();
    return docs.map((doc) => ({ tenant: doc.tenant, id: doc._id }));
  }

  const count = () => collection.estimatedDocumentCount();

  /**
   * Each count reads only the index range of what it counts, and only the tenant's total and its
   * inactive users are ranges that grow with the directory: "evaluated under another policy" is
   * counted as the two ranges either side of the current fingerprint (usually empty), never as
   * all active users minus those on the current one.
   */
  async function census(tenant: string, { policyFingerprint, staleBefore }: CensusQuery): Promise<Census> {
    const active = { tenant, lifecycleState: 'active' as const };
    const [total, inactive, inactiveWithAccess, olderPolicy, newerPolicy, stale] = await Promise.all([
      collection.countDocuments({ tenant }),
      collection.countDocuments({ tenant, lifecycleState: 'inactive' }),
      collection.countDocuments({ tenant, lifecycleState: 'inactive', holdsAccess: true }),
      collection.countDocuments({ ...active, policyFingerprint: { $lt: policyFingerprint } }),
      collection.countDocuments({ ...active, policyFingerprint: { $gt: policyFingerprint } }),
      collection.countDocuments({ tenant, lastModified: { $lt: staleBefore } }),
    ]);
    return { total, inactive, inactiveWithAccess, otherPolicy: olderPolicy + newerPolicy, stale };
  }

  async function* walk(tenant: string, batch: number): AsyncGenerator<ResourceRecord[]> {
    const read = (after: ResourceDocument | undefined): Promise<ResourceDocument[]> => {
      const filter = after ? { tenant, ...keysetFilter('created', false, { sortValue: after.created, id: after._id, direction: 'after' }, true) } : { tenant };
      return collection.find(filter, { projection: WALK_PROJECTION }).sort({ created: 1, _id: 1 }).limit(batch).toArray();
    };
    let next: Promise<ResourceDocument[]> | undefined = read(undefined);
    try {
      while (next) {
        const docs: ResourceDocument[] = await next;
        const last = docs.at(-1);
        next = docs.length === batch && last ? read(last) : undefined;
        yield docs.filter(isLive).map(record);
      }
    } finally {
      // A caller that stops early leaves the read ahead to finish unheard.
      next?.catch(() => undefined);
    }
  }

  return { kind, resolver, create, createMany, get, getMany, replace, touch, markDeleting, deleting, remove, list, walk, takePending, clearPending, withPending, pendingBacklog, scan, count, census };
}
