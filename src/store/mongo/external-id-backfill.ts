import type { Collection, Db } from 'mongodb';
import type { ResourceDocument } from './documents.js';
import { externalIdOf, type ExternalIds } from './external-ids.js';

const BATCH = 1_000;
const MARKER = 'externalIdsBackfilled';

/**
 * Databases written before the externalId lookup entries existed (external-ids.ts) get them once,
 * at start, before any request is served: without them `externalId eq` would find nothing. A marker
 * in `store_meta` makes later starts skip the scan. Adding is idempotent, so two processes starting
 * together only repeat work.
 */
export async function backfillExternalIds(db: Db, collections: Record<string, Collection<ResourceDocument>>, externalIds: ExternalIds): Promise<void> {
  const meta = db.collection<{ _id: string; at: Date }>('store_meta');
  if (await meta.findOne({ _id: MARKER })) return;
  for (const [kind, collection] of Object.entries(collections)) {
    // One pass with a cursor: FerretDB would scan the collection again for every `_id > last` page.
    const cursor = collection.find({}, { projection: { _id: 1, tenant: 1, 'data.externalId': 1 }, batchSize: BATCH });
    for await (const doc of cursor) {
      const externalId = externalIdOf(doc.data);
      if (externalId !== undefined) await externalIds.add(doc.tenant, kind, externalId, doc._id);
    }
  }
  await meta.updateOne({ _id: MARKER }, { $set: { at: new Date() } }, { upsert: true });
}
