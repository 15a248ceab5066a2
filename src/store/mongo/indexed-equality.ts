import type { CompareNode, FilterNode } from '../../scim/filter/ast.js';
import type { AttributeResolver } from '../../scim/filter/resolver.js';

/** Where the ids of the resources holding a name or an externalId are found by `_id`. */
export interface EqualityLookups {
  /** The owner of the lower-cased userName / displayName claim. */
  byName(nameLc: string): Promise<string[]>;
  byExternalId(externalId: string): Promise<string[]>;
}

type Lookup = (lookups: EqualityLookups) => Promise<string[]>;

/** The text compared, as the Mongo translation reads it (an unquoted `00123` keeps its text). */
function operandText(node: CompareNode): string | undefined {
  if (node.value.kind === 'string') return node.value.value;
  return node.value.kind === 'number' ? node.value.text : undefined;
}

/** Lookups by preference: `id` (one id), the unique name (at most one), externalId (any number). */
function lookupOf(node: FilterNode, resolver: AttributeResolver): [rank: number, lookup: Lookup] | undefined {
  if (node.kind !== 'compare' || node.op !== 'eq') return undefined;
  const text = operandText(node);
  const info = resolver.resolve(node.path);
  if (text === undefined || !info) return undefined;
  if (info.field === '_id') return [0, async () => [text]];
  if (info.lowercaseField === 'nameLc' && info.type === 'string' && !info.caseExact) return [1, (lookups) => lookups.byName(text.toLowerCase())];
  if (info.field === 'data.externalId') return [2, (lookups) => lookups.byExternalId(text)];
  return undefined;
}

function conjuncts(node: FilterNode): FilterNode[] {
  return node.kind === 'and' ? node.operands.flatMap(conjuncts) : [node];
}

/**
 * The ids of a superset of the resources that match `filter`, found by `_id` lookups alone, when the
 * filter is an equality on id, the unique name or externalId, or a condition the store already
 * resolved to ids (`resolved`: a Group's `members` condition), alone or ANDed with anything else;
 * undefined otherwise. The caller still applies the whole filter to these resources, so a stale
 * lookup entry can only cost a read, never a wrong result.
 */
export async function candidateIds(
  filter: FilterNode,
  resolver: AttributeResolver,
  lookups: EqualityLookups,
  resolved: ReadonlyMap<FilterNode, readonly string[]> = new Map(),
): Promise<string[] | undefined> {
  let best: [number, Lookup] | undefined;
  for (const node of conjuncts(filter)) {
    const ids = resolved.get(node);
    const found: [number, Lookup] | undefined = ids ? [1.5, async () => [...ids]] : lookupOf(node, resolver);
    if (found && (!best || found[0] < best[0])) best = found;
  }
  return best ? [...new Set(await best[1](lookups))] : undefined;
}

/** Narrows a query to the candidates with a top-level `_id` condition, which every engine answers from its `_id` index. */
export function withinIds(filter: Record<string, unknown>, ids: readonly string[] | undefined): Record<string, unknown> {
  return ids ? { _id: { $in: [...ids] }, $and: [filter] } : filter;
}
