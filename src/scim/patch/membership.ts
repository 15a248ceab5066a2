import { ScimError } from '../../errors/scim-error.js';
import type { FilterNode } from '../filter/ast.js';
import { findAttribute, type AttributeSchema, type ResourceTypeDefinition } from '../schema-registry.js';
import type { PatchOperation } from './operations.js';
import { parsePatchPath } from './path.js';
import { canonicalKeys, isClear, isObject } from './values.js';

export type MembershipOperation =
  | { kind: 'add'; ids: string[] }
  | { kind: 'remove'; ids: string[] }
  /** members[<filter>] that is not a chain of `value eq`: the caller evaluates it against loaded members. */
  | { kind: 'removeWhere'; filter: FilterNode }
  | { kind: 'removeAll' }
  /** The complete new member list; [] empties the group. */
  | { kind: 'replace'; ids: string[] };

/**
 * Pulls every operation on a Group's `members` out of the list, in order, so that membership can be
 * changed without loading the member list. A path-less value object keeps its other keys as an
 * ordinary operation. Other resource types are returned unchanged.
 */
export function splitMembershipOperations(
  definition: ResourceTypeDefinition,
  operations: PatchOperation[],
): { membership: MembershipOperation[]; others: PatchOperation[] } {
  const membership: MembershipOperation[] = [];
  const others: PatchOperation[] = [];
  const members = definition.name === 'Group' ? findAttribute(definition.attributes, 'members') : undefined;
  for (const operation of operations) {
    if (!members) others.push(operation);
    else if (operation.path === undefined) splitPathless(definition, members, operation, membership, others);
    else splitWithPath(definition, members, operation, operation.path, membership, others);
  }
  return { membership, others };
}

function splitWithPath(
  definition: ResourceTypeDefinition,
  members: AttributeSchema,
  operation: PatchOperation,
  text: string,
  membership: MembershipOperation[],
  others: PatchOperation[],
): void {
  const path = parsePatchPath(definition, text);
  if (path.extension !== undefined || path.attribute !== members.name) return void others.push(operation);
  if (path.subAttribute) {
    throw new ScimError('mutability', `The sub-attributes of '${members.name}' cannot be changed; add or remove members instead`);
  }
  if (operation.op === 'remove') return void membership.push(membershipRemoval(members, path.filter, operation.value));
  if (path.filter) throw new ScimError('invalidPath', `Members are added or replaced with the path '${members.name}', not a filter`);
  membership.push(membershipChange(members, operation.op, operation.value));
}

function splitPathless(
  definition: ResourceTypeDefinition,
  members: AttributeSchema,
  operation: PatchOperation,
  membership: MembershipOperation[],
  others: PatchOperation[],
): void {
  const { op, value } = operation;
  if (op === 'remove' || !isObject(value)) return void others.push(operation);
  const memberKeys = [members.name, `${definition.schema}:${members.name}`].map((key) => key.toLowerCase());
  const entries = Object.entries(value);
  const rest = entries.filter(([key]) => !memberKeys.includes(key.toLowerCase()));
  for (const [key, item] of entries) {
    if (memberKeys.includes(key.toLowerCase())) membership.push(membershipChange(members, op, item));
  }
  if (rest.length === entries.length) others.push(operation);
  else if (rest.length > 0) others.push({ op, value: Object.fromEntries(rest) });
}

function membershipRemoval(members: AttributeSchema, filter: FilterNode | undefined, value: unknown): MembershipOperation {
  if (filter) {
    const ids = valueEqualities(filter);
    return ids ? { kind: 'remove', ids } : { kind: 'removeWhere', filter };
  }
  return value === undefined || isClear(value) ? { kind: 'removeAll' } : { kind: 'remove', ids: memberIds(members, value) };
}

function membershipChange(members: AttributeSchema, op: 'add' | 'replace', value: unknown): MembershipOperation {
  if (isClear(value)) return { kind: 'removeAll' };
  return { kind: op, ids: memberIds(members, value) };
}

/** `value eq "a"` or `value eq "a" or value eq "b" …` (Okta, Entra aadOptscim062020) names the members directly. */
function valueEqualities(node: FilterNode): string[] | undefined {
  if (node.kind === 'or') {
    const ids = node.operands.map(valueEqualities);
    return ids.every((item) => item !== undefined) ? ids.flat() : undefined;
  }
  if (node.kind !== 'compare' || node.path !== 'value' || node.op !== 'eq' || node.value.kind !== 'string') return undefined;
  return [node.value.value];
}

function memberIds(members: AttributeSchema, value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map((element) => {
    const id = isObject(element) ? canonicalKeys(members, element)['value'] : undefined;
    if (typeof id !== 'string' || id === '') {
      throw new ScimError('invalidValue', `Each member must be an object with a non-empty string "value", e.g. {"value": "<id>"}`);
    }
    return id;
  });
}
