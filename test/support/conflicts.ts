import type { ResourceStore, Storage } from '../../src/store/contract.js';

/** How many of a storage's version-conditional writes found another version ('conflict'), per resource id. */
export interface ConflictCounter {
  of(id: string): number;
  total(): number;
}

type ConditionalWrite = 'replace' | 'touch' | 'markDeleting';

/**
 * Counts the 'conflict' answers of the real store's conditional writes (a pass-through: every call
 * still reaches the engine), so a test can show that two apps really raced and retried.
 */
export function countConflicts(storage: Storage): ConflictCounter {
  const counts = new Map<string, number>();
  const wrap = (store: ResourceStore, method: ConditionalWrite) => {
    const write = store[method] as (tenant: string, id: string, ...rest: never[]) => ReturnType<ResourceStore[ConditionalWrite]>;
    (store as unknown as Record<ConditionalWrite, typeof write>)[method] = async (tenant, id, ...rest) => {
      const result = await write.call(store, tenant, id, ...rest);
      if (result === 'conflict') counts.set(id, (counts.get(id) ?? 0) + 1);
      return result;
    };
  };
  for (const store of [storage.users, storage.groups]) {
    for (const method of ['replace', 'touch', 'markDeleting'] as const) wrap(store, method);
  }
  return {
    of: (id) => counts.get(id) ?? 0,
    total: () => [...counts.values()].reduce((sum, count) => sum + count, 0),
  };
}
