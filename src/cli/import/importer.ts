// The import run: reads the records of a file (any format), applies the users in batches (several in
// flight), then the groups one by one (their members may be users of the same file), and reports
// every outcome in file order (users first, then groups).
import { ScimError } from '../../errors/scim-error.js';
import type { Interrupts } from '../interrupts.js';
import { resolveMembers } from './members.js';
import { classify, recordKey, type ImportRecord, type Kind } from './records.js';
import type { Rejection } from './rejects.js';
import type { ImportFormat } from './source.js';
import type { Applied, ImportTarget, Outcome } from './targets.js';

/**
 * create: every record is new (a name already taken is refused), users in batched creates (D35).
 * upsert: each record is matched by externalId, then by name: a match is replaced (PUT semantics),
 * anything else is created.
 */
export type ImportMode = 'create' | 'upsert';

export interface ImportOptions {
  file: string;
  format: ImportFormat;
  mode: ImportMode;
  /** Users per batch. */
  batch: number;
  /** Batches in flight. */
  concurrency: number;
  /** What is done to a record before it is applied (attributes no schema defines); a ScimError refuses it. */
  screen(record: ImportRecord): ImportRecord;
}

export interface ImportObserver {
  /** Called in file order (users first, then groups), once per batch or group. */
  rejected(rejections: readonly Rejection[]): Promise<void>;
  /** Records handled so far. */
  progress(done: number): void;
}

export type Counts = Record<Kind, Record<Applied, number>>;

export interface ImportSummary {
  counts: Counts;
  rejected: number;
  /** The line at which an interrupt stopped the reading; undefined when the whole file was read. */
  interruptedAt: number | undefined;
}

type Entry = ImportRecord | Rejection;
const isRejection = (entry: Entry): entry is Rejection => 'error' in entry;

function rejection(record: ImportRecord, error: ScimError): Rejection {
  return { line: record.line, type: record.kind, key: recordKey(record), error };
}

/** A refusal of one record is its outcome; anything else (the database went away) stops the import. */
function refusal(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  throw error;
}

/** Key strings of a record: two records sharing one would race to create or change the same resource. */
function keysOf(record: ImportRecord): string[] {
  return [record.keys.externalId === undefined ? [] : [`externalId:${record.keys.externalId}`], record.keys.name === undefined ? [] : [`name:${record.keys.name.toLowerCase()}`]].flat();
}

/** The records whose keys no earlier record of the list shares, and the rest (for a later round). */
function distinct(records: readonly ImportRecord[]): [ImportRecord[], ImportRecord[]] {
  const seen = new Set<string>();
  const now: ImportRecord[] = [];
  const later: ImportRecord[] = [];
  for (const record of records) {
    const keys = keysOf(record);
    (keys.some((key) => seen.has(key)) ? later : now).push(record);
    for (const key of keys) seen.add(key);
  }
  return [now, later];
}

