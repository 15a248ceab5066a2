// The "same database operations" baseline's writes (bench/baseline-server.ts, BASELINE_WORK=same):
// per request, the commands bench/db-work.ts records for our server, on documents of the same shape,
// without any SCIM work. Entries are written one request at a time (ours groups concurrent ones).
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { ResourceDocument as Doc } from '../../src/store/mongo/documents.js';

const TENANT = 'default';
const ACTOR = 'baseline';

interface Entries {
  events: Record<string, unknown>[];
  audit: Record<string, unknown>[];
}

function entries(resourceType: 'User' | 'Group', resourceId: string, operation: string, after: unknown, eventType: string | undefined): Entries {
  const at = new Date();
  const requestId = randomUUID();
  const event = eventType
    ? [{ id: randomUUID(), type: eventType, tenant: TENANT, resourceType, resourceId, sequence: at.getTime(), occurredAt: at, actor: ACTOR, requestId, data: after }]
    : [];
  const audit = [{ id: randomUUID(), at, tenant: TENANT, actor: ACTOR, requestId, operation, resourceType, resourceId, before: null, after, grantsAdded: [], grantsRevoked: [], events: event.map((e) => e.type) }];
  return { events: event, audit };
}

export interface SameWork {
  create(doc: Doc, externalId: string | undefined): Promise<void>;
  /** PUT and PATCH: read, version-conditional write with the entries (`after`: what the audit entry shows), relay. False when absent. */
  update(id: string, set: Record<string, unknown>, after: Record<string, unknown>, eventType: string | undefined): Promise<boolean>;
  membership(groupId: string, userId: string, adding: boolean): Promise<void>;
}

export function sameWork(db: Db): SameWork {
  const users = db.collection<Doc>('users');
  const groups = db.collection<Doc>('groups');
  const audit = db.collection('audit');
  const events = db.collection('events');

  async function relay(collection: Collection<Doc> | undefined, id: string, version: number, written: Entries): Promise<void> {
    await audit.insertMany(written.audit.map(({ id: entryId, ...entry }) => ({ _id: entryId as never, ...entry })));
    if (written.events.length > 0) await events.insertMany(written.events.map(({ id: eventId, data, ...event }) => ({ _id: eventId as never, ...event, data: JSON.stringify(data) })));
    if (collection) await collection.updateOne({ _id: id, tenant: TENANT, version }, { $set: { pending: { events: [], audit: [] }, hasPending: false } });
  }

  return {
    async create(doc, externalId) {
      await db.collection('name_claims').insertOne({ _id: `${TENANT}|User|${doc.nameLc}` as never, owner: doc._id, at: new Date() });
      if (externalId !== undefined) await db.collection('external_ids').updateOne({ _id: `${TENANT}|User|${externalId}` as never }, { $addToSet: { owners: doc._id } }, { upsert: true });
      const written = entries('User', doc._id, 'create', doc.data, 'user.provisioned');
      await users.insertOne({ ...doc, pending: written as never, hasPending: true });
      await relay(users, doc._id, 1, written);
    },

    async update(id, set, after, eventType) {
      const current = await users.findOne({ _id: id, tenant: TENANT });
      if (!current) return false;
      const written = entries('User', id, 'patch', after, eventType);
      const updated = await users.findOneAndUpdate(
        { _id: id, tenant: TENANT, version: current.version },
        { $set: { ...set, lastModified: new Date(), hasPending: true }, $inc: { version: 1 }, $push: { 'pending.events': { $each: written.events }, 'pending.audit': { $each: written.audit } } as never },
        { returnDocument: 'after' },
      );
      if (!updated) return false;
      await relay(users, id, updated.version, written);
      return true;
    },

    async membership(groupId, userId, adding) {
      const group = await groups.findOne({ _id: groupId, tenant: TENANT });
      if (!group) return;
      if (adding) await users.find({ _id: { $in: [userId] }, tenant: TENANT }, { projection: { _id: 1 } }).toArray();
      const members = await users.find({ _id: { $in: [userId] }, tenant: TENANT }, { projection: { _id: 1, groupIds: 1 } }).toArray();
      const due = members.filter((member) => (member.groupIds ?? []).includes(groupId) !== adding).map((member) => member._id);
      if (due.length === 0) return;
      const touch = { $set: { lastModified: new Date() }, $inc: { version: 1 } };
      await users.updateMany({ _id: { $in: due }, tenant: TENANT }, adding ? { ...touch, $addToSet: { groupIds: groupId } } : { ...touch, $pull: { groupIds: groupId } });
      await groups.findOneAndUpdate({ _id: groupId, tenant: TENANT }, touch, { returnDocument: 'after' });
      await relay(undefined, groupId, 0, entries('Group', groupId, 'membership', { added: adding ? due : [], removed: adding ? [] : due }, 'group.members_changed'));
    },
  };
}
