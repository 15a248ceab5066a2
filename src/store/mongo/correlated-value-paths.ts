import type { Model } from 'mongoose';
import { ScimError } from '../../errors/scim-error.js';
import type { FilterNode, ValuePathNode } from '../../scim/filter/ast.js';
import type { AttributeResolver } from '../../scim/filter/resolver.js';
import { correlatedValuePaths, valuePathSuperset, type CorrelatedMatches } from '../../scim/filter/to-mongo.js';
import { matchesFilter } from '../../scim/filter/evaluate.js';
import { resolveAttributePath, type ResourceTypeDefinition } from '../../scim/schema-registry.js';
import type { ResourceDocument } from './documents.js';
import { scopedQuery } from './scoped-query.js';
import { withinIds } from './indexed-equality.js';

/** A correlated value path narrower than this many candidate resources is resolved; a broader one is refused. */
const MAX_CANDIDATES = 50_000;

function elementsOf(doc: Record<string, unknown>, field: string): Record<string, unknown>[] {
  let value: unknown = doc;
  for (const part of field.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  return Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : [];
}

/**
 * Resolves value paths whose conditions must hold for one element (e.g. Entra's
 * `emails[type eq "work"].value eq "x"`): the database narrows the candidates with an uncorrelated
 * superset query, and only those candidates' elements of that one attribute are checked here.
 */
export async function resolveCorrelatedValuePaths(
  model: Model<ResourceDocument>,
  tenant: string,
  definition: ResourceTypeDefinition,
  resolver: AttributeResolver,
  filter: FilterNode,
  /** Candidates already known to contain every match (indexed-equality.ts): only they are read. */
  within?: readonly string[],
): Promise<CorrelatedMatches> {
  const matches = new Map<ValuePathNode, string[]>();
  for (const node of correlatedValuePaths(filter)) {
    const schema = resolveAttributePath(definition, node.path)?.attribute;
    const field = resolver.resolve(node.path)?.field;
    if (!schema?.subAttributes || !schema.multiValued || !field) throw new ScimError('invalidFilter', `'${node.path}[...]' needs a multi-valued complex attribute`);
    const subAttributes = schema.subAttributes;
    const superset = scopedQuery(tenant, valuePathSuperset(node, resolver));
    const candidates =
      within?.length === 0
        ? []
        : await model
            .find(withinIds(superset, within), { _id: 1, [field]: 1 })
            .limit(MAX_CANDIDATES + 1)
            .lean<Record<string, unknown>[]>();
    if (candidates.length > MAX_CANDIDATES) throw new ScimError('tooMany', `The filter on '${node.path}[...]' matches too many resources; narrow it`);
    const matching = (element: Record<string, unknown>) =>
      matchesFilter(node.filter, element, subAttributes) && (!node.subAttribute || matchesFilter(node.subAttribute, element, subAttributes));
    matches.set(node, candidates.filter((doc) => elementsOf(doc, field).some(matching)).map((doc) => String(doc['_id'])));
  }
  return matches;
}
