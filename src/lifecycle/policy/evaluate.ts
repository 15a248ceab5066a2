import { isPresent, valuesEqual } from '../../scim/filter/evaluate.js';
import { attributesFor } from '../../scim/patch/path.js';
import { extensionDefining, findAttribute, USER_RESOURCE, USER_SCHEMA, type AttributeSchema } from '../../scim/schema-registry.js';
import type { AttributeCondition, Condition, Policy, PolicyGrant, PolicySubject, RoleDefinition } from './types.js';

/**
 * Evaluates the access policy for one user: which roles its rules grant, and what those roles permit.
 * Pure: the caller supplies the user's attributes and direct groups.
 */

/** A policy attribute path resolved against the User schema; names are canonical. */
export interface PolicyAttribute {
  /** URN of the extension whose object holds the attribute; undefined for core and common attributes. */
  extension: string | undefined;
  attribute: AttributeSchema;
  subAttribute: AttributeSchema | undefined;
}

const CORE_PREFIX = `${USER_SCHEMA}:`.toLowerCase();

/**
 * Resolves "title", "name.familyName", "externalId", a bare extension name ("department",
 * "manager.value", "remoteWorker") or a full URN path. Core wins over extensions for bare names, as
 * in SCIM filters and PATCH paths; a bare name that several extensions define throws (invalidPath).
 */
export function resolvePolicyAttribute(path: string): PolicyAttribute | undefined {
  const lower = path.toLowerCase();
  if (lower.startsWith(CORE_PREFIX)) return resolveIn(undefined, path.slice(CORE_PREFIX.length));
  const extension = USER_RESOURCE.extensions.find((candidate) => lower.startsWith(`${candidate.urn.toLowerCase()}:`));
  if (extension) return resolveIn(extension.urn, path.slice(extension.urn.length + 1));
  if (path.includes(':')) return undefined;
  return resolveIn(extensionDefining(USER_RESOURCE, path.split('.')[0] ?? '')?.urn, path);
}

function resolveIn(extension: string | undefined, rest: string): PolicyAttribute | undefined {
  const [name = '', subName, ...extra] = rest.split('.');
  const attribute = findAttribute(attributesFor(USER_RESOURCE, extension), name);
  if (!attribute || extra.length > 0) return undefined;
  if (subName === undefined) return { extension, attribute, subAttribute: undefined };
  const subAttribute = findAttribute(attribute.subAttributes ?? [], subName);
  return subAttribute ? { extension, attribute, subAttribute } : undefined;
}

/**
 * Roles granted to the subject, sorted by name, each with the granting rules in policy order. A role
 * the subject holds an exception for (an access review revoked it) is not granted, whatever matches.
 */
export function evaluatePolicy(policy: Policy, subject: PolicySubject): PolicyGrant[] {
  const grants = new Map<string, string[]>();
  const withheld = new Set(subject.exceptions ?? []);
  for (const rule of policy.rules) {
    if (!matches(rule.when, subject)) continue;
    for (const role of rule.grant) if (!withheld.has(role)) grants.set(role, [...(grants.get(role) ?? []), rule.name]);
  }
  return [...grants.keys()].sort().map((role) => ({ role, rules: grants.get(role) ?? [] }));
}

/** The sorted union of the roles' permissions; roles the policy does not define contribute nothing. */
export function permissionsOf(policy: Policy, roles: readonly string[]): string[] {
  return [...new Set(roles.flatMap((role) => ownRole(policy, role)?.permissions ?? []))].sort();
}

/** Own properties only: a role named "constructor" must not reach Object.prototype. */
function ownRole(policy: Policy, name: string): RoleDefinition | undefined {
  return Object.hasOwn(policy.roles, name) ? policy.roles[name] : undefined;
}

function matches(condition: Condition, subject: PolicySubject): boolean {
  if ('all' in condition) return condition.all.every((operand) => matches(operand, subject));
  if ('any' in condition) return condition.any.some((operand) => matches(operand, subject));
  if ('not' in condition) return !matches(condition.not, subject);
  if ('memberOf' in condition) return isMemberOf(subject, condition.memberOf);
  return matchesAttribute(condition, subject);
}

function isMemberOf(subject: PolicySubject, displayName: string): boolean {
  const wanted = displayName.toLowerCase();
  return subject.groups.some((group) => group.displayName?.toLowerCase() === wanted);
}

function matchesAttribute(condition: AttributeCondition, subject: PolicySubject): boolean {
  const target = resolvePolicyAttribute(condition.attribute);
  // The loader rejects unknown paths; a hand-built policy naming one fails closed.
  if (!target) return false;
  const value = valueOf(subject, target);
  if (condition.present !== undefined) return isPresent(value) === condition.present;
  const schema = target.subAttribute ?? target.attribute;
  if (condition.equals !== undefined) return valuesEqual(schema, value, condition.equals);
  if (condition.in !== undefined) return condition.in.some((expected) => valuesEqual(schema, value, expected));
  if (condition.startsWith !== undefined) return startsWith(schema, value, condition.startsWith);
  return false;
}

function startsWith(schema: AttributeSchema, value: unknown, prefix: string): boolean {
  if (typeof value !== 'string') return false;
  return schema.caseExact ? value.startsWith(prefix) : value.toLowerCase().startsWith(prefix.toLowerCase());
}

/** A multi-valued attribute's sub-attribute reads as the list of its elements' present values. */
function valueOf(subject: PolicySubject, target: PolicyAttribute): unknown {
  const container = target.extension === undefined ? subject.attributes : asRecord(readKey(subject.attributes, target.extension));
  const value = readKey(container, target.attribute.name);
  const subName = target.subAttribute?.name;
  if (subName === undefined) return value;
  if (Array.isArray(value)) return value.map((element) => readKey(asRecord(element), subName)).filter(isPresent);
  return readKey(asRecord(value), subName);
}

/** SCIM attribute names and schema URNs are case-insensitive, and clients do not all send canonical case. */
function readKey(record: Record<string, unknown> | undefined, name: string): unknown {
  if (!record) return undefined;
  if (Object.hasOwn(record, name)) return record[name];
  const lower = name.toLowerCase();
  return Object.entries(record).find(([key]) => key.toLowerCase() === lower)?.[1];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
