import type { Collection } from 'mongodb';
import { CONNECTOR_SCOPES, expandScopes } from '../../auth/scopes.js';
import type { CredentialRecord, CredentialStore } from '../contract.js';
import { isDuplicateKey } from './insert-new.js';

interface CredentialDocument {
  /** SHA-256 of the token: lookups are `_id` lookups and the token itself is never stored. */
  _id: string;
  tenant: string;
  name: string;
  /**
   * Absent on credentials stored before scopes existed: they were SCIM connector tokens. Earlier
   * releases stored `admin`, read as the scopes it stands for.
   */
  scopes?: string[];
  createdAt: Date;
  expiresAt?: Date;
  revokedAt?: Date;
  lastUsedAt?: Date;
  stream?: string;
}

function toRecord(doc: CredentialDocument): CredentialRecord {
  return {
    hash: doc._id,
    tenant: doc.tenant,
    name: doc.name,
    scopes: doc.scopes ? expandScopes(doc.scopes).scopes : [...CONNECTOR_SCOPES],
    createdAt: doc.createdAt,
    ...(doc.expiresAt ? { expiresAt: doc.expiresAt } : {}),
    ...(doc.revokedAt ? { revokedAt: doc.revokedAt } : {}),
    ...(doc.lastUsedAt ? { lastUsedAt: doc.lastUsedAt } : {}),
    ...(doc.stream ? { stream: doc.stream } : {}),
  };
}

function toDocument(record: CredentialRecord): CredentialDocument {
  return {
    _id: record.hash,
    tenant: record.tenant,
    name: record.name,
    scopes: [...record.scopes],
    createdAt: record.createdAt,
    ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
    ...(record.revokedAt ? { revokedAt: record.revokedAt } : {}),
    ...(record.stream ? { stream: record.stream } : {}),
  };
}

const nameKey = (tenant: string, name: string) => `${tenant}|${name}`;

export function createCredentialStore(collection: Collection<CredentialDocument>, names: Collection<{ _id: string }>): CredentialStore {
  const tokensOf = (tenant: string, name: string) => collection.find({ tenant, name }).toArray();

  return {
    async findByHash(hash) {
      const doc = await collection.findOne({ _id: hash });
      return doc ? toRecord(doc) : null;
    },
    async insertIfAbsent(record) {
      // The name key makes "create the bootstrap token once" safe when two processes start together.
      try {
        await names.insertOne({ _id: nameKey(record.tenant, record.name) });
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
      await collection.insertOne(toDocument(record));
      return true;
    },
    async list(tenant) {
      const docs = await collection.find(tenant === undefined ? {} : { tenant }).toArray();
      const order = (doc: CredentialDocument) => [doc.tenant, doc.name, doc.createdAt.toISOString()].join('\u0000');
      return docs.sort((a, b) => (order(a) < order(b) ? -1 : 1)).map(toRecord);
    },
    async revoke(tenant, name, at) {
      if (!(await names.findOne({ _id: nameKey(tenant, name) }))) return null;
      const live = (await tokensOf(tenant, name)).filter((doc) => !doc.revokedAt);
      for (const doc of live) await collection.updateOne({ _id: doc._id }, { $set: { revokedAt: at } });
      return live.length;
    },
    async rotate(next, oldValidUntil) {
      if (!(await names.findOne({ _id: nameKey(next.tenant, next.name) }))) return null;
      const previous = (await tokensOf(next.tenant, next.name)).filter((doc) => !doc.revokedAt);
      // The new token is stored first: a crash in between leaves both valid, never neither.
      await collection.insertOne(toDocument(next));
      const graceEnds = oldValidUntil.getTime() > next.createdAt.getTime();
      for (const doc of previous) {
        const change = graceEnds
          ? { expiresAt: doc.expiresAt && doc.expiresAt < oldValidUntil ? doc.expiresAt : oldValidUntil }
          : { revokedAt: next.createdAt };
        await collection.updateOne({ _id: doc._id }, { $set: change });
      }
      return previous.map(toRecord);
    },
    async markUsed(hash, at) {
      await collection.updateOne({ _id: hash }, { $set: { lastUsedAt: at } });
    },
  };
}
