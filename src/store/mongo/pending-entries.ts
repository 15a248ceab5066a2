import type { AuditEntry, LifecycleEvent } from '../../lifecycle/types.js';
import type { PendingEntries } from '../contract.js';

/**
 * Pending entries as a resource document stores them: one JSON text per entry. FerretDB decodes and
 * re-encodes every field of a document on each write; one string per entry costs about half what
 * the nested objects did (docs/benchmarks.md), and nothing ever queries inside them. Documents
 * written before this hold the entries as objects; both forms are read.
 */
export interface StoredPending {
  events: (string | LifecycleEvent)[];
  audit: (string | AuditEntry)[];
}

const NONE: PendingEntries = { events: [], audit: [] };

export function hasEntries(pending: PendingEntries | StoredPending): boolean {
  return pending.events.length > 0 || pending.audit.length > 0;
}

export function storePending(pending: PendingEntries): { events: string[]; audit: string[] } {
  return { events: pending.events.map((event) => JSON.stringify(event)), audit: pending.audit.map((entry) => JSON.stringify(entry)) };
}

function loadEvent(stored: string | LifecycleEvent): LifecycleEvent {
  if (typeof stored !== 'string') return stored;
  const event = JSON.parse(stored) as LifecycleEvent & { occurredAt: string };
  return { ...event, occurredAt: new Date(event.occurredAt) };
}

export function loadAudit(stored: string | AuditEntry): AuditEntry {
  if (typeof stored !== 'string') return stored;
  const entry = JSON.parse(stored) as AuditEntry & { at: string };
  return { ...entry, at: new Date(entry.at) };
}

export function loadPending(stored: StoredPending | undefined): PendingEntries {
  return stored ? { events: stored.events.map(loadEvent), audit: stored.audit.map(loadAudit) } : NONE;
}

/** What is left of `pending` once the `taken` entries are stored elsewhere. */
export function withoutEntries(pending: PendingEntries, taken: PendingEntries): PendingEntries {
  const takenEvents = new Set(taken.events.map((event) => event.id));
  const takenAudit = new Set(taken.audit.map((entry) => entry.id));
  return { events: pending.events.filter((event) => !takenEvents.has(event.id)), audit: pending.audit.filter((entry) => !takenAudit.has(entry.id)) };
}

/** The update that appends a write's entries to what the document holds. */
export function pendingPush(pending: PendingEntries | undefined): Record<string, unknown> {
  if (!pending || !hasEntries(pending)) return {};
  const stored = storePending(pending);
  return { $push: { 'pending.events': { $each: stored.events }, 'pending.audit': { $each: stored.audit } } };
}
