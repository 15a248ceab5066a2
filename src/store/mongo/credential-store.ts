import type { Collection } from 'mongodb';
import { CONNECTOR_SCOPES, expandScopes } from '../../auth/scopes.js';
import type { AuditEntry } from '../../lifecycle/types.js';
import type { AuditStore, CredentialRecord, CredentialStore } from '../contract.js';
import { isDuplicateKey } from './insert-new.js';
import { loadAudit } from './pending-entries.js';

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
  /** A rotation's new token: until when the tokens it replaced stay valid (what completing the rotation writes). */
  previousValidUntil?: Date;
  /** Audit entries (JSON text) of the changes this document carried, until relayed. */
  pending?: string[];
  /** True while `pending` holds anything: the relay's sweep finds such credentials by it. */
  hasPending?: boolean;
  stream?: string;
  reviewer?: string;
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
    ...(doc.reviewer ? { reviewer: doc.reviewer } : {}),
  };
}

function toDocument(record: CredentialRecord, audit: AuditEntry | undefined): CredentialDocument {
  return {
    _id: record.hash,
    tenant: record.tenant,
    name: record.name,
    scopes: [...record.scopes],
    createdAt: record.createdAt,
    ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
    ...(record.revokedAt ? { revokedAt: record.revokedAt } : {}),
    ...carrying(audit),
    ...(record.stream ? { stream: record.stream } : {}),
    ...(record.reviewer ? { reviewer: record.reviewer } : {}),
  };
}

function carrying(audit: AuditEntry | undefined): Pick<CredentialDocument, 'pending' | 'hasPending'> {
  return audit ? { pending: [JSON.stringify(audit)], hasPending: true } : {};
}

const nameKey = (tenant: string, name: string) => `${tenant}|${name}`;

export function createCredentialStore(collection: Collection<CredentialDocument>, names: Collection<{ _id: string }>, audit: AuditStore): CredentialStore & { ensureIndexes(): Promise<void> } {
  const tokensOf = (tenant: string, name: string) => collection.find({ tenant, name }).toArray();

  /** Revokes the name's live tokens created up to `at`; the first one carries `entry`. */
  async function revokeLive(tenant: string, name: string, at: Date, entry?: AuditEntry): Promise<number> {
    const live = (await tokensOf(tenant, name)).filter((doc) => !doc.revokedAt && doc.createdAt.getTime() <= at.getTime());
    for (const [index, doc] of live.entries()) {
      const carried = index === 0 && entry ? { $push: { pending: JSON.stringify(entry) } } : {};
      await collection.updateOne({ _id: doc._id }, { $set: { revokedAt: at, ...(index === 0 && entry ? { hasPending: true } : {}) }, ...carried });
    }
    return live.length;
  }

  /** The second half of a rotation: the tokens created before `next` stop working at `until` (at once when that is past). */
  async function expirePrevious(next: Pick<CredentialDocument, '_id' | 'tenant' | 'name' | 'createdAt'>, until: Date): Promise<CredentialDocument[]> {
    const previous = (await tokensOf(next.tenant, next.name)).filter((doc) => doc._id !== next._id && !doc.revokedAt && doc.createdAt.getTime() < next.createdAt.getTime());
    const graceEnds = until.getTime() > next.createdAt.getTime();
    for (const doc of previous) {
      const change = graceEnds ? { expiresAt: doc.expiresAt && doc.expiresAt < until ? doc.expiresAt : until } : { revokedAt: next.createdAt };
      await collection.updateOne({ _id: doc._id }, { $set: change });
    }
    return previous;
  }

  /** Completes the change each entry belongs to, stores the entries, then clears exactly those (unless more came in). */
  async function relay(doc: CredentialDocument): Promise<void> {
    const pending = doc.pending ?? [];
    if (pending.length > 0) {
      if (doc.revokedAt) await revokeLive(doc.tenant, doc.name, doc.revokedAt);
      if (doc.previousValidUntil) await expirePrevious(doc, doc.previousValidUntil);
      await audit.append(pending.map(loadAudit));
    }
    // Conditional on the entries read: one pushed in between stays for the next relay (stored once, by id).
    await collection.updateOne({ _id: doc._id, pending }, { $set: { pending: [], hasPending: false } });
  }

  return {
    async ensureIndexes() {
      // `scalar_`: hasPending is a boolean or missing, so the embedded engine finds the sweep's few documents by the index.
      await collection.createIndex({ hasPending: 1 }, { name: 'scalar_hasPending' });
    },
    async findByHash(hash) {
      const doc = await collection.findOne({ _id: hash });
      return doc ? toRecord(doc) : null;
    },
    async insertIfAbsent(record, entry) {
      // The name key makes "create the bootstrap token once" safe when two processes start together.
      try {
        await names.insertOne({ _id: nameKey(record.tenant, record.name) });
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
      await collection.insertOne(toDocument(record, entry));
      return true;
    },
    async list(tenant) {
      const docs = await collection.find(tenant === undefined ? {} : { tenant }).toArray();
      const order = (doc: CredentialDocument) => [doc.tenant, doc.name, doc.createdAt.toISOString()].join('\u0000');
      return docs.sort((a, b) => (order(a) < order(b) ? -1 : 1)).map(toRecord);
    },
    async revoke(tenant, name, at, entry) {
      if (!(await names.findOne({ _id: nameKey(tenant, name) }))) return null;
      return revokeLive(tenant, name, at, entry);
    },
    async rotate(next, oldValidUntil, entry) {
      if (!(await names.findOne({ _id: nameKey(next.tenant, next.name) }))) return null;
      // The new token is stored first, with the entry and what the rest of the rotation writes: a
      // crash in between leaves both valid, never neither, and the relay completes the rotation.
      const doc: CredentialDocument = { ...toDocument(next, entry), previousValidUntil: oldValidUntil };
      await collection.insertOne(doc);
      return (await expirePrevious(doc, oldValidUntil)).map(toRecord);
    },
    async markUsed(hash, at) {
      await collection.updateOne({ _id: hash }, { $set: { lastUsedAt: at } });
    },
    async relayAudit() {
      const holding = await collection.find({ hasPending: true }).toArray();
      for (const doc of holding) await relay(doc);
      return holding.length;
    },
  };
}
