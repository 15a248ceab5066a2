import { MongoBulkWriteError, type Collection, type Document, type OptionalUnlessRequiredId } from 'mongodb';

/** MongoDB's duplicate-key error code: the one failure an `_id`-keyed insert expects. */
const DUPLICATE_KEY = 11000;

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/**
 * Inserts every document whose `_id` is not stored yet (unordered, one command) and returns the
 * positions of those that were: a collision is an answer here, not a failure. Any other failure throws.
 */
export async function insertNew<T extends Document>(collection: Collection<T>, documents: OptionalUnlessRequiredId<T>[]): Promise<Set<number>> {
  if (documents.length === 0) return new Set();
  try {
    await collection.insertMany(documents, { ordered: false });
    return new Set();
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError) || error.err) throw error;
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    if (writeErrors.length === 0 || writeErrors.some((writeError) => writeError.code !== DUPLICATE_KEY)) throw error;
    return new Set(writeErrors.map((writeError) => writeError.index));
  }
}
