import { ScimError } from '../errors/scim-error.js';
import type { AuditEntry } from '../lifecycle/types.js';
import { queryFingerprint, type CursorCodec } from '../scim/cursor.js';
import type { AuditOrder, AuditPosition, AuditQuery, Storage } from '../store/contract.js';
import { csvLine } from './csv.js';

/**
 * Reading one tenant's audit trail: pages behind opaque cursors, and whole selections streamed for
 * export. Shared by the admin API and anything else that shows the trail (e.g. a console page).
 */

/** Which entries, in which order: what a cursor stays bound to. */
export type AuditView = Omit<AuditQuery, 'order' | 'after' | 'limit'> & { order: AuditOrder };

export interface AuditPage {
  entries: AuditEntry[];
  /** Present when more entries follow: continues the walk strictly after the page's last entry. */
  nextCursor?: string;
}

/** Entries read per query when a whole selection is streamed. */
const EXPORT_BATCH = 500;

function fingerprintOf(view: AuditView): string {
  const { tenant, resourceId, actor, operation, resourceType, since, until, order } = view;
  return queryFingerprint(['audit', tenant, resourceId, actor, operation, resourceType, since?.toISOString(), until?.toISOString(), order]);
}

const invalidCursor = () => new ScimError('invalidCursor', 'The cursor is not valid for this query: send no cursor for the first page, then the nextCursor of the page before with the same filters and order');

/** The position a cursor carries; the cursor must come from a page of the same view. */
function positionOf(cursor: string, view: AuditView, cursors: CursorCodec): AuditPosition {
  const { sortValue, id, direction } = cursors.decode(cursor, fingerprintOf(view));
  if (!(sortValue instanceof Date) || direction !== 'after') throw invalidCursor();
  return { at: sortValue, id };
}

/**
 * One page of up to `limit` entries, continuing after `cursor` (the first page without). Entries
 * appended while a client pages never shift its walk: newest first, they come before its first
 * page; oldest first, they come at its end.
 */
export async function auditPage(storage: Storage, view: AuditView, cursor: string | undefined, limit: number, cursors: CursorCodec): Promise<AuditPage> {
  const after = cursor === undefined ? undefined : positionOf(cursor, view, cursors);
  const read = await storage.audit.query({ ...view, after, limit: limit + 1 });
  const entries = read.slice(0, limit);
  const last = entries.at(-1);
  if (read.length <= limit || !last) return { entries };
  return { entries, nextCursor: cursors.encode(fingerprintOf(view), { sortValue: last.at, id: last.id, direction: 'after' }) };
}

/** Every entry of the view, read a batch at a time by keyset, so memory does not grow with the trail. */
export async function* auditEntries(storage: Storage, view: AuditView): AsyncGenerator<AuditEntry> {
  let after: AuditPosition | undefined;
  for (;;) {
    const batch = await storage.audit.query({ ...view, after, limit: EXPORT_BATCH });
    yield* batch;
    const last = batch.at(-1);
    if (batch.length < EXPORT_BATCH || !last) return;
    after = { at: last.at, id: last.id };
  }
}

export const AUDIT_CSV_COLUMNS = ['at', 'id', 'actor', 'requestId', 'operation', 'resourceType', 'resourceId', 'events', 'grantsAdded', 'grantsRevoked', 'refused', 'before', 'after', 'blocked'];

const grantCells = (grants: AuditEntry['grantsAdded']) => grants.map((grant) => `${grant.kind}:${grant.name}`);
const jsonCell = (value: unknown) => (value === null || value === undefined ? '' : JSON.stringify(value));

/** An entry as one CSV line under AUDIT_CSV_COLUMNS: lists space-separated, objects as JSON text. */
export function auditCsvLine(entry: AuditEntry): string {
  return csvLine([
    entry.at.toISOString(),
    entry.id,
    entry.actor,
    entry.requestId,
    entry.operation,
    entry.resourceType,
    entry.resourceId,
    entry.events,
    grantCells(entry.grantsAdded),
    grantCells(entry.grantsRevoked),
    jsonCell(entry.refused),
    jsonCell(entry.before),
    jsonCell(entry.after),
    // Last, so that the columns before it keep their places for existing readers.
    jsonCell(entry.blocked),
  ]);
}
