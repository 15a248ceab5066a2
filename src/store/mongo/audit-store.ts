import type { Db } from 'mongodb';
import type { AuditEntry } from '../../lifecycle/types.js';
import type { AuditQuery, AuditStore } from '../contract.js';
import { insertNew } from './insert-new.js';

type AuditDocument = Omit<AuditEntry, 'id'> & { _id: string };

/** The audit trail: inserts only. Entry ids derive from the change, so a relayed entry is stored once. */
export function createAuditStore(db: Db): AuditStore & { ensureIndexes(): Promise<void> } {
  const collection = db.collection<AuditDocument>('audit');
  return {
    async ensureIndexes() {
      await collection.createIndex({ tenant: 1, resourceId: 1, at: 1 });
      await collection.createIndex({ tenant: 1, at: 1 });
    },
    async append(entries) {
      await insertNew(collection, entries.map(({ id, ...entry }) => ({ _id: id, ...entry })));
    },
    async query({ tenant, resourceId, since, limit }: AuditQuery) {
      const filter: Record<string, unknown> = { tenant };
      if (resourceId !== undefined) filter['resourceId'] = resourceId;
      if (since !== undefined) filter['at'] = { $gte: since };
      const docs = await collection.find(filter).sort({ at: 1, _id: 1 }).limit(limit).toArray();
      return docs.map(({ _id, ...entry }) => ({ id: _id, ...entry }) as AuditEntry);
    },
  };
}
