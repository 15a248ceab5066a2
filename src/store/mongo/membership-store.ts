import type { Model } from 'mongoose';
import type { MemberRef, MembershipStore } from '../contract.js';
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
 * the one access path that stays flat on FerretDB's SQLite backend as collections grow.
 */
export function createMembershipStore(users: Model<ResourceDocument>, groups: Model<ResourceDocument>): MembershipStore {
  const userDocs = nativeCollection(users);
  const groupDocs = nativeCollection(groups);
  const touch = () => ({ $inc: { version: 1 }, $set: { lastModified: new Date() } });

  async function bumpGroup(tenant: string, groupId: string): Promise<void> {
    await groupDocs.updateOne({ _id: groupId, tenant }, touch());
  }

  async function changeOne(tenant: string, groupId: string, memberId: string, adding: boolean): Promise<boolean> {
    const filter = adding ? { _id: memberId, tenant, groupIds: { $ne: groupId } } : { _id: memberId, tenant, groupIds: groupId };
    const change = adding ? { $addToSet: { groupIds: groupId } } : { $pull: { groupIds: groupId } };
    const update = { ...touch(), ...change };
    const asUser = await userDocs.updateOne(filter, update);
    if (asUser.matchedCount > 0) return true;
    return (await groupDocs.updateOne(filter, update)).matchedCount > 0;
  }

  async function change(tenant: string, groupId: string, memberIds: readonly string[], adding: boolean): Promise<void> {
    let changed = false;
    await inBatches([...new Set(memberIds)], async (memberId) => {
      if (await changeOne(tenant, groupId, memberId, adding)) changed = true;
    });
    if (changed) await bumpGroup(tenant, groupId);
  }

  return {
    async membersOf(tenant, groupId) {
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
    },

    async missing(tenant, memberIds) {
      const absent: string[] = [];
      await inBatches([...new Set(memberIds)], async (id) => {
        const found = (await users.exists({ _id: id, tenant })) ?? (await groups.exists({ _id: id, tenant }));
        if (!found) absent.push(id);
      });
      return absent;
    },

    add: (tenant, groupId, memberIds) => change(tenant, groupId, memberIds, true),
    remove: (tenant, groupId, memberIds) => change(tenant, groupId, memberIds, false),

    async forgetGroup(tenant, groupId) {
      const update = { ...touch(), $pull: { groupIds: groupId } };
      await userDocs.updateMany({ tenant, groupIds: groupId }, update);
      await groupDocs.updateMany({ tenant, groupIds: groupId }, update);
    },

    async touchGroups(tenant, groupIds) {
      await inBatches(groupIds, (groupId) => bumpGroup(tenant, groupId));
    },
  };
}
