import type { Collection } from 'mongodb';
import { ScimError } from '../../errors/scim-error.js';
import type { FilterNode, ValuePathNode } from '../../scim/filter/ast.js';
import type { ResourceTypeDefinition } from '../../scim/schema-registry.js';
import type { ResourceDocument } from './documents.js';

/**
 * Group filters on `members` — `members[value eq "<id>"]`, `members.value eq "<id>"`, `members eq
 * "<id>"` — which IdPs and pulling apps send to check one membership. Members are not stored on the
 * group (membership lives on the member: its `groupIds`, decisions D4), so "the groups with member
 * X" is X's own `groupIds`, read by `_id` from the users and groups collections: the cost does not
 * depend on the size of any group. Each such condition becomes that set of group ids, which the
 * translator puts in its place (`_id: {$in: …}`), so `and`, `or` and `not` around it keep their
 * meaning, and an ANDed one narrows the whole list to those groups (indexed-equality.ts).
 */

export type GroupsOfMembers = (tenant: string, memberIds: readonly string[]) => Promise<string[]>;

/** Reads the members' `groupIds` by `_id`: users first, then groups for the ids no user has (a member may be either). */
export function groupsOfMembers(collections: readonly Collection<ResourceDocument>[]): GroupsOfMembers {
  return async (tenant, memberIds) => {
    const groupIds = new Set<string>();
    let unresolved = [...new Set(memberIds)];
    for (const collection of collections) {
      // An empty `$in` is not answered from FerretDB's index: it would read the whole collection.
      if (unresolved.length === 0) break;
      const docs = await collection.find({ _id: { $in: unresolved }, tenant }, { projection: { groupIds: 1 } }).toArray();
      for (const doc of docs) for (const groupId of doc.groupIds ?? []) groupIds.add(groupId);
      const found = new Set(docs.map((doc) => doc._id));
      unresolved = unresolved.filter((id) => !found.has(id));
    }
    return [...groupIds];
  };
}

const SUPPORTED = 'members can be filtered by member id only: members[value eq "<id>"], members.value eq "<id>" or members eq "<id>"';

/** `members`, `members.value` (or `members.<sub>`), each with or without the Group schema URN; undefined for other paths. */
function membersPath(definition: ResourceTypeDefinition, path: string): { sub: string | undefined } | undefined {
  const core = `${definition.schema.toLowerCase()}:`;
  const lower = path.toLowerCase().startsWith(core) ? path.toLowerCase().slice(core.length) : path.toLowerCase();
  const [name, sub, ...extra] = lower.split('.');
  return name === 'members' && extra.length === 0 ? { sub } : undefined;
}

/** The ids `value eq "a" or value eq "b" …` inside `members[…]` names; undefined for anything else. */
function valueEqualities(node: FilterNode): string[] | undefined {
  if (node.kind === 'or') {
    const ids = node.operands.map(valueEqualities);
    return ids.every((item) => item !== undefined) ? ids.flat() : undefined;
  }
  if (node.kind !== 'compare' || node.path.toLowerCase() !== 'value' || node.op !== 'eq' || node.value.kind !== 'string') return undefined;
  return [node.value.value];
}

/** The member ids each supported `members` condition names; 400 invalidFilter for any other use of `members`. */
function memberConditions(definition: ResourceTypeDefinition, node: FilterNode, found: Map<FilterNode, string[]>): void {
  switch (node.kind) {
    case 'and':
    case 'or':
      node.operands.forEach((operand) => memberConditions(definition, operand, found));
      return;
    case 'not':
      memberConditions(definition, node.operand, found);
      return;
    case 'valuePath': {
      if (!membersPath(definition, node.path)) return;
      const ids = (node as ValuePathNode).subAttribute ? undefined : valueEqualities(node.filter);
      if (!ids) throw new ScimError('invalidFilter', SUPPORTED);
      found.set(node, ids);
      return;
    }
    default: {
      const members = membersPath(definition, node.path);
      if (!members) return;
      const byValue = members.sub === undefined || members.sub === 'value';
      if (!byValue || node.kind !== 'compare' || node.op !== 'eq' || node.value.kind !== 'string') throw new ScimError('invalidFilter', SUPPORTED);
      found.set(node, [node.value.value]);
    }
  }
}

/** Every `members` condition of a Group filter resolved to the ids of the groups it matches. */
export async function resolveMemberConditions(definition: ResourceTypeDefinition, filter: FilterNode, tenant: string, groupsOf: GroupsOfMembers): Promise<Map<FilterNode, string[]>> {
  const conditions = new Map<FilterNode, string[]>();
  memberConditions(definition, filter, conditions);
  const resolved = new Map<FilterNode, string[]>();
  for (const [node, memberIds] of conditions) resolved.set(node, await groupsOf(tenant, memberIds));
  return resolved;
}
