// The access review as it was computed before it was streamed (src/services/access-review.ts at
// 3b07506): every section built in memory. Kept unchanged as the oracle the streamed review must
// agree with, row for row.
import { isDeepStrictEqual } from 'node:util';
import { grantsFor } from '../../src/lifecycle/grants.js';
import type { Policy } from '../../src/lifecycle/policy/types.js';
import type { Grant } from '../../src/lifecycle/types.js';
import { isActive } from '../../src/lifecycle/user-transition.js';
import type { KeysetPosition, ResourceRecord, Storage } from '../../src/store/contract.js';

/**
 * The periodic access review: who holds which role and permission and why, inactive users holding
 * anything (must always be none), users whose policy grants disagree with the current policy
 * (drift after a policy edit), and accounts the IdP has not touched for a while.
 */

export interface HolderRow {
  userId: string;
  userName: string;
  active: boolean;
  type: Grant['kind'];
  value: string;
  source: Grant['source'];
  rules: string[];
}

export interface DriftRow {
  userId: string;
  userName: string;
  missing: string[];
  unexpected: string[];
  evaluatedWith: string | undefined;
}

export interface StaleRow {
  userId: string;
  userName: string;
  lastModified: string;
  daysSinceUpdate: number;
}

export interface InactiveWithAccessRow {
  userId: string;
  userName: string;
  grants: string[];
  permissions: string[];
}

export interface AccessReview {
  generatedAt: string;
  tenant: string;
  policyFingerprint: string;
  staleDays: number;
  summary: { users: number; active: number; inactive: number; grants: number; inactiveWithAccess: number; drift: number; stale: number };
  holders: HolderRow[];
  inactiveWithAccess: InactiveWithAccessRow[];
  drift: DriftRow[];
  stale: StaleRow[];
}

const PAGE = 200;
const DAY_MS = 86_400_000;

const policyRoles = (grants: readonly Grant[]) => grants.filter((grant) => grant.source === 'policy').map((grant) => grant.name).sort();

async function* allUsers(storage: Storage, tenant: string): AsyncGenerator<ResourceRecord[]> {
  let keyset: KeysetPosition | null = null;
  for (;;) {
    const page = await storage.users.list(tenant, { descending: false, startIndex: 1, count: PAGE, keyset });
    if (page.items.length > 0) yield page.items;
    const last = page.items.at(-1);
    if (!page.more || !last) return;
    keyset = { sortValue: page.sortValues?.at(-1) ?? null, id: last.id, direction: 'after' };
  }
}

export async function accessReview(storage: Storage, policy: Policy, tenant: string, staleDays: number, now = new Date()): Promise<AccessReview> {
  const review: AccessReview = {
    generatedAt: now.toISOString(),
    tenant,
    policyFingerprint: policy.fingerprint,
    staleDays,
    summary: { users: 0, active: 0, inactive: 0, grants: 0, inactiveWithAccess: 0, drift: 0, stale: 0 },
    holders: [],
    inactiveWithAccess: [],
    drift: [],
    stale: [],
  };
  for await (const users of allUsers(storage, tenant)) {
    const groups = await storage.groups.getMany(tenant, [...new Set(users.flatMap((user) => user.groupIds))]);
    const displayNames = new Map(groups.map((group) => [group.id, group.attributes['displayName'] as string | undefined]));
    for (const user of users) review.summary.users += reviewUser(review, policy, user, displayNames, now);
  }
  review.summary.inactiveWithAccess = review.inactiveWithAccess.length;
  review.summary.drift = review.drift.length;
  review.summary.stale = review.stale.length;
  review.summary.grants = review.holders.length;
  return review;
}

function reviewUser(review: AccessReview, policy: Policy, user: ResourceRecord, displayNames: Map<string, string | undefined>, now: Date): number {
  const userName = String(user.attributes['userName']);
  const grants = user.lifecycle?.grants ?? [];
  const active = user.lifecycle ? user.lifecycle.state === 'active' : isActive(user.attributes);
  if (active) review.summary.active += 1;
  else review.summary.inactive += 1;
  for (const grant of grants) {
    review.holders.push({ userId: user.id, userName, active, type: grant.kind, value: grant.name, source: grant.source, rules: grant.rules ?? [] });
  }
  const permissions = user.lifecycle?.permissions ?? [];
  if (!active && (grants.length > 0 || permissions.length > 0)) {
    review.inactiveWithAccess.push({ userId: user.id, userName, grants: grants.map((grant) => grant.name), permissions });
  }
  const groups = user.groupIds.map((id) => ({ id, displayName: displayNames.get(id) }));
  const expected = active ? policyRoles(grantsFor(policy, { attributes: user.attributes, groups })) : [];
  const actual = policyRoles(grants);
  if (!isDeepStrictEqual(expected, actual)) {
    review.drift.push({ userId: user.id, userName, missing: expected.filter((role) => !actual.includes(role)), unexpected: actual.filter((role) => !expected.includes(role)), evaluatedWith: user.lifecycle?.policyFingerprint });
  }
  const days = Math.floor((now.getTime() - user.lastModified.getTime()) / DAY_MS);
  if (days >= review.staleDays) review.stale.push({ userId: user.id, userName, lastModified: user.lastModified.toISOString(), daysSinceUpdate: days });
  return 1;
}

const csvCell = (value: unknown) => {
  const text = Array.isArray(value) ? value.join(' ') : String(value ?? '');
  // Quoted always; a leading =,+,-,@ is defused so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
};

/** One CSV table for all sections, so a reviewer can filter by the first column. */
export function accessReviewCsv(review: AccessReview): string {
  const rows: unknown[][] = [['section', 'userId', 'userName', 'active', 'type', 'value', 'source', 'rules', 'detail']];
  for (const row of review.holders) rows.push(['holder', row.userId, row.userName, row.active, row.type, row.value, row.source, row.rules, '']);
  for (const row of review.inactiveWithAccess) rows.push(['inactive-with-access', row.userId, row.userName, false, '', row.grants, '', '', row.permissions]);
  for (const row of review.drift) rows.push(['drift', row.userId, row.userName, '', 'role', '', 'policy', '', `missing: ${row.missing.join(' ')}; unexpected: ${row.unexpected.join(' ')}`]);
  for (const row of review.stale) rows.push(['stale', row.userId, row.userName, '', '', '', '', '', `${row.daysSinceUpdate} days since ${row.lastModified}`]);
  return `${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
