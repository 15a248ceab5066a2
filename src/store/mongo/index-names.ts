import type { Model } from 'mongoose';

/**
 * Creates the model's indexes, first dropping any index that has the key of a named schema index
 * under another name. Engines refuse a second index on the same key (IndexOptionsConflict), and
 * mongoose compares indexes by key only, so databases created before the `scalar_` and `elements_`
 * names (engine patches 0005, 0006) would keep the old, unnamed ones, which the embedded engine
 * cannot push down.
 */
export async function createNamedIndexes<T>(model: Model<T>): Promise<void> {
  const collection = model.collection;
  const existing = (await collection.listIndexes().toArray().catch(noCollectionYet)) as { name: string; key: Record<string, unknown> }[];
  for (const [key, options] of model.schema.indexes()) {
    const name = (options as { name?: unknown }).name;
    if (typeof name !== 'string') continue;
    const renamed = existing.find((index) => index.name !== name && sameKey(index.key, key));
    if (renamed) await collection.dropIndex(renamed.name);
  }
  await model.createIndexes();
}

const NAMESPACE_NOT_FOUND = 26;

/** An index listing of a collection that does not exist yet: none. */
export function noCollectionYet(error: unknown): [] {
  if ((error as { code?: unknown }).code === NAMESPACE_NOT_FOUND) return [];
  throw error;
}

function sameKey(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(Object.entries(a)) === JSON.stringify(Object.entries(b));
}
