import type { Collection, Filter } from 'mongodb';
import type { DirectoryPage, DirectoryPosition, DirectoryStore, MemberRef, ResourceKind, ResourceRecord, UserSearch, UserSearchField } from '../contract.js';
import type { ResourceTypeDefinition } from '../../scim/schema-registry.js';
import { isLive, toRecord, type ResourceDocument } from './documents.js';
import { keysetFilter } from './keyset.js';
import { displayOf, type MemberProjection } from './membership-store.js';

/** Where each search field's value is kept, lower-cased but for externalId (directory-keys.ts). */
const SEARCH_PATHS: Record<UserSearchField, string> = {
  userName: 'nameLc',
  givenName: 'dxGiven',
  familyName: 'dxFamily',
  email: 'dxEmail',
  department: 'dxDepartment',
  externalId: 'dxExternalId',
};

/** Above every character (U+10FFFF is the last code point; strings compare as UTF-8 bytes). */
const PREFIX_END = '\u{10FFFF}';

/** What a listing reads of a document: what a record carries, without sort keys, entries or a hash. */
const RECORD_PROJECTION = { sk: 0, pending: 0, passwordHash: 0 } as const;

/**
 * A dense set (a group most users belong to, a role most hold) is walked in name order: of the
 * documents a window reads, many are in the set. A sparse one is read through its `elements_` side
 * table, whose cost grows with the set's size, not the directory's: the engine reads every element
 * before it sorts (engine/ferretdb/patches/README.md, 0006). Each page starts with a window of one
 * page; while windows are dense it walks on with larger ones (up to WALK_WINDOWS), otherwise it
 * asks the side table from where the walk stopped.
 * Both give the same order, so a walk can continue either way from any page.
 */
const WINDOW_FACTOR = 4;
const WALK_WINDOWS = 3;
/** A window with fewer than one member in this many documents ends the walk. */
const SPARSE = 4;

type Doc = ResourceDocument & MemberProjection;

/** Strictly after `after` in (field, _id) order, as a condition the engine pushes down (keyset.ts). */
function afterCondition(field: string, after: DirectoryPosition | Date | undefined, id?: string): Record<string, unknown> {
  if (after === undefined) return {};
  if (after instanceof Date) return keysetFilter(field, false, { sortValue: after, id: id ?? '', direction: 'after' }, true);
  return keysetFilter(field, false, { sortValue: after.value, id: after.id, direction: 'after' }, true);
}

function pageOf<R>(docs: readonly Doc[], limit: number, item: (doc: Doc) => R, position: (doc: Doc) => DirectoryPosition): DirectoryPage<R> {
  const page = docs.slice(0, limit);
  return { items: page.map(item), positions: page.map(position), more: docs.length > limit };
}

const byName = (doc: Doc): DirectoryPosition => ({ value: doc.nameLc, id: doc._id });

