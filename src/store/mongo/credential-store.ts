import type { Collection } from 'mongodb';
import type { CredentialRecord, CredentialStore } from '../contract.js';

interface CredentialDocument {
  /** SHA-256 of the token: lookups are `_id` lookups and the token itself is never stored. */
  _id: string;
  tenant: string;
  name: string;
  createdAt: Date;
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

export function createCredentialStore(collection: Collection<CredentialDocument>, names: Collection<{ _id: string }>): CredentialStore {
  return {
    async findByHash(hash) {
      const doc = await collection.findOne({ _id: hash });
      return doc ? { hash: doc._id, tenant: doc.tenant, name: doc.name, createdAt: doc.createdAt } : null;
    },
    async insertIfAbsent(record: CredentialRecord) {
      // The name key makes "create the bootstrap token once" safe when two processes start together.
      try {
        await names.insertOne({ _id: `${record.tenant}|${record.name}` });
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
      await collection.insertOne({ _id: record.hash, tenant: record.tenant, name: record.name, createdAt: record.createdAt });
      return true;
    },
    async countForTenant(tenant) {
      return collection.countDocuments({ tenant });
    },
  };
}
