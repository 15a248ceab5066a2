import type { Model } from 'mongoose';
import type { MemberRef, MembershipStore, ResourceKind } from '../contract.js';
import type { DocumentLocks } from './document-locks.js';
import { isLive, nativeCollection, type ResourceDocument } from './documents.js';

/** Bounds the requests in flight when a change names many members (an Okta push carries up to 1,000). */
const CONCURRENCY = 32;
/** Members changed per query pair: a whole Okta push (up to 1,000) in one or two rounds. */
const BATCH = 500;
/** Members read per round trip when listing a group's members. */
const MEMBER_BATCH = 1_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += CONCURRENCY) {
    await Promise.all(items.slice(start, start + CONCURRENCY).map(work));
  }
}

export interface MemberProjection {
  _id: string;
  data?: { displayName?: unknown; userName?: unknown };
  deleting?: boolean;
}

export function displayOf(doc: MemberProjection): string | undefined {
  const display = doc.data?.displayName ?? doc.data?.userName;
  return typeof display === 'string' ? display : undefined;
}

/**
 * Membership is the member's `groupIds`. Every per-member operation is an `_id` lookup or update,
 * the one access path that stays flat on FerretDB's SQLite backend as collections grow. Writes to
 * one document go through its lock (see document-locks.ts); changes to one group's member list
 * go through the group's membership lock (`serialised`), so a replacement never interleaves with
 * another change. The group's version bump that carries a change's entries is the services' write
 * (ResourceStore.touch); this store reads what is due and writes the members.
 */
