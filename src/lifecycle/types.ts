/**
 * Lifecycle state lives in the user document, so every transition is one atomic single-document
 * change: attributes, state, grants, and the events and audit entry it produces (as pending
 * entries that a relay then moves to the outbox and the audit trail).
 */

export type GrantSource = 'policy' | 'direct';

/** A role (from policy or the SCIM `roles` attribute) or a permission (from SCIM `entitlements`). */
export interface Grant {
  kind: 'role' | 'permission';
  name: string;
  source: GrantSource;
  /** Policy grants: the rules that matched. */
  rules?: string[];
}

export type LifecycleStateName = 'active' | 'inactive';

export interface LifecycleState {
  state: LifecycleStateName;
  provisionedAt: Date;
  deactivatedAt?: Date;
  reactivatedAt?: Date;
  lastPolicyEvaluation: Date;
  /** Which policy produced the policy grants; a different one means the grants may have drifted. */
  policyFingerprint: string;
  grants: Grant[];
  /** Effective permissions: the union of granted roles' permissions and direct permissions. Empty when inactive. */
  permissions: string[];
  /** Separation of duties (src/lifecycle/separation-of-duties.ts); absent when there is nothing to say. */
  sod?: SodState;
}

/** A grant a `block` conflict kept from the user, the conflict, and the members the user already held. */
export interface BlockedGrant {
  grant: Grant;
  conflict: string;
  heldWith: string[];
  reason: string;
}

/**
 * What separation of duties last concluded for a user: the `flag` conflicts they hold, and the
 * policy grants `block` conflicts withhold (re-derived at every evaluation, so kept to tell a new
 * conflict or a newly withheld grant from one already reported).
 */
export interface SodState {
  flagged: string[];
  withheld: BlockedGrant[];
}

export const EVENT_TYPES = [
  'user.provisioned',
  'user.roles_changed',
  'user.deactivated',
  'user.permissions_revoked',
  'user.reactivated',
  'user.deleted',
  'user.sod_conflict',
  'user.sod_blocked',
  'group.created',
  'group.members_changed',
  'group.deleted',
  'access.revoked_by_review',
  'campaign.reminder',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface LifecycleEvent {
  id: string;
  type: EventType;
  tenant: string;
  /** campaign.reminder's subject is the reviewer (a User). */
  resourceType: 'User' | 'Group';
  resourceId: string;
  /** The subject's version after the change: orders events per subject. */
  sequence: number;
  occurredAt: Date;
  actor: string;
  requestId: string;
  data: Record<string, unknown>;
}

export type AuditOperation = 'create' | 'replace' | 'patch' | 'delete' | 'membership' | 'bulk' | 'reevaluate' | 'rotate' | 'revoke' | 'review' | 'activate' | 'close';

/** What an audit entry is about: a SCIM resource, an API token (`resourceId` is then the token's name) or an access certification campaign. */
export type AuditResourceType = 'User' | 'Group' | 'Token' | 'Campaign';

export interface AuditEntry {
  id: string;
  at: Date;
  tenant: string;
  actor: string;
  requestId: string;
  operation: AuditOperation;
  resourceType: AuditResourceType;
  resourceId: string;
  /** Security-relevant attributes before and after (never a password, never a token or its hash). */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  grantsAdded: Grant[];
  grantsRevoked: Grant[];
  /** Roles and entitlements the IdP sent for an inactive user: dropped, never stored or granted. */
  refused?: { roles: string[]; entitlements: string[] };
  /** Grants a separation-of-duties `block` conflict kept from the user in this change (direct ones dropped from the attributes). */
  blocked?: BlockedGrant[];
  events: EventType[];
}

/** Who asked, for the audit trail and event envelopes. */
export interface Actor {
  tenant: string;
  /** The credential's name, never the token. */
  actor: string;
  requestId: string;
  operation: AuditOperation;
}
