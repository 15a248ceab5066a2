import type { LifecycleEvent } from '../lifecycle/types.js';
import type { PendingEntries, PendingTarget, Storage } from '../store/contract.js';

/**
 * Writes audit entries and events, and clears the documents they were pending in, as a group
 * commit: whatever concurrent requests hand in while one batch is being written goes out together
 * in the next, as one insert per collection and one conditional clear per resource kind. An idle
 * server writes each request's entries at once; a busy one sends a handful of commands per batch
 * instead of a handful per request (docs/benchmarks.md, "Where the time goes").
 *
 * Every write is idempotent (entries are keyed by their ids), so a failed batch leaves the entries
 * pending in their documents for the relay's sweep, and a repeated one stores nothing twice.
 */
export interface EntryWriter {
  /** Resolves once the entries are stored and, with a target, cleared from that document version. */
  write(entries: PendingEntries, target?: PendingTarget): Promise<void>;
}

interface Item {
  entries: PendingEntries;
  target: PendingTarget | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Bounds one batch's commands (and an `$in` list the engine answers from its `_id` index). */
const MAX_BATCH = 500;

export interface EntryWriterOptions {
  storage: Storage;
  webhooksFor: (event: LifecycleEvent) => string[];
  /** Called after events are stored, so a delivery worker can wake up. */
  onEvents?: (() => void) | undefined;
}

export function createEntryWriter({ storage, webhooksFor, onEvents }: EntryWriterOptions): EntryWriter {
  const queue: Item[] = [];
  let draining = false;

  async function appendEvents(events: LifecycleEvent[]): Promise<void> {
    if (events.length === 0) return;
    // One append per distinct set of subscribed webhooks: usually one for the whole batch.
    const bySubscribers = new Map<string, { webhooks: string[]; events: LifecycleEvent[] }>();
    for (const event of events) {
      const webhooks = webhooksFor(event);
      const key = JSON.stringify(webhooks);
      const group = bySubscribers.get(key) ?? { webhooks, events: [] };
      group.events.push(event);
      bySubscribers.set(key, group);
    }
    for (const group of bySubscribers.values()) await storage.events.append(group.events, group.webhooks);
    onEvents?.();
  }

  async function clearTargets(targets: PendingTarget[]): Promise<void> {
    const users = targets.filter((target) => target.kind === 'User');
    const groups = targets.filter((target) => target.kind === 'Group');
    if (users.length > 0) await storage.users.clearPending(users);
    if (groups.length > 0) await storage.groups.clearPending(groups);
  }

  async function writeBatch(batch: Item[]): Promise<void> {
    const audit = batch.flatMap((item) => item.entries.audit);
    const events = batch.flatMap((item) => item.entries.events);
    await Promise.all([storage.audit.append(audit), appendEvents(events)]);
    await clearTargets(batch.flatMap((item) => (item.target ? [item.target] : [])));
  }

  async function drain(): Promise<void> {
    draining = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        await writeBatch(batch);
        for (const item of batch) item.resolve();
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
    draining = false;
  }

  return {
    write(entries, target) {
      if (entries.audit.length === 0 && entries.events.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ entries, target, resolve, reject });
        if (!draining) void drain();
      });
    },
  };
}
