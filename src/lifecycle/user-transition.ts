import type { ResourceAttributes } from '../scim/ingress.js';
import { diffGrants, effectivePermissions, valuesOf } from './grants.js';
import type { Policy } from './policy/types.js';
import { membersOf, separatedGrantsFor, type Separation } from './separation-of-duties.js';
import { securityView } from './security-view.js';
import type { Actor, AuditEntry, EventType, Grant, LifecycleEvent, LifecycleState } from './types.js';

export interface GroupRef {
  id: string;
  displayName: string | undefined;
}

export interface UserSnapshot {
  attributes: ResourceAttributes;
  groupIds: string[];
  lifecycle: LifecycleState | undefined;
}

export interface UserTransitionInput {
  userId: string;
  policy: Policy;
  actor: Actor;
  now: Date;
  /** undefined when the user is being created. */
  before: UserSnapshot | undefined;
  /** undefined when the user is being deleted; `exceptions`: roles policy must not grant (policy exceptions in force). */
  after: { attributes: ResourceAttributes; groups: GroupRef[]; exceptions?: readonly string[] } | undefined;
  /** The change is an access review's revocation of this grant: announced as access.revoked_by_review when it really goes. */
  review?: ReviewRevocation | undefined;
  /** The user's version once this change is stored: orders its events. */
  sequence: number;
}

export interface ReviewRevocation {
  grant: Grant;
  /** The campaign, item, reviewer and comment, for the event. */
  data: Record<string, unknown>;
}

export interface UserTransition {
  /** What to store: an inactive user keeps no `roles` or `entitlements` (they are revoked, not parked). */
  attributes: ResourceAttributes | undefined;
  lifecycle: LifecycleState | undefined;
  /** Deactivation with `memberships: remove`: the user leaves every group in the same write. */
  leaveGroups: boolean;
  events: LifecycleEvent[];
  audit: AuditEntry;
}

const GRANT_ATTRIBUTES = ['roles', 'entitlements'];

/** SCIM leaves `active` optional; an account the IdP did not mark inactive is active. */
export function isActive(attributes: ResourceAttributes): boolean {
  return attributes['active'] !== false;
}

function withoutGrantAttributes(attributes: ResourceAttributes): ResourceAttributes {
  return Object.fromEntries(Object.entries(attributes).filter(([key]) => !GRANT_ATTRIBUTES.includes(key)));
}

/** Removes the values of dropped direct grants from `roles` and `entitlements`; an attribute left empty goes. */
function withoutDropped(attributes: ResourceAttributes, dropped: readonly Grant[]): ResourceAttributes {
  if (dropped.length === 0) return attributes;
  const result = { ...attributes };
  for (const [attribute, kind] of [['roles', 'role'], ['entitlements', 'permission']] as const) {
    const names = new Set(dropped.filter((grant) => grant.kind === kind).map((grant) => grant.name));
    const values = result[attribute];
    if (names.size === 0 || !Array.isArray(values)) continue;
    const remaining = values.filter((item) => !names.has(valuesOf([item])[0] ?? ''));
    if (remaining.length > 0) result[attribute] = remaining;
    else delete result[attribute];
  }
  return result;
}

function nextLifecycle(input: UserTransitionInput, active: boolean, grants: Grant[], separation: Separation | undefined): LifecycleState {
  const previous = input.before?.lifecycle;
  const wasActive = previous?.state === 'active';
  const state: LifecycleState = {
    state: active ? 'active' : 'inactive',
    provisionedAt: previous?.provisionedAt ?? input.now,
    lastPolicyEvaluation: input.now,
    policyFingerprint: input.policy.fingerprint,
    grants,
    permissions: effectivePermissions(input.policy, grants),
  };
  if (separation?.state) state.sod = separation.state;
  if (!active) state.deactivatedAt = previous && !wasActive && previous.deactivatedAt ? previous.deactivatedAt : input.now;
  if (active && previous?.reactivatedAt) state.reactivatedAt = previous.reactivatedAt;
  if (active && previous && !wasActive) state.reactivatedAt = input.now;
  return state;
}

/** Account details for user.provisioned ("notify the user"): never a password. */
function accountDetails(attributes: ResourceAttributes, lifecycle: LifecycleState): Record<string, unknown> {
  const pick = ['userName', 'displayName', 'name', 'emails', 'userType', 'title'];
  return {
    ...Object.fromEntries(pick.filter((key) => attributes[key] !== undefined).map((key) => [key, attributes[key]])),
    active: lifecycle.state === 'active',
    roles: lifecycle.grants.filter((grant) => grant.kind === 'role').map((grant) => grant.name),
    permissions: lifecycle.permissions,
  };
}

