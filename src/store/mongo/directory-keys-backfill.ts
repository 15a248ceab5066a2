import type { Collection, Db } from 'mongodb';
import { attributeKeys, keyUpdate, rolesHeld } from './directory-keys.js';
import type { ResourceDocument } from './documents.js';
import { keysetFilter } from './keyset.js';

const MARKER = 'directoryKeys:users';
const BATCH = 500;

/**
 * Users stored before the console's directory keys existed get them, once, at start: read in
 * creation order (an indexed walk), each updated only if still at the version read, since a write in
 * between wrote its own keys. `store_meta` records that it is done, so later starts only look there;
 * two processes starting together only repeat work.
 */
export async function backfillDirectoryKeys(db: Db, users: Collection<ResourceDocument>): Promise<void> {
  const meta = db.collection<{ _id: string; done: boolean }>('store_meta');
  if ((await meta.findOne({ _id: MARKER }))?.done) return;
  let last: ResourceDocument | undefined;
  for (;;) {
    const position = last ? keysetFilter('created', false, { sortValue: last.created, id: last._id, direction: 'after' }, true) : {};
    const docs = await users.find(position, { projection: { _id: 1, created: 1, version: 1, data: 1, ext: 1, lifecycle: 1 } }).sort({ created: 1, _id: 1 }).limit(BATCH).toArray();
    // One `_id` update at a time: on the embedded engine an update by `_id` stays an index lookup.
    for (const doc of docs) {
      const { set, unset } = keyUpdate({ ...attributeKeys(doc.data ?? {}, doc.ext ?? {}), dxRoles: doc.lifecycle ? rolesHeld(doc.lifecycle) : undefined });
      await users.updateOne({ _id: doc._id, version: doc.version }, { $set: set, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}) });
    }
    last = docs.at(-1);
    if (docs.length < BATCH) break;
  }
  await meta.updateOne({ _id: MARKER }, { $set: { done: true } }, { upsert: true });
}
