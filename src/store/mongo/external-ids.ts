import type { Collection } from 'mongodb';
import type { DocumentLocks } from './document-locks.js';
import { insertNew } from './insert-new.js';

export interface ExternalIdDocument {
  _id: string;
  owners: string[];
}

/**
 * Finds resources by externalId with `_id` lookups only: the embedded engine does not push nested
 * fields down, so a query on `data.externalId` reads every resource there. One document per tenant,
 * kind and externalId (caseExact, not unique) lists the resources that may hold it.
 *
 * The owners are a superset of the holders: an owner is added before the write that gives it the
 * externalId and removed after the write that takes it away, so a crash in between leaves an extra
 * owner, never a missing one. Readers therefore re-check every owner (the list query does). A
 * removal re-reads the resource afterwards and adds the owner back if a concurrent write (another
 * process, MongoDB) gave it the externalId again.
 */
export interface ExternalIds {
  /** Before a write that gives `owner` this externalId. */
  add(tenant: string, kind: string, externalId: string, owner: string): Promise<void>;
  /** After a write that took the externalId away from `owner` (or failed to give it). Never throws. */
  release(tenant: string, kind: string, externalId: string, owner: string, holds: () => Promise<boolean>): Promise<void>;
  owners(tenant: string, kind: string, externalId: string): Promise<string[]>;
  /** `add` for many: one insert for the entries that are new, `add` for the rest. */
  addMany(entries: readonly ExternalIdEntry[]): Promise<void>;
}

export interface ExternalIdEntry {
  tenant: string;
  kind: string;
  externalId: string;
  owner: string;
}

export function externalIdKey(tenant: string, kind: string, externalId: string): string {
  return `${tenant}|${kind}|${externalId}`;
}

/** The externalId a stored resource is found by, if any (ingress guarantees a string). */
export function externalIdOf(data: Record<string, unknown> | undefined): string | undefined {
  const value = data?.['externalId'];
  return typeof value === 'string' ? value : undefined;
}

export function createExternalIds(collection: Collection<ExternalIdDocument>, locks: DocumentLocks): ExternalIds {
  // Two writers of one entry in this process queue (upstream FerretDB does not isolate $addToSet/$pull).
  const locked = <T>(key: string, work: () => Promise<T>) => locks.withLock(`externalId:${key}`, work);

  async function add(tenant: string, kind: string, externalId: string, owner: string): Promise<void> {
    const key = externalIdKey(tenant, kind, externalId);
    await locked(key, () => collection.updateOne({ _id: key }, { $addToSet: { owners: owner } }, { upsert: true }));
  }

  async function pull(key: string, owner: string): Promise<void> {
    await locked(key, async () => {
      await collection.updateOne({ _id: key }, { $pull: { owners: owner } });
      // Atomic on MongoDB: an owner added meanwhile makes the size 1 and keeps the entry.
      await collection.deleteOne({ _id: key, owners: { $size: 0 } });
    });
  }

  return {
    add,
    async addMany(entries) {
      const existing = await insertNew(collection, entries.map(({ tenant, kind, externalId, owner }) => ({ _id: externalIdKey(tenant, kind, externalId), owners: [owner] })));
      for (const index of existing) {
        const { tenant, kind, externalId, owner } = entries[index] as ExternalIdEntry;
        await add(tenant, kind, externalId, owner);
      }
    },
    async release(tenant, kind, externalId, owner, holds) {
      try {
        await pull(externalIdKey(tenant, kind, externalId), owner);
        if (await holds()) await add(tenant, kind, externalId, owner);
      } catch {
        // An extra owner is harmless (readers re-check); the write it follows must not fail for it.
      }
    },
    async owners(tenant, kind, externalId) {
      return (await collection.findOne({ _id: externalIdKey(tenant, kind, externalId) }))?.owners ?? [];
    },
  };
}
