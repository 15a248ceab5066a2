import type { Db } from 'mongodb';
import type { JobRecord, JobStore } from '../contract.js';

interface JobDocument {
  _id: string;
  fingerprint: string;
  lastId: string | null;
  processed: number;
  changed: number;
  startedAt: Date;
  finishedAt?: Date;
}

/** Checkpoints of maintenance jobs, one document per job id (collection `jobs`). */
export function createJobStore(db: Db): JobStore {
  const collection = db.collection<JobDocument>('jobs');
  return {
    async get(id) {
      const doc = await collection.findOne({ _id: id });
      if (!doc) return null;
      const job: JobRecord = { id: doc._id, fingerprint: doc.fingerprint, lastId: doc.lastId ?? undefined, processed: doc.processed, changed: doc.changed, startedAt: doc.startedAt };
      if (doc.finishedAt) job.finishedAt = doc.finishedAt;
      return job;
    },
    async save({ id, fingerprint, lastId, processed, changed, startedAt, finishedAt }) {
      const doc: JobDocument = { _id: id, fingerprint, lastId: lastId ?? null, processed, changed, startedAt };
      if (finishedAt) doc.finishedAt = finishedAt;
      await collection.replaceOne({ _id: id }, doc, { upsert: true });
    },
  };
}
