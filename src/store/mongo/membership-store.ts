import type { Model } from 'mongoose';
import { GROUP_RESOURCE } from '../../scim/schema-registry.js';
import type { MemberRef, MembershipChange, MembershipStore, ResourceKind, ResourceRecord } from '../contract.js';
import type { DocumentLocks } from './document-locks.js';
import { nativeCollection, toRecord, type ResourceDocument } from './documents.js';

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

interface MemberProjection {
  _id: string;
  data?: { displayName?: unknown; userName?: unknown };
}

function displayOf(doc: MemberProjection): string | undefined {
  const display = doc.data?.displayName ?? doc.data?.userName;
  return typeof display === 'string' ? display : undefined;
}

/**
 * Membership is the member's `groupIds`. Every per-member operation is an `_id` lookup or update,
 * the one access path that stays flat on FerretDB's SQLite backend as collections grow. Writes to
 * one document go through its lock (see document-locks.ts); changes to one group's member list
 * go through the group's membership lock, so a replacement never interleaves with another change.
 */
export function createMembershipStore(users: Model<ResourceDocument>, groups: Model<ResourceDocument>, locks: DocumentLocks): MembershipStore {
  const collections: Record<ResourceKind, ReturnType<typeof nativeCollection>> = { User: nativeCollection(users), Group: nativeCollection(groups) };
  const touch = () => ({ $inc: { version: 1 }, $set: { lastModified: new Date() } });

  /** A group's version bump, which also reads the group back (for the caller's answer and policy check). */
  async function bumpGroup(tenant: string, groupId: string): Promise<ResourceRecord | undefined> {
    const doc = await locks.withLock(`Group:${groupId}`, () => collections.Group.findOneAndUpdate({ _id: groupId, tenant }, touch(), { returnDocument: 'after' }));
    return doc ? toRecord(GROUP_RESOURCE, doc) : undefined;
  }

  function updateMember(kind: ResourceKind, tenant: string, memberId: string, groupId: string, adding: boolean): Promise<boolean> {
    const filter = adding ? { _id: memberId, tenant, groupIds: { $ne: groupId } } : { _id: memberId, tenant, groupIds: groupId };
    const change = adding ? { $addToSet: { groupIds: groupId } } : { $pull: { groupIds: groupId } };
    return locks.withLock(`${kind}:${memberId}`, async () => (await collections[kind].updateOne(filter, { ...touch(), ...change })).modifiedCount > 0);
  }

  /** Several document locks, always taken in one global order so two batches can never deadlock. */
  function withLocks<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const ordered = [...new Set(keys)].sort();
    const take = (index: number): Promise<T> => (index === ordered.length ? work() : locks.withLock(ordered[index] as string, () => take(index + 1)));
    return take(0);
  }

  /**
   * One read finds the members that need the change, one updateMany makes it: a push of 1,000
   * members costs two queries per kind, not two thousand; both go by `_id` `$in`, an index lookup on
   * MongoDB and on our patched FerretDB.
   */
  async function changeKind(kind: ResourceKind, tenant: string, groupId: string, ids: readonly string[], adding: boolean): Promise<MemberRef[]> {
    // An empty `$in` is not answered from FerretDB's index: it would read the whole collection.
    if (ids.length === 0) return [];
    const docs = await collections[kind].find({ _id: { $in: [...ids] }, tenant }, { projection: { _id: 1, groupIds: 1 } }).toArray();
    const due = docs.filter((doc) => (doc.groupIds ?? []).includes(groupId) !== adding).map((doc) => doc._id);
    if (due.length === 0) return [];
    const filter = { _id: { $in: due }, tenant, groupIds: adding ? { $ne: groupId } : groupId };
    const change = adding ? { $addToSet: { groupIds: groupId } } : { $pull: { groupIds: groupId } };
    await withLocks(due.map((id) => `${kind}:${id}`), () => collections[kind].updateMany(filter, { ...touch(), ...change }));
    return due.map((id): MemberRef => ({ id, kind, display: undefined }));
  }

  async function changeMembers(tenant: string, groupId: string, memberIds: readonly string[], adding: boolean): Promise<MemberRef[]> {
    const changed: MemberRef[] = [];
    for (const chunk of chunks([...new Set(memberIds)], BATCH)) {
      const users = await changeKind('User', tenant, groupId, chunk, adding);
      const userIds = new Set(users.map((member) => member.id));
      changed.push(...users, ...(await changeKind('Group', tenant, groupId, chunk.filter((id) => !userIds.has(id)), adding)));
    }
    return changed;
  }

  async function changeUnlocked(tenant: string, groupId: string, memberIds: readonly string[], adding: boolean): Promise<MembershipChange> {
    const changed = await changeMembers(tenant, groupId, memberIds, adding);
    const group = changed.length > 0 ? await bumpGroup(tenant, groupId) : undefined;
    return adding ? { added: changed, removed: [], group } : { added: [], removed: changed, group };
  }

  /**
   * One kind's members, one batch at a time. Unsorted: a sort would make the engine read and order
   * every member before its first batch, whereas a plain cursor yields members as the engine finds
   * them (on the embedded engine, through the `elements_` side table of `groupIds`: patch 0006).
   */
  async function* membersOfKind(kind: ResourceKind, tenant: string, groupId: string): AsyncGenerator<MemberRef> {
    const cursor = collections[kind].find({ tenant, groupIds: groupId }, { projection: { _id: 1, 'data.displayName': 1, 'data.userName': 1 }, batchSize: MEMBER_BATCH });
    try {
      for await (const doc of cursor) yield { id: doc._id, kind, display: displayOf(doc as MemberProjection) };
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
          const docs = await collections[kind].find({ _id: { $in: unknown }, tenant }, { projection: { _id: 1 } }).toArray();
          for (const doc of docs) found.add(doc._id);
        }
        absent.push(...chunk.filter((id) => !found.has(id)));
      }
      return absent;
    },

    add: (tenant, groupId, memberIds) => withMembership(groupId, () => changeUnlocked(tenant, groupId, memberIds, true)),
    remove: (tenant, groupId, memberIds) => withMembership(groupId, () => changeUnlocked(tenant, groupId, memberIds, false)),

    replace: (tenant, groupId, memberIds) =>
      withMembership(groupId, async () => {
        const current = new Set((await membersOf(tenant, groupId)).map((member) => member.id));
        const wanted = new Set(memberIds);
        const removed = await changeMembers(tenant, groupId, [...current].filter((id) => !wanted.has(id)), false);
        const added = await changeMembers(tenant, groupId, [...wanted].filter((id) => !current.has(id)), true);
        const group = removed.length + added.length > 0 ? await bumpGroup(tenant, groupId) : undefined;
        return { added, removed, group };
      }),

    guarded: (tenant, groupId, expectedVersion, work) =>
      locks.withLock(`guard:${groupId}`, async () => {
        const group = await collections.Group.findOne({ _id: groupId, tenant }, { projection: { version: 1 } });
        return group?.version === expectedVersion ? work() : 'conflict';
      }),

    async forgetGroup(tenant, groupId) {
      await withMembership(groupId, async () => {
        const members = await membersOf(tenant, groupId);
        await inBatches(members, (member) => updateMember(member.kind, tenant, member.id, groupId, false));
      });
    },

    async touchGroups(tenant, groupIds) {
      await inBatches(groupIds, (groupId) => bumpGroup(tenant, groupId));
    },
  };
}
