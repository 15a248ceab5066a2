/**
 * Serialises writes to one document within this process.
 *
 * FerretDB 1.24's SQLite handler applies an update as read → modify → write without isolation, so
 * two concurrent updates of one document can lose one another (even `$inc`, `$addToSet` and a
 * version-conditional findOneAndUpdate). MongoDB updates a single document atomically, so there
 * this lock only removes needless retries. Our embedded engine is patched (engine/ferretdb/patches,
 * 0003) to isolate each write command too, so across processes on MongoDB or on one shared embedded
 * engine the version-conditional writes keep writers apart and this lock is an optimisation.
 */
export interface DocumentLocks {
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
}

export function createDocumentLocks(): DocumentLocks {
  const tails = new Map<string, Promise<unknown>>();

  return {
    async withLock(key, work) {
      const previous = tails.get(key) ?? Promise.resolve();
      const current = previous.then(work, work);
      const tail = current.catch(() => undefined);
      tails.set(key, tail);
      try {
        return await current;
      } finally {
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
