import type { Collection, Db } from 'mongodb';
import type { EventType, LifecycleEvent } from '../../lifecycle/types.js';
import type { Delivery, EventStore } from '../contract.js';
import { insertNew, isDuplicateKey } from './insert-new.js';
import type { StreamFanOut } from './stream-store.js';

/** The event log: `_id` is the event id, so appending an event twice stores it once. */
export interface EventDocument {
  _id: string;
  type: EventType;
  tenant: string;
  resourceType: 'User' | 'Group';
  resourceId: string;
  sequence: number;
  occurredAt: Date;
  actor: string;
  requestId: string;
  /** JSON text: the data is opaque here and may hold keys the engine rejects (URNs contain dots). */
  data: string;
}

/** One event for one webhook; `_id` is `${eventId}|${webhook}`, so re-appending cannot duplicate it. */
interface DeliveryDocument {
  _id: string;
  webhook: string;
  eventId: string;
  /** `${tenant}|${resourceType}|${resourceId}`: deliveries of a subject to a webhook form one ordered queue. */
  subject: string;
  sequence: number;
  occurredAt: Date;
  state: 'pending' | 'delivered';
  /** Failed attempts so far. */
  attempts: number;
  nextAttemptAt: Date;
  lastError?: string;
  deliveredAt?: Date;
}

/**
 * A lease on one attempt of one delivery: `_id` is `${deliveryId}|${attempt}|${generation}`.
 *
 * Upstream FerretDB applies updates and deletes without isolation (two processes can both "win" a
 * conditional update or delete of one document; our patched engine no longer does, but leases do not
 * rely on that), so ownership is decided only by inserts, whose
 * `_id` conflict check is atomic everywhere: whoever inserts generation 0 of an attempt holds it.
 * A lease that expired (its holder crashed, or released it at shutdown) is taken over by inserting
 * the next generation, which again only one process can do. After insertion a lease document is
 * written only by its owner (closing or releasing it), so no two writers ever race on one document.
 *
 * `done` marks an attempt whose outcome is recorded. A claimer holding a stale copy of the delivery
 * (read just before the outcome was stored) finds its attempt's lease done and leaves it alone,
 * instead of taking over an attempt that is finished.
 */
interface LeaseDocument {
  _id: string;
  delivery: string;
  owner: string;
  until: Date;
  done: boolean;
}

interface LatestLease {
  lease: LeaseDocument;
  generation: number;
}

const MAX_ERROR_LENGTH = 500;

const subjectOf = (event: LifecycleEvent) => `${event.tenant}|${event.resourceType}|${event.resourceId}`;
const leaseId = (deliveryId: string, attempt: number, generation: number) => `${deliveryId}|${attempt}|${generation}`;

function toEventDocument({ id, data, ...rest }: LifecycleEvent): EventDocument {
  return { _id: id, ...rest, data: JSON.stringify(data) };
}

export function toEvent({ _id, data, ...rest }: EventDocument): LifecycleEvent {
  return { id: _id, ...rest, data: JSON.parse(data) as Record<string, unknown> };
}

function newDelivery(event: LifecycleEvent, webhook: string): DeliveryDocument {
  return {
    _id: `${event.id}|${webhook}`,
    webhook,
    eventId: event.id,
    subject: subjectOf(event),
    sequence: event.sequence,
    occurredAt: event.occurredAt,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: event.occurredAt,
  };
}

