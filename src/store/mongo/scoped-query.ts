/**
 * Adds the tenant to a translated filter. Keys are merged to the top level where they do not
 * collide, because the embedded engine pushes `_id` down only as a top-level key: a filter
 * `id eq "…"` must stay `{ _id: "…", tenant }`, not `{ $and: [...] }`.
 */
export function scopedQuery(tenant: string, filter: Record<string, unknown>): Record<string, unknown> {
  if (Object.keys(filter).length === 0) return { tenant };
  if ('tenant' in filter) return { $and: [{ tenant }, filter] };
  return { ...filter, tenant };
}
