import type { KeysetPosition, SortValue } from '../contract.js';

/**
 * The query for "strictly after/before (value, id)" in an order of (field, _id), both ascending or
 * both descending. MongoDB sorts missing/null first ascending, so null is the smallest value.
 *
 * Beside the `$or`, a plain bound on the field (`$gte`/`$lte` the value) selects a superset of it.
 * Engines start the index scan there, and the embedded engine pushes only such plain conditions
 * down, so without it every page reads from the start of the collection. The bound is left out
 * where it would drop documents the `$or` keeps: going backwards through a field that may be
 * missing (`present` false), because missing fields sort before every value.
 */
export function keysetFilter(field: string, descending: boolean, position: KeysetPosition, present: boolean): Record<string, unknown> {
  const forward = position.direction === 'after' !== descending;
  const beyond = forward ? '$gt' : '$lt';
  const { sortValue: value, id } = position;
  const sameValueFurther = { [field]: value, _id: { [beyond]: id } };
  if (value === null) {
    return forward ? { $or: [sameValueFurther, { [field]: { $ne: null } }] } : sameValueFurther;
  }
  const further: Record<string, unknown>[] = [{ [field]: { [beyond]: value } }, sameValueFurther];
  if (forward) return { [field]: { $gte: value }, $or: further };
  if (present) return { [field]: { $lte: value }, $or: further };
  further.push({ [field]: null });
  return { $or: further };
}

/** Reads a dotted field of a stored document, for the cursor of the page's edge items. */
export function sortValueOf(doc: Record<string, unknown>, field: string): SortValue {
  let value: unknown = doc;
  for (const part of field.split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (value instanceof Date || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return null;
}
