import type { Schema } from 'mongoose';

/** The comparisons the embedded engine pushes down to an index (engine patches 0002, 0005, 0006). */
const PUSHED_OPERATORS = new Set(['$eq', '$gt', '$gte', '$lt', '$lte', '$in']);

/** A plain value, or an object of pushed-down operators only (a Date is a value). */
function pushable(condition: unknown): boolean {
  if (typeof condition !== 'object' || condition === null || condition instanceof Date || Array.isArray(condition)) return true;
  return Object.keys(condition).every((operator) => PUSHED_OPERATORS.has(operator));
}

/**
 * Which queries the embedded engine answers from indexes alone (docs/decisions.md D41/D42): every
 * condition, at the top level or inside `$and`, compares `_id` or a field of a `scalar_` or
 * `elements_` index with a pushed-down operator, and the sort is on `_id` or a `scalar_` field.
 * Anything else (`$or`, `$nor`, `$regex`, `$exists`, another field, another sort) makes the engine
 * read documents one by one: that is what the store calls an expensive query. MongoDB has its own
 * indexes for more, but one definition keeps the limits the same on both engines.
 */
export function indexedQueries(schema: Schema): (query: Record<string, unknown>, sortField: string) => boolean {
  const scalar = new Set(['_id']);
  const indexed = new Set(['_id']);
  for (const [fields, options] of schema.indexes()) {
    const name = String((options as { name?: unknown }).name ?? '');
    if (!name.startsWith('scalar_') && !name.startsWith('elements_')) continue;
    for (const field of Object.keys(fields)) {
      indexed.add(field);
      if (name.startsWith('scalar_')) scalar.add(field);
    }
  }
  const answered = (query: Record<string, unknown>): boolean =>
    Object.entries(query).every(([key, condition]) =>
      key === '$and' ? Array.isArray(condition) && condition.every((part) => answered(part as Record<string, unknown>)) : indexed.has(key) && pushable(condition),
    );
  return (query, sortField) => scalar.has(sortField) && answered(query);
}
