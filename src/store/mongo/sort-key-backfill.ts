import type { Collection, Db } from 'mongodb';
import type { ResourceTypeDefinition } from '../../scim/schema-registry.js';
import type { ResourceDocument } from './documents.js';
import { ABSENT, extensionSortKeyPaths } from './sort-keys.js';

/**
 * A schema extension (or an attribute of one) registered after resources were stored: those
 * resources have no value for it, and no sort key either, which would sort them before every value
 * instead of after (RFC 7644 §3.4.2.3). Once per new sort-key path, at start, they get the "absent"
 * key. A resource holding a value always has its key (documents.ts writes both together), so only
 * documents without either are touched. `store_meta` lists the paths done, so later starts skip
 * them; the update is idempotent, so two processes starting together only repeat work.
 */
export async function backfillExtensionSortKeys(db: Db, collections: readonly [Collection<ResourceDocument>, ResourceTypeDefinition][]): Promise<void> {
  const meta = db.collection<{ _id: string; paths: string[] }>('store_meta');
  for (const [collection, definition] of collections) {
    const marker = `extensionSortKeys:${collection.collectionName}`;
    const done = new Set((await meta.findOne({ _id: marker }))?.paths ?? []);
    const missing = extensionSortKeyPaths(definition).filter((path) => !done.has(path));
    for (const path of missing) {
      await collection.updateMany({ [`sk.ext.${path}`]: { $exists: false }, [`ext.${path}`]: { $exists: false } }, { $set: { [`sk.ext.${path}`]: ABSENT } });
    }
    if (missing.length > 0) await meta.updateOne({ _id: marker }, { $addToSet: { paths: { $each: missing } } }, { upsert: true });
  }
}
