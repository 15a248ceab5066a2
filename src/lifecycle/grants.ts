import { evaluatePolicy, permissionsOf } from './policy/evaluate.js';
import type { Policy, PolicySubject } from './policy/types.js';
import type { Grant } from './types.js';

/** Values of a multi-valued SCIM attribute such as `roles` or `entitlements` ([{value}, …]). */
export function valuesOf(attribute: unknown): string[] {
  if (!Array.isArray(attribute)) return [];
  return attribute.flatMap((item) => {
    const value = typeof item === 'object' && item !== null ? (item as { value?: unknown }).value : undefined;
    return typeof value === 'string' && value !== '' ? [value] : [];
  });
}

/**
 * Grants of an active user: roles matched by policy rules, roles the IdP sent in `roles` (only
 * those the policy defines: an unknown role grants nothing), and permissions sent in `entitlements`.
 */
export function grantsFor(policy: Policy, subject: PolicySubject): Grant[] {
  const policyGrants = evaluatePolicy(policy, subject).map((grant): Grant => ({ kind: 'role', name: grant.role, source: 'policy', rules: grant.rules }));
  const directRoles = [...new Set(valuesOf(subject.attributes['roles']))]
    .filter((role) => policy.roles[role] !== undefined)
    .map((role): Grant => ({ kind: 'role', name: role, source: 'direct' }));
  const directPermissions = [...new Set(valuesOf(subject.attributes['entitlements']))].map((name): Grant => ({ kind: 'permission', name, source: 'direct' }));
  return [...policyGrants, ...directRoles, ...directPermissions];
}

export function effectivePermissions(policy: Policy, grants: readonly Grant[]): string[] {
  const roles = grants.filter((grant) => grant.kind === 'role').map((grant) => grant.name);
  const direct = grants.filter((grant) => grant.kind === 'permission').map((grant) => grant.name);
  return [...new Set([...permissionsOf(policy, roles), ...direct])].sort();
}

const keyOf = (grant: Grant) => `${grant.kind}:${grant.source}:${grant.name}`;

/** Grants in `next` but not in `previous`, and the other way round. */
export function diffGrants(previous: readonly Grant[], next: readonly Grant[]): { added: Grant[]; revoked: Grant[] } {
  const before = new Set(previous.map(keyOf));
  const after = new Set(next.map(keyOf));
  return { added: next.filter((grant) => !before.has(keyOf(grant))), revoked: previous.filter((grant) => !after.has(keyOf(grant))) };
}
