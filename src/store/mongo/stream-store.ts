import type { Db } from 'mongodb';
import type { EventType, LifecycleEvent } from '../../lifecycle/types.js';
import type { StreamRecord, StreamStore } from '../contract.js';
import { toEvent, type EventDocument } from './event-store.js';
import { insertNew, isDuplicateKey } from './insert-new.js';

/** A stream's configuration: `_id` is `${tenant}|${name}`, so a name is taken once per tenant. */
interface StreamDocument {
  _id: string;
  /** The record's id: what its queued events are filed under. */
  streamId: string;
  tenant: string;
  name: string;
  /** Absent: every event type. */
  events?: EventType[];
  createdAt: Date;
  updatedAt: Date;
}

/**
 * One event waiting in one stream: `_id` is `${streamId}|${eventId}`, so queuing an event again
 * (a repeated relay) stores it once, and an acknowledgement is a delete by `_id`. Acknowledged
 * events are deleted, so a stream's queue holds only what is still owed to its receiver.
 */
interface EntryDocument {
  _id: string;
  stream: string;
  eventId: string;
  /** `failed`: the receiver reported an error (RFC 8936 setErrs); kept for the admin view, never sent again. */
  state: 'pending' | 'failed';
  enqueuedAt: Date;
  /** Position within the append that queued it: orders the events of one change. */
  seq: number;
  err?: string;
  description?: string;
  reportedAt?: Date;
}

const entryId = (streamId: string, eventId: string) => `${streamId}|${eventId}`;
const QUEUE_ORDER = { enqueuedAt: 1, seq: 1 } as const;
/** Bounds one delete's `$in` list (the engine answers it from its `_id` index). */
const DELETE_BATCH = 1000;

