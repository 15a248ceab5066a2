import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ReadBudget } from '../contract.js';

/** MongoDB's and FerretDB's code for a command stopped at its maxTimeMS. */
const MAX_TIME_MS_EXPIRED = 50;

function stoppedAtTimeLimit(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === MAX_TIME_MS_EXPIRED;
}

/**
 * Runs one read with the time the request has left as its maxTimeMS, so the engine stops it at the
 * deadline (FerretDB 1.24 honours maxTimeMS for find's first batch and for aggregate, which
 * countDocuments uses; its getMore and count commands ignore it, so callers read a single batch or
 * check the deadline between batches). Without a budget the read is unbounded.
 */
export async function boundedRead<T>(budget: ReadBudget | undefined, read: (maxTimeMS: number | undefined) => Promise<T>): Promise<T> {
  if (!budget) return read(undefined);
  try {
    return await read(budget.remainingMs());
  } catch (error) {
    if (stoppedAtTimeLimit(error)) throw budget.deadlineError();
    throw error;
  }
}

/** Work items handled between two looks at the deadline and two turns of the event loop. */
const PASS_CHUNK = 1_000;

/**
 * Calls `visit` for each item, yielding to the event loop and checking the deadline every so
 * often: an in-memory pass over many candidates neither outlives its request nor stalls the others.
 */
export async function boundedPass<T>(budget: ReadBudget | undefined, items: Iterable<T>, visit: (item: T) => void, weight = 1): Promise<void> {
  const every = Math.max(1, Math.floor(PASS_CHUNK / Math.max(1, weight)));
  let done = 0;
  for (const item of items) {
    visit(item);
    done += 1;
    if (done % every === 0) {
      await nextTurn();
      budget?.checkDeadline();
    }
  }
}
