/**
 * The access policy (RBAC): named roles, each a set of permissions, and rules that grant roles to
 * users whose attributes or group memberships match. Declared in a JSON file validated against
 * schemas/policy.schema.json at start-up.
 */

export type ScalarValue = string | number | boolean;

/** A test on one user attribute, named by SCIM path: "title", "name.familyName", "department" (enterprise), or a full URN path. */
export interface AttributeCondition {
  attribute: string;
  equals?: ScalarValue;
  in?: ScalarValue[];
  startsWith?: string;
  present?: boolean;
}

/** Direct membership of the group with this displayName (case-insensitive). */
export interface MemberOfCondition {
  memberOf: string;
}

export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | AttributeCondition | MemberOfCondition;

export interface RoleDefinition {
  description?: string;
  permissions: string[];
}

export interface PolicyRule {
  name: string;
  description?: string;
  grant: string[];
  when: Condition;
}

/**
 * Separation of duties: roles and permissions one person must not hold together. `flag` keeps the
 * grants and reports the conflict; `block` withholds the grant that would complete the set.
 */
export interface SodConflict {
  name: string;
  description?: string;
  mode: 'flag' | 'block';
  roles?: string[];
  permissions?: string[];
}

export interface Policy {
  roles: Record<string, RoleDefinition>;
  rules: PolicyRule[];
  /** Separation-of-duties conflicts, in file order (src/lifecycle/separation-of-duties.ts). */
  conflicts: SodConflict[];
  /** What deactivation does to group memberships; either way an inactive user confers nothing. */
  deactivation: { memberships: 'remove' | 'retain' };
  /** sha256 of the file's canonical content: grants record which policy produced them. */
  fingerprint: string;
}

/** What a rule evaluates: the user's SCIM attributes (extensions under their URN) and direct groups. */
export interface PolicySubject {
  attributes: Record<string, unknown>;
  groups: { id: string; displayName: string | undefined }[];
  /** Roles policy must not grant this user: policy exceptions in force (PolicyExceptionStore). */
  exceptions?: readonly string[] | undefined;
}

/** A role granted by policy, with every rule that grants it (for "why" in the access review). */
export interface PolicyGrant {
  role: string;
  rules: string[];
}
