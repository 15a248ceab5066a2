import type { Collection } from 'mongodb';
import type { ConsoleSessionRecord, SessionStore } from '../contract.js';

interface SessionDocument extends Omit<ConsoleSessionRecord, 'id'> {
  _id: string;
}

function toRecord({ _id, ...rest }: SessionDocument): ConsoleSessionRecord {
  return { id: _id, ...rest };
}

/**
 * Console sessions by `_id` (the hash of the cookie value): every read and write of one session is
 * an `_id` lookup. The purge's two conditions each have a `scalar_` index (both fields are always
 * one Date), so it is answered from indexes on the embedded engine too.
 */
export function createSessionStore(collection: Collection<SessionDocument>): SessionStore {
  let indexes: Promise<unknown> | undefined;
  const ready = () =>
    (indexes ??= Promise.all([
      collection.createIndex({ expiresAt: 1 }, { name: 'scalar_expiresAt' }),
      collection.createIndex({ lastSeenAt: 1 }, { name: 'scalar_lastSeenAt' }),
    ]).catch((error: unknown) => {
      indexes = undefined;
      throw error;
    }));

  return {
    async create({ id, ...rest }) {
      await ready();
      await collection.insertOne({ _id: id, ...rest });
    },
    async get(id) {
      const found = await collection.findOne({ _id: id });
      return found ? toRecord(found) : null;
    },
    async touch(id, at) {
      await collection.updateOne({ _id: id }, { $set: { lastSeenAt: at } });
    },
    async remove(id) {
      await collection.deleteOne({ _id: id });
    },
    async purge(now, idleBefore) {
      await ready();
      const [expired, idle] = await Promise.all([collection.deleteMany({ expiresAt: { $lte: now } }), collection.deleteMany({ lastSeenAt: { $lte: idleBefore } })]);
      return expired.deletedCount + idle.deletedCount;
    },
  };
}