function eventData(input: UserTransitionInput, next: LifecycleState | undefined, attributes: ResourceAttributes | undefined, separation: Separation | undefined): Map<EventType, Record<string, unknown>> {
  const previous = input.before?.lifecycle;
  const { added, revoked } = diffGrants(previous?.grants ?? [], next?.grants ?? []);
  const userName = (attributes ?? input.before?.attributes)?.['userName'];
  const events = new Map<EventType, Record<string, unknown>>();
  const wasActive = previous?.state === 'active';
  if (!input.before && next && attributes) events.set('user.provisioned', accountDetails(attributes, next));
  if (input.before && previous && !wasActive && next?.state === 'active') events.set('user.reactivated', { userName });
  if (input.before && wasActive && next?.state === 'inactive') events.set('user.deactivated', { userName, leftGroups: input.policy.deactivation.memberships === 'remove' ? input.before.groupIds : [] });
  // A policy edit can change a role's permissions without changing who holds the role: that is a change too.
  const permissionsChanged = next?.state === 'active' && previous !== undefined && previous.permissions.join('\n') !== next.permissions.join('\n');
  if (input.before && next?.state === 'active' && (added.length > 0 || revoked.length > 0 || permissionsChanged)) {
    events.set('user.roles_changed', { userName, added, revoked, permissions: next.permissions });
  }
  if (input.before && (next?.state !== 'active') && (previous?.grants.length ?? 0) > 0) {
    events.set('user.permissions_revoked', { userName, revoked: previous?.grants ?? [], permissions: previous?.permissions ?? [] });
  }
  if (separation && separation.blocked.length > 0) events.set('user.sod_blocked', { userName, blocked: separation.blocked });
  if (separation && separation.newlyFlagged.length > 0) {
    const conflicts = separation.newlyFlagged.map((conflict) => ({ name: conflict.name, mode: conflict.mode, members: membersOf(conflict) }));
    events.set('user.sod_conflict', { userName, conflicts, permissions: next?.permissions ?? [] });
  }
  const reviewed = input.review;
  if (reviewed && revoked.some((grant) => grant.kind === reviewed.grant.kind && grant.source === reviewed.grant.source && grant.name === reviewed.grant.name)) {
    events.set('access.revoked_by_review', { userName, grant: { kind: reviewed.grant.kind, name: reviewed.grant.name, source: reviewed.grant.source }, ...reviewed.data });
  }
  if (!next) events.set('user.deleted', { userName, tombstone: input.before ? securityView(input.before.attributes, input.before.groupIds) : {} });
  return events;
}

/** Joiner, mover, leaver, rehire or delete: the whole consequence of one change to one user. */
export function transitionUser(input: UserTransitionInput): UserTransition {
  const { actor, now, sequence, before, after, userId } = input;
  const active = after ? isActive(after.attributes) : false;
  // Separation of duties: of the grants the policy and the IdP propose (less the user's review exceptions), those a `block` conflict withholds are not applied.
  const separation = after && active ? separatedGrantsFor(input.policy, { attributes: after.attributes, groups: after.groups, exceptions: after.exceptions }, before?.lifecycle) : undefined;
  const attributes = after ? (active ? withoutDropped(after.attributes, separation?.dropped ?? []) : withoutGrantAttributes(after.attributes)) : undefined;
  const grants = separation?.grants ?? [];
  const lifecycle = after ? nextLifecycle(input, active, grants, separation) : undefined;
  // Only the deactivation itself leaves the groups: an inactive user added to a group later stays
  // listed (the IdP asked for it) and still confers nothing.
  const wasActive = before ? (before.lifecycle ? before.lifecycle.state === 'active' : isActive(before.attributes)) : false;
  const leaveGroups = Boolean(wasActive && after && !active && input.policy.deactivation.memberships === 'remove' && before && before.groupIds.length > 0);
  const data = eventData(input, lifecycle, attributes, separation);
  // Events of one change share a sequence; the position in the id keeps their order when sorted by id.
  const envelope = (type: EventType, position: number): LifecycleEvent => ({
    id: `${userId}:${sequence}:${position}:${type}`,
    type,
    tenant: actor.tenant,
    resourceType: 'User',
    resourceId: userId,
    sequence,
    occurredAt: now,
    actor: actor.actor,
    requestId: actor.requestId,
    data: data.get(type) ?? {},
  });
  const events = [...data.keys()].map((type, position) => envelope(type, position));
  const { added, revoked } = diffGrants(before?.lifecycle?.grants ?? [], lifecycle?.grants ?? []);
  const groupIdsAfter = !after || leaveGroups ? [] : (after.groups.map((group) => group.id));
  const refused = after && !active ? { roles: valuesOf(after.attributes['roles']), entitlements: valuesOf(after.attributes['entitlements']) } : undefined;
  const audit: AuditEntry = {
    id: `${userId}:${sequence}`,
    at: now,
    tenant: actor.tenant,
    actor: actor.actor,
    requestId: actor.requestId,
    operation: actor.operation,
    resourceType: 'User',
    resourceId: userId,
    before: before ? securityView(before.attributes, before.groupIds) : null,
    after: attributes ? securityView(attributes, groupIdsAfter) : null,
    grantsAdded: added,
    grantsRevoked: revoked,
    ...(refused && refused.roles.length + refused.entitlements.length > 0 ? { refused } : {}),
    ...(separation && separation.blocked.length > 0 ? { blocked: separation.blocked } : {}),
    events: events.map((event) => event.type),
  };
  return { attributes, lifecycle, leaveGroups, events, audit };
}
