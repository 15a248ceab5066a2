import { ScimError } from '../errors/scim-error.js';
import { separatedGrantsFor } from '../lifecycle/separation-of-duties.js';
import { parsePolicy, PolicyError, readPolicyText } from '../lifecycle/policy/load.js';
import type { Policy } from '../lifecycle/policy/types.js';
import type { Grant } from '../lifecycle/types.js';
import type { Storage } from '../store/contract.js';
import { reviewedUsers, type ReviewedUser } from './access-review.js';
import { csvLine } from './csv.js';

/**
 * Policy what-if: a draft policy evaluated against every user of a tenant, compared role by role
 * with the roles the users hold now (their stored grants, policy and direct), without writing
 * anything. One pass over the users (ResourceStore.walk); memory holds per role its counts and at
 * most `limit` example users per direction, whatever the directory's size. Every change, user by
 * user, is available as a CSV streamed as it is computed.
 */

/** Where drafts are named in problems: "draft policy: rules[2] …". */
const DRAFT_SOURCE = 'draft policy';

/** The draft's JSON text as the loader reads POLICY_FILE; a syntax error is 400 invalidValue naming line and column. */
export function draftJson(text: string): unknown {
  return asScimError(() => readPolicyText(text, DRAFT_SOURCE));
}

/** The draft validated exactly as POLICY_FILE is at start-up; every problem is named, one per line. */
export function draftPolicy(json: unknown): Policy {
  return asScimError(() => parsePolicy(json, DRAFT_SOURCE));
}

function asScimError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof PolicyError) throw new ScimError('invalidValue', error.problems.join('\n'));
    throw error;
  }
}

/** A user who would gain or lose a role, and why. */
export interface WhatIfUser {
  userId: string;
  userName: string;
  /** Gained: the draft's rules that would grant it; lost: the rules that grant it now. */
  rules: string[];
  /** Gained: the IdP sends the role (`roles`), which the draft defines; lost: it was sent, and the draft no longer defines it. */
  direct: boolean;
}

export interface WhatIfSide {
  count: number;
  /** Users per responsible rule (a user granted by two rules counts for both). */
  rules: Record<string, number>;
  /** Users for whom a direct grant (the IdP's `roles`) is responsible. */
  direct: number;
  /** The first `limit` users, in the order the directory is read. */
  users: WhatIfUser[];
  /** More users than listed: the CSV lists them all. */
  truncated: boolean;
}

export interface WhatIfRole {
  role: string;
  /** The role's permissions in each policy; null where the policy does not define it. */
  permissions: { current: string[] | null; draft: string[] | null; added: string[]; removed: string[] };
  holders: { current: number; draft: number };
  gained: WhatIfSide;
  lost: WhatIfSide;
}

export interface WhatIfReport {
  generatedAt: string;
  tenant: string;
  currentFingerprint: string;
  draftFingerprint: string;
  /** Users listed per role and direction. */
  limit: number;
  summary: { users: number; active: number; usersAffected: number; usersGaining: number; usersLosing: number; gains: number; losses: number };
  /** Every role either policy defines or a user holds, by name. */
  roles: WhatIfRole[];
  /** Each draft rule with the number of users it would match (a rule matching nobody is often a typo). */
  draftRules: { rule: string; users: number }[];
}

export interface WhatIfRequest {
  tenant: string;
  /** Users listed per role and direction in the JSON report. */
  limit: number;
  now?: Date | undefined;
}

/** One user's change of one role. */
interface RoleChange extends WhatIfUser {
  role: string;
  change: 'gained' | 'lost';
}

/** Roles a user holds, each with the rules granting it and whether it is (also) a direct grant. */
function rolesHeld(grants: readonly Grant[]): Map<string, { rules: string[]; direct: boolean }> {
  const held = new Map<string, { rules: string[]; direct: boolean }>();
  for (const grant of grants) {
    if (grant.kind !== 'role') continue;
    const entry = held.get(grant.name) ?? { rules: [], direct: false };
    entry.rules.push(...(grant.rules ?? []));
    entry.direct ||= grant.source === 'direct';
    held.set(grant.name, entry);
  }
  return held;
}

interface Evaluated {
  held: Map<string, { rules: string[]; direct: boolean }>;
  wouldHold: Map<string, { rules: string[]; direct: boolean }>;
  changes: RoleChange[];
}

/**
 * What the draft would change for one user: an inactive user would hold nothing, as now; a grant
 * the draft's `block` conflicts would withhold is not gained (evaluation withholds it the same way).
 */
function evaluateUser(user: ReviewedUser, draft: Policy): Evaluated {
  const held = rolesHeld(user.grants);
  const subject = { attributes: user.record.attributes, groups: user.groups, exceptions: user.exceptions };
  const wouldHold = rolesHeld(user.active ? separatedGrantsFor(draft, subject, user.record.lifecycle).grants : []);
  const base = { userId: user.record.id, userName: user.userName };
  const changes: RoleChange[] = [];
  for (const [role, why] of wouldHold) if (!held.has(role)) changes.push({ ...base, role, change: 'gained', ...why });
  for (const [role, why] of held) if (!wouldHold.has(role)) changes.push({ ...base, role, change: 'lost', ...why });
  return { held, wouldHold, changes };
}

