import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import { lifecycleSummary, type ResourceDocument } from './documents.js';

const MARKER = 'lifecycleSummary:users';
const BATCH = 500;

/**
 * Users stored before the lifecycle summary fields existed (documents.ts) get them, once: the
 * census counts only documents that have them. `store_meta` records that it is done, so later starts
 * skip it; the writes are idempotent, so two processes starting together only repeat work.
 */
export async function backfillLifecycleSummary(db: Db, users: Collection<ResourceDocument>): Promise<void> {
  const meta = db.collection<{ _id: string }>('store_meta');
  if (await meta.findOne({ _id: MARKER })) return;
  let after: string | undefined;
  for (;;) {
    const batch = await users
      .find({ ...(after === undefined ? {} : { _id: { $gt: after } }) }, { projection: { _id: 1, lifecycle: 1, lifecycleState: 1 } })
      .sort({ _id: 1 })
      .limit(BATCH)
      .toArray();
    const writes: AnyBulkWriteOperation<ResourceDocument>[] = batch
      .filter((doc) => doc.lifecycle && doc.lifecycleState === undefined)
      .map((doc) => ({ updateOne: { filter: { _id: doc._id, lifecycleState: { $exists: false } }, update: { $set: lifecycleSummary(doc.lifecycle!) } } }));
    if (writes.length > 0) await users.bulkWrite(writes, { ordered: false });
    after = batch.at(-1)?._id;
    if (batch.length < BATCH) break;
  }
  await meta.updateOne({ _id: MARKER }, { $set: { _id: MARKER } }, { upsert: true });
}
