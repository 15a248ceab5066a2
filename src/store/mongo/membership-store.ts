import type { Model } from 'mongoose';
import type { MemberRef, MembershipStore, ResourceKind } from '../contract.js';
import type { DocumentLocks } from './document-locks.js';
import { nativeCollection, type ResourceDocument } from './documents.js';

/** Bounds the requests in flight when a change names many members (an Okta push carries up to 1,000). */
const CONCURRENCY = 32;

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

  function bumpGroup(tenant: string, groupId: string): Promise<unknown> {
    return locks.withLock(`Group:${groupId}`, () => collections.Group.updateOne({ _id: groupId, tenant }, touch()));
  }

  function updateMember(kind: ResourceKind, tenant: string, memberId: string, groupId: string, adding: boolean): Promise<boolean> {
    const filter = adding ? { _id: memberId, tenant, groupIds: { $ne: groupId } } : { _id: memberId, tenant, groupIds: groupId };
    const change = adding ? { $addToSet: { groupIds: groupId } } : { $pull: { groupIds: groupId } };
    return locks.withLock(`${kind}:${memberId}`, async () => (await collections[kind].updateOne(filter, { ...touch(), ...change })).modifiedCount > 0);
  }

  async function changeOne(tenant: string, groupId: string, memberId: string, adding: boolean): Promise<boolean> {
    return (await updateMember('User', tenant, memberId, groupId, adding)) || updateMember('Group', tenant, memberId, groupId, adding);
  }

  async function changeUnlocked(tenant: string, groupId: string, memberIds: readonly string[], adding: boolean): Promise<void> {
    let changed = false;
    await inBatches([...new Set(memberIds)], async (memberId) => {
      if (await changeOne(tenant, groupId, memberId, adding)) changed = true;
    });
    if (changed) await bumpGroup(tenant, groupId);
  }

  async function membersOf(tenant: string, groupId: string): Promise<MemberRef[]> {
    const projection = { _id: 1, 'data.displayName': 1, 'data.userName': 1 };
    const [userDocs, groupDocs] = await Promise.all([
      users.find({ tenant, groupIds: groupId }, projection).lean<MemberProjection[]>(),
      groups.find({ tenant, groupIds: groupId }, projection).lean<MemberProjection[]>(),
    ]);
    const refs: MemberRef[] = [
      ...userDocs.map((doc): MemberRef => ({ id: doc._id, kind: 'User', display: displayOf(doc) })),
      ...groupDocs.map((doc): MemberRef => ({ id: doc._id, kind: 'Group', display: displayOf(doc) })),
    ];
    return refs.sort((a, b) => a.id.localeCompare(b.id));
  }

  const withMembership = <T>(groupId: string, work: () => Promise<T>) => locks.withLock(`members:${groupId}`, work);

  return {
    membersOf,

    async missing(tenant, memberIds) {
      const absent: string[] = [];
      await inBatches([...new Set(memberIds)], async (id) => {
        const found = (await users.exists({ _id: id, tenant })) ?? (await groups.exists({ _id: id, tenant }));
        if (!found) absent.push(id);
      });
      return absent;
    },

    add: (tenant, groupId, memberIds) => withMembership(groupId, () => changeUnlocked(tenant, groupId, memberIds, true)),
    remove: (tenant, groupId, memberIds) => withMembership(groupId, () => changeUnlocked(tenant, groupId, memberIds, false)),

    replace: (tenant, groupId, memberIds) =>
      withMembership(groupId, async () => {
        const current = new Set((await membersOf(tenant, groupId)).map((member) => member.id));
        const wanted = new Set(memberIds);
        await changeUnlocked(tenant, groupId, [...current].filter((id) => !wanted.has(id)), false);
        await changeUnlocked(tenant, groupId, [...wanted].filter((id) => !current.has(id)), true);
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