/** Every role change of every user of the tenant, user by user, as the directory is read. */
async function* whatIfPages(storage: Storage, draft: Policy, tenant: string): AsyncGenerator<{ user: ReviewedUser; evaluated: Evaluated }[]> {
  for await (const page of reviewedUsers(storage, tenant, new Date())) yield page.map((user) => ({ user, evaluated: evaluateUser(user, draft) }));
}

const emptySide = (): WhatIfSide => ({ count: 0, rules: {}, direct: 0, users: [], truncated: false });

function tallySide(side: WhatIfSide, change: RoleChange, limit: number): void {
  side.count += 1;
  for (const rule of new Set(change.rules)) side.rules[rule] = (side.rules[rule] ?? 0) + 1;
  if (change.direct) side.direct += 1;
  if (side.users.length < limit) side.users.push({ userId: change.userId, userName: change.userName, rules: [...new Set(change.rules)], direct: change.direct });
  else side.truncated = true;
}

function permissionsOf(policy: Policy, role: string): string[] | null {
  return Object.hasOwn(policy.roles, role) ? [...(policy.roles[role]?.permissions ?? [])].sort() : null;
}

function newRole(role: string, current: Policy, draft: Policy): WhatIfRole {
  const [before, after] = [permissionsOf(current, role), permissionsOf(draft, role)];
  return {
    role,
    permissions: { current: before, draft: after, added: (after ?? []).filter((name) => !(before ?? []).includes(name)), removed: (before ?? []).filter((name) => !(after ?? []).includes(name)) },
    holders: { current: 0, draft: 0 },
    gained: emptySide(),
    lost: emptySide(),
  };
}

/** The what-if report of a draft against the current policy and the users' current grants. */
export async function policyWhatIf(storage: Storage, current: Policy, draft: Policy, { tenant, limit, now = new Date() }: WhatIfRequest): Promise<WhatIfReport> {
  const roles = new Map<string, WhatIfRole>();
  const roleEntry = (role: string) => {
    if (!roles.has(role)) roles.set(role, newRole(role, current, draft));
    return roles.get(role) as WhatIfRole;
  };
  for (const role of [...Object.keys(current.roles), ...Object.keys(draft.roles)]) roleEntry(role);
  const ruleMatches = new Map(draft.rules.map((rule) => [rule.name, 0]));
  const summary = { users: 0, active: 0, usersAffected: 0, usersGaining: 0, usersLosing: 0, gains: 0, losses: 0 };

  for await (const page of whatIfPages(storage, draft, tenant)) {
    for (const { user, evaluated } of page) {
      summary.users += 1;
      if (user.active) summary.active += 1;
      for (const role of evaluated.held.keys()) roleEntry(role).holders.current += 1;
      for (const role of evaluated.wouldHold.keys()) roleEntry(role).holders.draft += 1;
      for (const rule of new Set([...evaluated.wouldHold.values()].flatMap((why) => why.rules))) ruleMatches.set(rule, (ruleMatches.get(rule) ?? 0) + 1);
      for (const change of evaluated.changes) tallySide(roleEntry(change.role)[change.change], change, limit);
      const gains = evaluated.changes.filter((change) => change.change === 'gained').length;
      const losses = evaluated.changes.length - gains;
      summary.gains += gains;
      summary.losses += losses;
      if (gains > 0) summary.usersGaining += 1;
      if (losses > 0) summary.usersLosing += 1;
      if (gains + losses > 0) summary.usersAffected += 1;
    }
  }
  return {
    generatedAt: now.toISOString(),
    tenant,
    currentFingerprint: current.fingerprint,
    draftFingerprint: draft.fingerprint,
    limit,
    summary,
    roles: [...roles.values()].sort((a, b) => a.role.localeCompare(b.role)),
    draftRules: [...ruleMatches].map(([rule, users]) => ({ rule, users })),
  };
}

/** In words, for people (the CLI's text, the console): "rule legal (239), the IdP's roles attribute (1)". */
export function describeResponsible(side: WhatIfSide): string {
  const rules = Object.entries(side.rules).map(([rule, users]) => `rule ${rule} (${users.toLocaleString('en-US')})`);
  if (side.direct > 0) rules.push(`the IdP's roles attribute (${side.direct.toLocaleString('en-US')})`);
  return rules.join(', ') || 'no rule';
}

/** In words: "new role: contracts:read", "not in the draft", "+crm:export -crm:write", "unchanged". */
export function describePermissionChange(role: WhatIfRole): string {
  const { current, draft, added, removed } = role.permissions;
  if (current === null && draft === null) return 'defined by neither policy';
  if (current === null) return `new role: ${draft?.join(', ') || 'no permissions'}`;
  if (draft === null) return 'not in the draft';
  return [...added.map((name) => `+${name}`), ...removed.map((name) => `-${name}`)].join(' ') || 'unchanged';
}

export const WHAT_IF_CSV_COLUMNS = ['userId', 'userName', 'role', 'change', 'rules', 'direct'];

/** Every change as one CSV row (a header line first), streamed as the users are read: nothing is held. */
export async function* policyWhatIfCsv(storage: Storage, draft: Policy, tenant: string): AsyncGenerator<string> {
  yield csvLine(WHAT_IF_CSV_COLUMNS);
  for await (const page of whatIfPages(storage, draft, tenant)) {
    yield page.flatMap(({ evaluated }) => evaluated.changes.map((change) => csvLine([change.userId, change.userName, change.role, change.change, [...new Set(change.rules)], change.direct]))).join('');
  }
}