function toRecord(doc: StreamDocument): StreamRecord {
  return { id: doc.streamId, tenant: doc.tenant, name: doc.name, ...(doc.events ? { events: doc.events } : {}), createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}

/** What EventStore.append does with streams: which take the events is read beside the event insert, and they are queued after it. */
export interface StreamFanOut {
  /** Reads the streams of the events' tenants; resolves to the function that queues the events in them. */
  plan(events: readonly LifecycleEvent[]): Promise<() => Promise<void>>;
}

// The promise of a `scalar_` name holds: every field is always present with one type (engine
// patch 0005), so the embedded engine answers these queries, sorts and counts from its indexes.
async function createIndexes(db: Db): Promise<void> {
  await Promise.all([
    db.collection('event_streams').createIndex({ tenant: 1 }, { name: 'scalar_tenant' }),
    db.collection('stream_entries').createIndex({ stream: 1, state: 1, enqueuedAt: 1, seq: 1 }, { name: 'scalar_stream_state_enqueuedAt_seq' }),
    db.collection('stream_entries').createIndex({ enqueuedAt: 1 }, { name: 'scalar_enqueuedAt' }),
  ]);
}

export function createStreamStore(db: Db): StreamStore & StreamFanOut {
  const streams = db.collection<StreamDocument>('event_streams');
  const entries = db.collection<EntryDocument>('stream_entries');
  const events = db.collection<EventDocument>('events');

  let indexes: Promise<void> | undefined;
  const ready = () =>
    (indexes ??= createIndexes(db).catch((error: unknown) => {
      indexes = undefined;
      throw error;
    }));

  /** Deletes the entries matching `filter`, a batch at a time by `_id`; returns how many, at most `limit`. */
  async function deleteEntries(filter: Record<string, unknown>, limit: number): Promise<number> {
    let deleted = 0;
    while (deleted < limit) {
      const ids = (await entries.find(filter, { projection: { _id: 1 } }).limit(Math.min(DELETE_BATCH, limit - deleted)).toArray()).map((doc) => doc._id);
      if (ids.length === 0) break;
      deleted += (await entries.deleteMany({ _id: { $in: ids } })).deletedCount;
    }
    return deleted;
  }

  const oldestFirst = (stream: StreamRecord, state: EntryDocument['state']) => entries.find({ stream: stream.id, state }).sort(QUEUE_ORDER);

  async function get(tenant: string, name: string): Promise<StreamRecord | null> {
    const doc = await streams.findOne({ _id: `${tenant}|${name}` });
    return doc ? toRecord(doc) : null;
  }

  return {
    async create(stream) {
      await ready();
      try {
        await streams.insertOne({
          _id: `${stream.tenant}|${stream.name}`,
          streamId: stream.id,
          tenant: stream.tenant,
          name: stream.name,
          ...(stream.events ? { events: stream.events } : {}),
          createdAt: stream.createdAt,
          updatedAt: stream.updatedAt,
        });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },

    get,

    async list(tenant) {
      await ready();
      const docs = await streams.find(tenant === undefined ? {} : { tenant }).toArray();
      return docs.sort((a, b) => (a._id < b._id ? -1 : 1)).map(toRecord);
    },

    async setEvents(tenant, name, types, at) {
      const update = types ? { $set: { events: types, updatedAt: at } } : { $set: { updatedAt: at }, $unset: { events: '' as const } };
      const result = await streams.updateOne({ _id: `${tenant}|${name}` }, update);
      return result.matchedCount === 0 ? null : get(tenant, name);
    },

    async remove(tenant, name) {
      const doc = await streams.findOne({ _id: `${tenant}|${name}` });
      if (!doc) return false;
      // The configuration first: from then on no append queues anything for it. Entries an append
      // that read it just before still adds are filed under this stream's id, which no stream
      // created later has, and retention removes them.
      await streams.deleteOne({ _id: doc._id });
      await deleteEntries({ stream: doc.streamId }, Number.MAX_SAFE_INTEGER);
      return true;
    },

    async pending(stream, limit) {
      const queued = await oldestFirst(stream, 'pending').limit(limit).toArray();
      if (queued.length === 0) return [];
      const found = new Map((await events.find({ _id: { $in: queued.map((entry) => entry.eventId) } }).toArray()).map((doc) => [doc._id, toEvent(doc)]));
      return queued.flatMap((entry) => {
        const event = found.get(entry.eventId);
        // Events are stored before they are queued (EventStore.append), so one is always there.
        return event ? [{ event, enqueuedAt: entry.enqueuedAt }] : [];
      });
    },

    async acknowledge(stream, eventIds) {
      for (let start = 0; start < eventIds.length; start += DELETE_BATCH) {
        await entries.deleteMany({ _id: { $in: eventIds.slice(start, start + DELETE_BATCH).map((eventId) => entryId(stream.id, eventId)) } });
      }
    },

    async reportErrors(stream, errors) {
      if (errors.length === 0) return;
      await entries.bulkWrite(
        errors.map(({ eventId, err, description, reportedAt }) => ({
          updateOne: {
            filter: { _id: entryId(stream.id, eventId), state: 'pending' as const },
            update: { $set: { state: 'failed' as const, err, reportedAt, ...(description !== undefined ? { description } : {}) } },
          },
        })),
        { ordered: false },
      );
    },

    async errors(stream, limit) {
      const failed = await entries.find({ stream: stream.id, state: 'failed' }).sort({ enqueuedAt: -1, seq: -1 }).limit(limit).toArray();
      return failed.map((entry) => ({ eventId: entry.eventId, err: entry.err ?? '', ...(entry.description !== undefined ? { description: entry.description } : {}), reportedAt: entry.reportedAt ?? entry.enqueuedAt }));
    },

    async backlog(stream) {
      const [pending, failed, [oldest]] = await Promise.all([
        entries.countDocuments({ stream: stream.id, state: 'pending' }),
        entries.countDocuments({ stream: stream.id, state: 'failed' }),
        oldestFirst(stream, 'pending').limit(1).toArray(),
      ]);
      return { stream, pending, failed, oldestPendingAt: oldest?.enqueuedAt ?? null };
    },

    purge(enqueuedBefore, limit) {
      return deleteEntries({ enqueuedAt: { $lt: enqueuedBefore } }, limit);
    },

    async plan(list) {
      const tenants = [...new Set(list.map((event) => event.tenant))];
      if (tenants.length === 0) return async () => undefined;
      await ready();
      const subscribed = await streams.find({ tenant: { $in: tenants } }).toArray();
      if (subscribed.length === 0) return async () => undefined;
      return async () => {
        const enqueuedAt = new Date();
        const queued = list.flatMap((event, seq) =>
          subscribed
            .filter((stream) => stream.tenant === event.tenant && (!stream.events || stream.events.includes(event.type)))
            .map((stream): EntryDocument => ({ _id: entryId(stream.streamId, event.id), stream: stream.streamId, eventId: event.id, state: 'pending', enqueuedAt, seq })),
        );
        await insertNew(entries, queued);
      };
    },
  };
}
