import type { Collection, Filter } from 'mongodb';
import { ScimError } from '../../errors/scim-error.js';
import type { FilterNode, ValuePathNode } from '../../scim/filter/ast.js';
import type { AttributeResolver } from '../../scim/filter/resolver.js';
import { correlatedValuePaths, valuePathSuperset, type CorrelatedMatches } from '../../scim/filter/to-mongo.js';
import { matchesFilter } from '../../scim/filter/evaluate.js';
import { resolveAttributePath, type ResourceTypeDefinition } from '../../scim/schema-registry.js';
import type { ReadBudget } from '../contract.js';
import type { ResourceDocument } from './documents.js';
import { scopedQuery } from './scoped-query.js';
import { withinIds } from './indexed-equality.js';
import { boundedPass, boundedRead } from './bounded-reads.js';

/** Without a request budget (maintenance jobs), still no more than this many candidates in memory. */
const UNBUDGETED_CANDIDATES = 50_000;

function elementsOf(doc: Record<string, unknown>, field: string): Record<string, unknown>[] {
  let value: unknown = doc;
  for (const part of field.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  return Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : [];
}

interface Check {
  node: ValuePathNode;
  field: string;
  matching: (element: Record<string, unknown>) => boolean;
  ids: string[];
}

function checkOf(node: ValuePathNode, definition: ResourceTypeDefinition, resolver: AttributeResolver): Check {
  const schema = resolveAttributePath(definition, node.path)?.attribute;
  const field = resolver.resolve(node.path)?.field;
  if (!schema?.subAttributes || !schema.multiValued || !field) throw new ScimError('invalidFilter', `'${node.path}[...]' needs a multi-valued complex attribute`);
  const subAttributes = schema.subAttributes;
  const matching = (element: Record<string, unknown>) =>
    matchesFilter(node.filter, element, subAttributes) && (!node.subAttribute || matchesFilter(node.subAttribute, element, subAttributes));
  return { node, field, matching, ids: [] };
}

/**
 * Reads at most one candidate more than the request may still take, in one batch: FerretDB honours
 * maxTimeMS only for a find's first batch, so the whole read stays under the deadline.
 */
async function readCandidates(collection: Collection<ResourceDocument>, query: Record<string, unknown>, projection: Record<string, 1>, budget: ReadBudget | undefined): Promise<Record<string, unknown>[]> {
  const allowance = budget ? budget.candidatesLeft() : UNBUDGETED_CANDIDATES;
  const candidates = await boundedRead(budget, (maxTimeMS) =>
    collection.find(query as Filter<ResourceDocument>, { projection, limit: allowance + 1, batchSize: allowance + 1, ...(maxTimeMS ? { maxTimeMS } : {}) }).toArray(),
  );
  if (budget) budget.takeCandidates(candidates.length);
  else if (candidates.length > allowance) throw new ScimError('tooMany', 'The filter matches too many resources to check one by one; narrow it');
  return candidates as unknown as Record<string, unknown>[];
}

/**
 * Resolves value paths whose conditions must hold for one element (e.g. Entra's
 * `emails[type eq "work"].value eq "x"`): the database narrows the candidates with one query, the
 * `$or` of each path's uncorrelated superset (one read of the collection however many paths the
 * filter has), and only those candidates' elements are checked here, path by path.
 */
export async function resolveCorrelatedValuePaths(
  collection: Collection<ResourceDocument>,
  tenant: string,
  definition: ResourceTypeDefinition,
  resolver: AttributeResolver,
  filter: FilterNode,
  /** Candidates already known to contain every match (indexed-equality.ts): only they are read. */
  within: readonly string[] | undefined,
  budget: ReadBudget | undefined,
): Promise<CorrelatedMatches> {
  const checks = correlatedValuePaths(filter).map((node) => checkOf(node, definition, resolver));
  if (checks.length === 0 || within?.length === 0) return new Map(checks.map((check) => [check.node, []]));
  const supersets = [...new Map(checks.map((check) => valuePathSuperset(check.node, resolver)).map((query) => [JSON.stringify(query), query])).values()];
  const query = withinIds(scopedQuery(tenant, supersets.length === 1 ? (supersets[0] as Record<string, unknown>) : { $or: supersets }), within);
  const projection = Object.fromEntries(['_id', ...new Set(checks.map((check) => check.field))].map((field): [string, 1] => [field, 1]));
  const candidates = await readCandidates(collection, query, projection, budget);
  await boundedPass(
    budget,
    candidates,
    (doc) => {
      for (const check of checks) if (elementsOf(doc, check.field).some(check.matching)) check.ids.push(String(doc['_id']));
    },
    checks.length,
  );
  return new Map(checks.map((check) => [check.node, check.ids]));
}