export async function runImport(options: ImportOptions, target: ImportTarget, observer: ImportObserver, interrupts: Interrupts): Promise<ImportSummary> {
  const counts: Counts = { User: { created: 0, updated: 0, unchanged: 0 }, Group: { created: 0, updated: 0, unchanged: 0 } };
  let rejected = 0;
  let done = 0;

  /** Counts the outcomes of entries and reports the refused ones; returns when they are reported. */
  async function record(entries: readonly Entry[], outcomes: ReadonlyMap<ImportRecord, Outcome>): Promise<void> {
    const refused: Rejection[] = [];
    for (const entry of entries) {
      const outcome = isRejection(entry) ? entry.error : outcomes.get(entry);
      if (outcome === undefined) continue;
      if (outcome instanceof ScimError) refused.push(isRejection(entry) ? entry : rejection(entry, outcome));
      else counts[(entry as ImportRecord).kind][outcome] += 1;
    }
    rejected += refused.length;
    done += entries.length;
    if (refused.length > 0) await observer.rejected(refused);
    observer.progress(done);
  }

  async function upsertUsers(records: readonly ImportRecord[], outcomes: Map<ImportRecord, Outcome>): Promise<void> {
    let pending = records;
    while (pending.length > 0) {
      const [round, later] = distinct(pending);
      const matches = await Promise.all(round.map((item) => target.findUser(item.keys).catch(refusal)));
      const creates: ImportRecord[] = [];
      const replaces: Promise<void>[] = [];
      round.forEach((item, index) => {
        const found = matches[index];
        if (found instanceof ScimError) outcomes.set(item, found);
        else if (found === undefined) creates.push(item);
        else replaces.push(target.replaceUser(item, found).then((outcome) => void outcomes.set(item, outcome)));
      });
      // Together, so that a failure of one never leaves the other's rejection unobserved.
      const [created] = await Promise.all([target.createUsers(creates), Promise.all(replaces)]);
      creates.forEach((item, index) => outcomes.set(item, created[index] as Outcome));
      pending = later;
    }
  }

  async function applyUsers(records: readonly ImportRecord[]): Promise<Map<ImportRecord, Outcome>> {
    const outcomes = new Map<ImportRecord, Outcome>();
    if (options.mode === 'upsert') await upsertUsers(records, outcomes);
    else (await target.createUsers(records)).forEach((outcome, index) => outcomes.set(records[index] as ImportRecord, outcome));
    return outcomes;
  }

  async function applyGroup(record: ImportRecord): Promise<Outcome> {
    try {
      const group = options.screen(record);
      const memberIds = await resolveMembers(group, target);
      const found = options.mode === 'upsert' ? await target.findGroup(group.keys) : undefined;
      return found ? await target.replaceGroup(group, found, memberIds) : await target.createGroup(group, memberIds);
    } catch (error) {
      return refusal(error);
    }
  }

  // Users: batches in flight complete in any order; their outcomes are reported in file order.
  let reported = Promise.resolve();
  let failure: { error: unknown } | undefined;
  const inFlight = new Set<Promise<void>>();
  const start = (entries: Entry[]) => {
    const records = entries.filter((entry): entry is ImportRecord => !isRejection(entry));
    const applied = records.length > 0 ? applyUsers(records) : Promise.resolve(new Map<ImportRecord, Outcome>());
    // Chained: each batch is reported after the one before it, whichever finished first.
    const reportedHere = Promise.all([reported, applied]).then(([, outcomes]) => record(entries, outcomes));
    reported = reportedHere;
    // Settles when this batch's writes and report are over; the first failure stops the reading.
    const task: Promise<void> = Promise.allSettled([applied, reportedHere])
      .then(([, outcome]) => {
        if (outcome.status === 'rejected') failure ??= { error: outcome.reason };
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  const groups: ImportRecord[] = [];
  let batch: Entry[] = [];
  let batchRecords = 0;
  let interruptedAt: number | undefined;
  for await (const item of options.format.read(options.file)) {
    if (failure) break;
    if (interrupts.signal) {
      interruptedAt = item.line;
      break;
    }
    if ('error' in item) batch.push({ line: item.line, type: undefined, key: undefined, error: item.error });
    else {
      let classified: ImportRecord | undefined;
      try {
        classified = classify(item.line, item.body);
        if (classified.kind === 'Group') groups.push(classified);
        else {
          batch.push(options.screen(classified));
          batchRecords += 1;
        }
      } catch (error) {
        batch.push(classified ? rejection(classified, refusal(error)) : { line: item.line, type: undefined, key: undefined, error: refusal(error) });
      }
    }
    if (batchRecords < options.batch) continue;
    start(batch);
    batch = [];
    batchRecords = 0;
    if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
  }
  if (batch.length > 0 && !failure) start(batch);
  await Promise.all(inFlight);
  if (failure) throw failure.error;

  // Groups, after every user of the file exists: one at a time, in file order.
  for (const group of groups) {
    if (interrupts.signal) {
      interruptedAt ??= group.line;
      break;
    }
    await record([group], new Map([[group, await applyGroup(group)]]));
  }
  return { counts, rejected, interruptedAt };
}