export function createDirectoryStore(collections: Record<ResourceKind, Collection<ResourceDocument>>, definitions: Record<ResourceKind, ResourceTypeDefinition>): DirectoryStore {
  const users = collections.User;
  const record = (kind: ResourceKind) => (doc: Doc): ResourceRecord => toRecord(definitions[kind], doc);

  /** Up to `limit + 1` live documents in (sortField, _id) order. */
  async function read(collection: Collection<ResourceDocument>, filter: Record<string, unknown>, sortField: string, limit: number, projection: Record<string, 0 | 1> = RECORD_PROJECTION): Promise<Doc[]> {
    const docs = (await collection
      .find(filter as Filter<ResourceDocument>, { projection })
      .sort({ [sortField]: 1, _id: 1 })
      .limit(limit + 1)
      .toArray()) as Doc[];
    return docs.filter(isLive);
  }

  /** The documents whose `field` (an array of strings) holds `value`, by nameLc: walked while dense, from the side table once sparse. */
  async function holding(collection: Collection<ResourceDocument>, tenant: string, field: string, value: string, after: DirectoryPosition | undefined, limit: number, projection?: Record<string, 0 | 1>): Promise<Doc[]> {
    const found: Doc[] = [];
    let position = after;
    let window = limit + 1;
    for (let walked = 0; walked < WALK_WINDOWS; walked += 1) {
      const docs = (await collection
        .find({ $and: [{ tenant }, afterCondition('nameLc', position)] } as Filter<ResourceDocument>, { projection: projection ?? RECORD_PROJECTION })
        .sort({ nameLc: 1, _id: 1 })
        .limit(window)
        .toArray()) as Doc[];
      const hits = docs.filter((doc) => isLive(doc) && ((doc as unknown as Record<string, unknown>)[field] as string[] | undefined)?.includes(value));
      found.push(...hits);
      const last = docs.at(-1);
      if (found.length > limit || docs.length < window || !last) return found;
      position = byName(last);
      // Sparse here: reading on would cost more documents than the set has members in reach.
      if (hits.length * SPARSE < docs.length) break;
      window *= WINDOW_FACTOR;
    }
    const rest = await read(collection, { $and: [{ tenant, [field]: value }, afterCondition('nameLc', position)] }, 'nameLc', limit - found.length, projection);
    return [...found, ...rest];
  }

  return {
    async searchUsers({ tenant, field, prefix, state, after, limit }: UserSearch) {
      const path = prefix === '' ? 'nameLc' : SEARCH_PATHS[field];
      const value = field === 'externalId' ? prefix : prefix.toLowerCase();
      const base: Record<string, unknown> = { tenant };
      if (prefix !== '') base[path] = { $gte: value, $lt: value + PREFIX_END };
      if (state) base['lifecycleState'] = state;
      const docs = await read(users, { $and: [base, afterCondition(path, after)] }, path, limit);
      return pageOf(docs, limit, record('User'), (doc) => ({ value: String((doc as unknown as Record<string, unknown>)[path]), id: doc._id }));
    },

    async searchGroups(tenant, prefix, after, limit) {
      const value = prefix.toLowerCase();
      const base = prefix === '' ? { tenant } : { tenant, nameLc: { $gte: value, $lt: value + PREFIX_END } };
      const docs = await read(collections.Group, { $and: [base, afterCondition('nameLc', after)] }, 'nameLc', limit);
      return pageOf(docs, limit, record('Group'), byName);
    },

    async members(tenant, groupId, kind, after, limit) {
      const projection = { _id: 1, nameLc: 1, groupIds: 1, 'data.displayName': 1, 'data.userName': 1, deleting: 1 } as const;
      const docs = await holding(collections[kind], tenant, 'groupIds', groupId, after, limit, projection);
      return pageOf(docs, limit, (doc): MemberRef => ({ id: doc._id, kind, display: displayOf(doc) }), byName);
    },

    async roleHolders(tenant, role, after, limit) {
      return pageOf(await holding(users, tenant, 'dxRoles', role, after, limit), limit, record('User'), byName);
    },

    async inactiveWithAccess(tenant, after, limit) {
      const docs = await read(users, { $and: [{ tenant, lifecycleState: 'inactive', holdsAccess: true }, afterCondition('nameLc', after)] }, 'nameLc', limit);
      return pageOf(docs, limit, record('User'), byName);
    },

    async staleUsers(tenant, before, after, limit) {
      const position = after ? new Date(after.value) : undefined;
      const docs = await read(users, { $and: [{ tenant, lastModified: { $lt: before } }, afterCondition('lastModified', position, after?.id)] }, 'lastModified', limit);
      return pageOf(docs, limit, record('User'), (doc) => ({ value: doc.lastModified.toISOString(), id: doc._id }));
    },

    async counts(tenant, policyFingerprint, staleBefore) {
      const count = (filter: Record<string, unknown>) => users.countDocuments({ tenant, ...filter } as Filter<ResourceDocument>);
      const [inactiveWithAccess, older, newer, stale] = await Promise.all([
        count({ lifecycleState: 'inactive', holdsAccess: true }),
        // Two ranges beside the current fingerprint: each reads only the users evaluated otherwise.
        count({ lifecycleState: 'active', policyFingerprint: { $lt: policyFingerprint } }),
        count({ lifecycleState: 'active', policyFingerprint: { $gt: policyFingerprint } }),
        count({ lastModified: { $lt: staleBefore } }),
      ]);
      return { inactiveWithAccess, otherPolicy: older + newer, stale };
    },
  };
}