export function createMembershipStore(users: Model<ResourceDocument>, groups: Model<ResourceDocument>, locks: DocumentLocks): MembershipStore {
  const collections: Record<ResourceKind, ReturnType<typeof nativeCollection>> = { User: nativeCollection(users), Group: nativeCollection(groups) };
  const touch = () => ({ $inc: { version: 1 }, $set: { lastModified: new Date() } });

  /** A group's version bump alone: its member list changed through a member's own write, which carried the entries. */
  async function bumpGroup(tenant: string, groupId: string): Promise<void> {
    await locks.withLock(`Group:${groupId}`, () => collections.Group.updateOne({ _id: groupId, tenant }, touch()));
  }

  /** Several document locks, always taken in one global order so two batches can never deadlock. */
  function withLocks<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const ordered = [...new Set(keys)].sort();
    const take = (index: number): Promise<T> => (index === ordered.length ? work() : locks.withLock(ordered[index] as string, () => take(index + 1)));
    return take(0);
  }

  /** One read finds the members of one kind whose membership the change would alter, by `_id` `$in` (an index lookup on every engine). */
  async function dueOfKind(kind: ResourceKind, tenant: string, groupId: string, ids: readonly string[], adding: boolean): Promise<MemberRef[]> {
    // An empty `$in` is not answered from FerretDB's index: it would read the whole collection.
    if (ids.length === 0) return [];
    const docs = await collections[kind].find({ _id: { $in: [...ids] }, tenant }, { projection: { _id: 1, groupIds: 1, deleting: 1 } }).toArray();
    return docs.filter((doc) => isLive(doc) && (doc.groupIds ?? []).includes(groupId) !== adding).map((doc): MemberRef => ({ id: doc._id, kind, display: undefined }));
  }

  /**
   * One updateMany per kind and batch makes the change: a push of 1,000 members costs a few
   * queries, not two thousand. The filter skips members that already have it, so applying twice is
   * applying once, and members marked deleting, which are gone.
   */
  async function applyToKind(kind: ResourceKind, tenant: string, groupId: string, ids: readonly string[], adding: boolean): Promise<void> {
    if (ids.length === 0) return;
    const filter = { _id: { $in: [...ids] }, tenant, groupIds: adding ? { $ne: groupId } : groupId, deleting: { $ne: true } };
    const change = adding ? { $addToSet: { groupIds: groupId } } : { $pull: { groupIds: groupId } };
    await withLocks(ids.map((id) => `${kind}:${id}`), () => collections[kind].updateMany(filter, { ...touch(), ...change }));
  }

  async function applyAll(tenant: string, groupId: string, members: readonly MemberRef[], adding: boolean): Promise<void> {
    for (const chunk of chunks(members, BATCH)) {
      for (const kind of ['User', 'Group'] as const) {
        await applyToKind(kind, tenant, groupId, chunk.filter((member) => member.kind === kind).map((member) => member.id), adding);
      }
    }
  }

  /**
   * One kind's members, one batch at a time. Unsorted: a sort would make the engine read and order
   * every member before its first batch, whereas a plain cursor yields members as the engine finds
   * them (on the embedded engine, through the `elements_` side table of `groupIds`: patch 0006).
   */
  async function* membersOfKind(kind: ResourceKind, tenant: string, groupId: string): AsyncGenerator<MemberRef> {
    const cursor = collections[kind].find({ tenant, groupIds: groupId }, { projection: { _id: 1, 'data.displayName': 1, 'data.userName': 1, deleting: 1 }, batchSize: MEMBER_BATCH });
    try {
      for await (const doc of cursor) {
        if (isLive(doc)) yield { id: doc._id, kind, display: displayOf(doc as MemberProjection) };
      }
    } finally {
      await cursor.close();
    }
  }

  /** Users, then groups (multi-valued attributes have no order, RFC 7643 §2.4). */
  async function* streamMembers(tenant: string, groupId: string): AsyncGenerator<MemberRef> {
    yield* membersOfKind('User', tenant, groupId);
    yield* membersOfKind('Group', tenant, groupId);
  }

  async function membersOf(tenant: string, groupId: string): Promise<MemberRef[]> {
    const members: MemberRef[] = [];
    for await (const member of streamMembers(tenant, groupId)) members.push(member);
    return members.sort((a, b) => a.id.localeCompare(b.id));
  }

  const withMembership = <T>(groupId: string, work: () => Promise<T>) => locks.withLock(`members:${groupId}`, work);

  return {
    membersOf,
    streamMembers,

    async missing(tenant, memberIds) {
      const absent: string[] = [];
      for (const chunk of chunks([...new Set(memberIds)], BATCH)) {
        const found = new Set<string>();
        for (const kind of ['User', 'Group'] as const) {
          const unknown = chunk.filter((id) => !found.has(id));
          if (unknown.length === 0) break;
          const docs = await collections[kind].find({ _id: { $in: unknown }, tenant }, { projection: { _id: 1, deleting: 1 } }).toArray();
          for (const doc of docs.filter(isLive)) found.add(doc._id);
        }
        absent.push(...chunk.filter((id) => !found.has(id)));
      }
      return absent;
    },

    async due(tenant, groupId, memberIds, adding) {
      const due: MemberRef[] = [];
      for (const chunk of chunks([...new Set(memberIds)], BATCH)) {
        const users = await dueOfKind('User', tenant, groupId, chunk, adding);
        const userIds = new Set(users.map((member) => member.id));
        due.push(...users, ...(await dueOfKind('Group', tenant, groupId, chunk.filter((id) => !userIds.has(id)), adding)));
      }
      return due;
    },

    async apply(tenant, groupId, added, removed) {
      await applyAll(tenant, groupId, removed, false);
      await applyAll(tenant, groupId, added, true);
    },

    serialised: withMembership,

    guarded: (tenant, groupId, expectedVersion, work) =>
      locks.withLock(`guard:${groupId}`, async () => {
        const group = await collections.Group.findOne({ _id: groupId, tenant }, { projection: { version: 1, deleting: 1 } });
        if (!group || !isLive(group)) return null;
        return group.version === expectedVersion ? work() : 'conflict';
      }),

    async forgetGroup(tenant, groupId) {
      await withMembership(groupId, async () => applyAll(tenant, groupId, await membersOf(tenant, groupId), false));
    },

    async touchGroups(tenant, groupIds) {
      await inBatches(groupIds, (groupId) => bumpGroup(tenant, groupId));
    },
  };
}
