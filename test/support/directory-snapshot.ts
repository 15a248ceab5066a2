import type { Storage } from '../../src/store/contract.js';

export interface DirectorySnapshot {
  /** `User:<id>` / `Group:<id>` → meta.version. */
  versions: Record<string, number>;
  audit: number;
  events: number;
}

/** Every stored version, audit entry and event of a tenant: what "nothing changed" compares. */
export async function directorySnapshot(storage: Storage, tenant = 'default'): Promise<DirectorySnapshot> {
  const versions: Record<string, number> = {};
  for (const store of [storage.users, storage.groups]) {
    for (const record of (await store.list(tenant, { descending: false, startIndex: 1, count: 10_000 })).items) versions[`${store.kind}:${record.id}`] = record.version;
  }
  const audit = await storage.audit.query({ tenant, limit: 1_000_000 });
  let events = 0;
  for (const key of Object.keys(versions)) events += (await storage.events.forSubject(tenant, key.split(':')[1] as string)).length;
  return { versions, audit: audit.length, events };
}
