import { ScimError } from '../errors/scim-error.js';
import type { ResourceRecord, ResourceStore } from '../store/contract.js';

/**
 * Enough for a burst of concurrent writers to one resource from several processes: each round lets
 * one through, so with P processes contending a writer wins an attempt with about 1/P (30 attempts
 * left one of 100 writers from 4 apps without a win now and then, on a loaded machine).
 */
const MAX_ATTEMPTS = 100;

/** Jitter spreads retrying writers apart so they do not collide again in lockstep. */
const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));

/**
 * Read → compute → conditional write, retried when another writer got there first. With an
 * expected version (If-Match) a mismatch is the client's precondition failing, so no retry.
 * `write` returns the record written, the current one for "nothing to write", 'conflict' when the
 * version moved, or null when the resource is gone. `basis`, a record the caller has just read,
 * spares the first attempt's read (a stale one only costs a retry).
 */
export type WriteWithVersion = (
  store: ResourceStore,
  tenant: string,
  id: string,
  expectedVersion: number | undefined,
  write: (current: ResourceRecord) => Promise<ResourceRecord | 'conflict' | null>,
  basis?: ResourceRecord,
) => Promise<ResourceRecord>;

/**
 * A versioned writer with its own turn-taking: writers to one resource through it take turns, as N
 * concurrent writers would otherwise need up to N rounds of retries (50 parallel PATCHes of one
 * user exhausted MAX_ATTEMPTS and answered 412). Each service (so each app, each process) has its
 * own: writers in other apps or processes are kept apart by the store's conditional write and the
 * retry loop alone.
 */
export function createVersionedWriter(): WriteWithVersion {
  const turns = new Map<string, Promise<unknown>>();

  async function inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
    const current = (turns.get(key) ?? Promise.resolve()).then(work, work);
    const tail = current.catch(() => undefined);
    turns.set(key, tail);
    try {
      return await current;
    } finally {
      if (turns.get(key) === tail) turns.delete(key);
    }
  }

  return (store, tenant, id, expectedVersion, write, basis) =>
    inTurn(`${store.kind}:${tenant}:${id}`, async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
        const current = attempt === 0 && basis ? basis : await store.get(tenant, id);
        if (!current) throw new ScimError('notFound', `${store.kind} ${id} not found`);
        if (expectedVersion !== undefined && current.version !== expectedVersion) {
          throw new ScimError('preconditionFailed', `${store.kind} ${id} has changed since version ${expectedVersion}`);
        }
        const result = await write(current);
        if (result === null) throw new ScimError('notFound', `${store.kind} ${id} not found`);
        if (result !== 'conflict') return result;
        if (expectedVersion !== undefined) {
          throw new ScimError('preconditionFailed', `${store.kind} ${id} was changed by another request`);
        }
        await backoff(attempt);
      }
      throw new ScimError('preconditionFailed', `${store.kind} ${id} is being changed concurrently; retry`);
    });
}
