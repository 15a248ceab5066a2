import { effectivePermissions, grantsFor } from './grants.js';
import type { Policy, PolicySubject, SodConflict } from './policy/types.js';
import type { BlockedGrant, Grant, LifecycleState, SodState } from './types.js';

/**
 * Separation of duties, a step of every user evaluation: the policy's `conflicts` name roles and
 * permissions one person must not hold together. A `flag` conflict keeps the grants and is
 * reported; a `block` conflict withholds the grant that would complete it.
 *
 * Which grant is withheld is decided by one order, so that the same user and policy always give
 * the same answer: grants the user already held come first (a new grant never takes an existing
 * one's place), then policy grants before direct ones (the reviewed rule before the IdP's ad hoc
 * assignment), roles before permissions, then names in code-point order. Going down that order, a
 * grant is kept unless, with the grants kept before it, it would complete a `block` conflict.
 */

export interface Separation {
  /** The grants applied, in the order they were proposed. */
  grants: Grant[];
  /** Direct grants withheld: the IdP sent them, so they are dropped from the user's attributes. */
  dropped: Grant[];
  /** Grants withheld in this change that were not already withheld: what the event and audit entry report. */
  blocked: BlockedGrant[];
  /** `flag` conflicts the user holds now and did not hold before. */
  newlyFlagged: SodConflict[];
  /** What to store in the lifecycle state; undefined when there is nothing to say. */
  state: SodState | undefined;
}

const keyOf = (grant: Grant) => `${grant.kind}:${grant.source}:${grant.name}`;

/** The members of a conflict: roles by name, permissions by name (a permission always has a ':', a role never). */
export function membersOf(conflict: SodConflict): string[] {
  return [...(conflict.roles ?? []), ...(conflict.permissions ?? [])];
}

/** The members of the conflict that these grants give. */
export function heldMembers(policy: Policy, conflict: SodConflict, grants: readonly Grant[]): string[] {
  const roles = new Set(grants.filter((grant) => grant.kind === 'role').map((grant) => grant.name));
  const permissions = new Set(effectivePermissions(policy, grants));
  return [...(conflict.roles ?? []).filter((role) => roles.has(role)), ...(conflict.permissions ?? []).filter((permission) => permissions.has(permission))];
}

const holds = (policy: Policy, conflict: SodConflict, grants: readonly Grant[]) => heldMembers(policy, conflict, grants).length === membersOf(conflict).length;

/** The conflicts (of either mode) these grants complete, in policy order. */
export function heldConflicts(policy: Policy, grants: readonly Grant[]): SodConflict[] {
  return policy.conflicts.filter((conflict) => holds(policy, conflict, grants));
}

/** The documented order: already held, then policy before direct, roles before permissions, then name. */
function priority(held: ReadonlySet<string>): (a: Grant, b: Grant) => number {
  const rank = (grant: Grant) => (held.has(keyOf(grant)) ? 0 : 4) + (grant.source === 'policy' ? 0 : 2) + (grant.kind === 'role' ? 0 : 1);
  return (a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

const label = (grant: Grant) => `${grant.kind} "${grant.name}"`;

/** Applies the policy's conflicts to the grants an active user would receive (`proposed`), knowing what they held before. */
export function separateDuties(policy: Policy, proposed: readonly Grant[], previous: LifecycleState | undefined): Separation {
  const blocking = policy.conflicts.filter((conflict) => conflict.mode === 'block');
  const kept: Grant[] = [];
  const withheld: BlockedGrant[] = [];
  const held = new Set((previous?.state === 'active' ? previous.grants : []).map(keyOf));
  for (const grant of [...proposed].sort(priority(held))) {
    const completed = blocking.find((conflict) => !holds(policy, conflict, kept) && holds(policy, conflict, [...kept, grant]));
    if (!completed) {
      kept.push(grant);
      continue;
    }
    const heldWith = heldMembers(policy, completed, kept);
    const reason = `${label(grant)} would complete the conflict "${completed.name}" (mode block) with ${heldWith.map((member) => `"${member}"`).join(', ')}, already held`;
    withheld.push({ grant, conflict: completed.name, heldWith, reason });
  }
  const keptKeys = new Set(kept.map(keyOf));
  const grants = proposed.filter((grant) => keptKeys.has(keyOf(grant)));
  const before = previous?.sod;
  const wasWithheld = new Set((before?.withheld ?? []).map((entry) => `${keyOf(entry.grant)}/${entry.conflict}`));
  const flagged = policy.conflicts.filter((conflict) => conflict.mode === 'flag' && holds(policy, conflict, grants));
  const stored = withheld.filter((entry) => entry.grant.source === 'policy');
  return {
    grants,
    dropped: withheld.filter((entry) => entry.grant.source === 'direct').map((entry) => entry.grant),
    blocked: withheld.filter((entry) => entry.grant.source === 'direct' || !wasWithheld.has(`${keyOf(entry.grant)}/${entry.conflict}`)),
    newlyFlagged: flagged.filter((conflict) => !(before?.flagged ?? []).includes(conflict.name)),
    state: flagged.length + stored.length > 0 ? { flagged: flagged.map((conflict) => conflict.name), withheld: stored } : undefined,
  };
}

/** What evaluation grants an active user: what policy rules and the IdP propose, separated. */
export function separatedGrantsFor(policy: Policy, subject: PolicySubject, previous: LifecycleState | undefined): Separation {
  return separateDuties(policy, grantsFor(policy, subject), previous);
}