async function insertIfAbsent(collection: Collection<LeaseDocument>, lease: LeaseDocument): Promise<boolean> {
  try {
    await collection.insertOne(lease);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

// Plain indexes only: FerretDB rejects partial and TTL ones. They serve real MongoDB; the embedded
// engine uses only `_id` for the unnamed ones (they make no `scalar_` promise, engine patch 0005),
// which is why every lease lookup goes by `_id`. `scalar_webhook_state_occurredAt` keeps the
// promise (every delivery has the three, each always of one type), so a webhook's backlog is
// counted and its oldest delivery found by the engine's index on both engines.
async function createIndexes(db: Db): Promise<void> {
  await Promise.all([
    db.collection('deliveries').createIndex({ state: 1, subject: 1, sequence: 1 }),
    db.collection('deliveries').createIndex({ webhook: 1, state: 1, occurredAt: 1 }, { name: 'scalar_webhook_state_occurredAt' }),
    db.collection('events').createIndex({ tenant: 1, resourceId: 1, sequence: 1 }),
    db.collection('delivery_leases').createIndex({ owner: 1, done: 1 }),
  ]);
}

/** With `streams`, each append also queues the events in the streams that take them. */
export function createEventStore(db: Db, streams?: StreamFanOut): EventStore {
  const events = db.collection<EventDocument>('events');
  const deliveries = db.collection<DeliveryDocument>('deliveries');
  const leases = db.collection<LeaseDocument>('delivery_leases');

  let indexes: Promise<void> | undefined;
  const ready = () =>
    (indexes ??= createIndexes(db).catch((error: unknown) => {
      indexes = undefined;
      throw error;
    }));

  /** The newest generation leased for this attempt, found by `_id` lookups only (one or two in practice). */
  async function latestLease(deliveryId: string, attempt: number): Promise<LatestLease | undefined> {
    let latest: LatestLease | undefined;
    for (let generation = 0; ; generation += 1) {
      const lease = await leases.findOne({ _id: leaseId(deliveryId, attempt, generation) });
      if (!lease) return latest;
      latest = { lease, generation };
    }
  }

  async function tryLease(delivery: DeliveryDocument, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    const latest = await latestLease(delivery._id, delivery.attempts);
    if (latest && (latest.lease.done || latest.lease.until.getTime() >= now.getTime())) return false;
    const generation = latest ? latest.generation + 1 : 0;
    const until = new Date(now.getTime() + leaseMs);
    return insertIfAbsent(leases, { _id: leaseId(delivery._id, delivery.attempts, generation), delivery: delivery._id, owner, until, done: false });
  }

  /** Records that the owner's attempt has an outcome; a lease taken over since belongs to its new owner. */
  async function closeLease(deliveryId: string, attempt: number, latest: LatestLease | undefined, owner: string): Promise<void> {
    if (latest?.lease.owner !== owner || latest.lease.done) return;
    await leases.updateOne({ _id: leaseId(deliveryId, attempt, latest.generation), owner }, { $set: { done: true } });
  }

  async function withEvent(delivery: DeliveryDocument): Promise<Delivery> {
    const event = await events.findOne({ _id: delivery.eventId });
    if (!event) throw new Error(`delivery ${delivery._id} refers to a missing event`);
    return { id: delivery._id, webhook: delivery.webhook, event: toEvent(event), attempts: delivery.attempts };
  }

  return {
    async append(list, webhooks) {
      if (list.length === 0) return;
      await ready();
      // Events before deliveries and stream entries: neither ever refers to an event that is not
      // stored. After a crash the same batch may be appended again: what is stored already is
      // skipped. Which streams take the events is read beside the insert, not after it.
      const [queueInStreams] = await Promise.all([streams?.plan(list), insertNew(events, list.map(toEventDocument))]);
      await Promise.all([insertNew(deliveries, list.flatMap((event) => webhooks.map((webhook) => newDelivery(event, webhook)))), queueInStreams?.()]);
    },

    async claim(owner, now, leaseMs, limit) {
      await ready();
      const claimed: DeliveryDocument[] = [];
      const seen = new Set<string>();
      const pending = deliveries.find({ state: 'pending' }).sort({ subject: 1, sequence: 1, occurredAt: 1, _id: 1 });
      for await (const delivery of pending) {
        if (claimed.length >= limit) break;
        const queue = `${delivery.subject}|${delivery.webhook}`;
        // Only the head of a queue may go: a later event must wait for an earlier one, even one backing off.
        if (seen.has(queue)) continue;
        seen.add(queue);
        if (delivery.nextAttemptAt.getTime() > now.getTime()) continue;
        if (await tryLease(delivery, owner, now, leaseMs)) claimed.push(delivery);
      }
      return Promise.all(claimed.map(withEvent));
    },

    // Delivered is a fact whoever reports it, so no ownership check: a stale holder's success counts.
    async markDelivered(id, owner, now) {
      const delivery = await deliveries.findOne({ _id: id });
      if (!delivery) return;
      // The outcome first, then the lease: a crash in between leaves an outcome, never a finished lease on an open attempt.
      if (delivery.state === 'pending') await deliveries.updateOne({ _id: id, state: 'pending' }, { $set: { state: 'delivered', deliveredAt: now } });
      await closeLease(id, delivery.attempts, await latestLease(id, delivery.attempts), owner);
    },

    async markFailed(id, owner, nextAttemptAt, error) {
      const delivery = await deliveries.findOne({ _id: id });
      if (delivery?.state !== 'pending') return;
      const latest = await latestLease(id, delivery.attempts);
      // Taken over after this owner's lease expired: the attempt's outcome is now the new owner's to record.
      if (latest?.lease.owner !== owner) return;
      await deliveries.updateOne(
        { _id: id, state: 'pending', attempts: delivery.attempts },
        { $set: { attempts: delivery.attempts + 1, nextAttemptAt, lastError: error.slice(0, MAX_ERROR_LENGTH) } },
      );
      await closeLease(id, delivery.attempts, latest, owner);
    },

    async release(owner) {
      // Expired rather than done: the attempts are unfinished, so the next claimer takes them over.
      await leases.updateMany({ owner, done: false }, { $set: { until: new Date(0) } });
    },

    async webhookBacklog(webhook) {
      await ready();
      const owed = { webhook, state: 'pending' as const };
      // The failing ones are read among the webhook's pending deliveries only (the index selects them).
      const failed = { ...owed, attempts: { $gt: 0 } };
      const [pending, oldest, failing, oldestFailing] = await Promise.all([
        deliveries.countDocuments(owed),
        deliveries.find(owed, { projection: { occurredAt: 1, lastError: 1 } }).sort({ occurredAt: 1 }).limit(1).next(),
        deliveries.countDocuments(failed),
        deliveries.find(failed, { projection: { occurredAt: 1, lastError: 1 } }).sort({ occurredAt: 1 }).limit(1).next(),
      ]);
      return { pending, oldestOccurredAt: oldest?.occurredAt ?? null, oldestLastError: oldest?.lastError, failing, failingLastError: oldestFailing?.lastError };
    },

    async retryNow(webhook, now) {
      await ready();
      const result = await deliveries.updateMany({ webhook, state: 'pending', nextAttemptAt: { $gt: now } }, { $set: { nextAttemptAt: now } });
      return result.modifiedCount;
    },

    async forSubject(tenant, resourceId) {
      const documents = await events.find({ tenant, resourceId }).sort({ sequence: 1, occurredAt: 1, _id: 1 }).toArray();
      return documents.map(toEvent);
    },
  };
}
