import { ScimError } from '../errors/scim-error.js';
import type { FilterNode } from '../scim/filter/ast.js';
import type { ResourceRecord, ResourceStore } from '../store/contract.js';

/** What identifies a resource in a file from elsewhere (an HR feed, an export): it has no id of ours. */
export interface ResourceKeys {
  externalId?: string | undefined;
  /** userName for users, displayName for groups (unique per tenant, case-insensitively). */
  name?: string | undefined;
}

export interface ResourceMatcher {
  /**
   * The stored resource these keys name (matchByKeys): the one holding the externalId; else the one
   * holding the name, unless it holds another externalId (then it is someone else: a conflict).
   * Undefined when none does. An externalId held by several resources is a conflict too.
   */
  match(tenant: string, keys: ResourceKeys): Promise<ResourceRecord | undefined>;
  /** The resource holding this externalId alone (a group member named by it), undefined when none. */
  byExternalId(tenant: string, externalId: string): Promise<ResourceRecord | undefined>;
  /** The resource holding this name, undefined when none. */
  byName(tenant: string, name: string): Promise<ResourceRecord | undefined>;
}

const equals = (path: string, value: string): FilterNode => ({ kind: 'compare', path, op: 'eq', value: { kind: 'string', value } });

/** Finds resources by the keys an import names them with; every lookup is an `_id` lookup (D30). */
export function createMatcher(store: ResourceStore, nameAttribute: 'userName' | 'displayName'): ResourceMatcher {
  const kind = store.kind;
  const find = async (tenant: string, filter: FilterNode) => (await store.list(tenant, { filter, descending: false, startIndex: 1, count: 2 })).items;

  async function byExternalId(tenant: string, externalId: string): Promise<ResourceRecord | undefined> {
    const holders = await find(tenant, equals('externalId', externalId));
    if (holders.length > 1) throw new ScimError('uniqueness', `externalId "${externalId}" is held by several ${kind}s; cannot tell which one is meant`);
    return holders[0];
  }

  async function byName(tenant: string, name: string): Promise<ResourceRecord | undefined> {
    return (await find(tenant, equals(nameAttribute, name)))[0];
  }

  return {
    byExternalId,
    byName,
    match: (tenant, keys) => matchByKeys(keys, { byExternalId: (externalId) => byExternalId(tenant, externalId), byName: (name) => byName(tenant, name) }, kind, nameAttribute),
  };
}

export interface KeyLookups<R extends { attributes: Record<string, unknown> }> {
  byExternalId(externalId: string): Promise<R | undefined>;
  byName(name: string): Promise<R | undefined>;
}

/**
 * The matching rule, on any lookups (the store's, or a dry run's that also knows what it would
 * have written): by externalId; else by name, unless the one holding the name holds another externalId.
 */
export async function matchByKeys<R extends { attributes: Record<string, unknown> }>(keys: ResourceKeys, lookups: KeyLookups<R>, kind: string, nameAttribute: string): Promise<R | undefined> {
  if (keys.externalId !== undefined) {
    const found = await lookups.byExternalId(keys.externalId);
    if (found) return found;
  }
  if (keys.name === undefined) return undefined;
  const named = await lookups.byName(keys.name);
  const held = named?.attributes['externalId'];
  if (named && keys.externalId !== undefined && typeof held === 'string' && held !== keys.externalId) {
    // Same name, another person (e.g. a second "jsmith"): updating would hand them the first one's access.
    throw new ScimError('uniqueness', `${nameAttribute} "${keys.name}" belongs to a ${kind} with another externalId ("${held}")`);
  }
  return named;
}
