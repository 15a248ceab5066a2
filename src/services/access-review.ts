import { isDeepStrictEqual } from 'node:util';
import type { Policy } from '../lifecycle/policy/types.js';
import { heldConflicts, heldMembers, separatedGrantsFor } from '../lifecycle/separation-of-duties.js';
import type { Grant } from '../lifecycle/types.js';
import { isActive } from '../lifecycle/user-transition.js';
import type { ResourceRecord, Storage } from '../store/contract.js';
import { csvLine } from './csv.js';
import { createSpool } from './spool.js';

/**
 * The periodic access review: who holds which role and permission and why, inactive users holding
 * anything (must always be none), users whose policy grants disagree with the current policy
 * (drift after a policy edit), accounts the IdP has not touched for a while, and users holding
 * a separation-of-duties conflict.
 *
 * It is written as it is computed, in one pass over the users, so memory does not depend on the
 * directory's size: the first section's rows go out as they are found; the later sections' rows
 * wait in spools (memory up to a bound, then a temporary file) and follow, section by section; the
 * summary comes last. Each section says what rows a user contributes, so a new one is one more
 * entry in REVIEW_SECTIONS.
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

export interface SodConflictRow {
  userId: string;
  userName: string;
  conflict: string;
  mode: 'flag' | 'block';
  members: string[];
  /** The grants that give the members, as `role:<name>` or `permission:<name>`. */
  grants: string[];
}

/** A user as the sections see it. */
export interface ReviewedUser {
  record: ResourceRecord;
  userName: string;
  active: boolean;
  grants: Grant[];
  permissions: string[];
  /** Direct memberships with the groups' display names, as policy rules see them. */
  groups: { id: string; displayName: string | undefined }[];
  /** Roles policy withholds from the user (policy exceptions in force), as evaluation honours them. */
  exceptions: string[];
}

export interface ReviewContext {
  policy: Policy;
  staleDays: number;
  now: Date;
}

export interface ReviewSection<Row = unknown> {
  /** The section's key in the JSON answer. */
  key: string;
  /** The key of its row count in `summary`. */
  summaryKey: string;
  /** Its rows' value in the CSV's `section` column. */
  csvName: string;
  rowsOf(user: ReviewedUser, context: ReviewContext): Row[];
  /** The CSV cells after `section`, under REVIEW_CSV_COLUMNS. */
  csvCells(row: Row): unknown[];
}

export const REVIEW_CSV_COLUMNS = ['section', 'userId', 'userName', 'active', 'type', 'value', 'source', 'rules', 'detail'];

const DAY_MS = 86_400_000;

const policyRoles = (grants: readonly Grant[]) => grants.filter((grant) => grant.source === 'policy').map((grant) => grant.name).sort();

const holders: ReviewSection<HolderRow> = {
  key: 'holders',
  summaryKey: 'grants',
  csvName: 'holder',
  rowsOf: ({ record, userName, active, grants }) =>
    grants.map((grant) => ({ userId: record.id, userName, active, type: grant.kind, value: grant.name, source: grant.source, rules: grant.rules ?? [] })),
  csvCells: (row) => [row.userId, row.userName, row.active, row.type, row.value, row.source, row.rules, ''],
};

const inactiveWithAccess: ReviewSection<InactiveWithAccessRow> = {
  key: 'inactiveWithAccess',
  summaryKey: 'inactiveWithAccess',
  csvName: 'inactive-with-access',
  rowsOf: ({ record, userName, active, grants, permissions }) =>
    !active && (grants.length > 0 || permissions.length > 0) ? [{ userId: record.id, userName, grants: grants.map((grant) => grant.name), permissions }] : [],
  csvCells: (row) => [row.userId, row.userName, false, '', row.grants, '', '', row.permissions],
};

const drift: ReviewSection<DriftRow> = {
  key: 'drift',
  summaryKey: 'drift',
  csvName: 'drift',
  rowsOf({ record, userName, active, grants, groups, exceptions }, { policy }) {
    // What evaluation would grant now: a grant a review exception or a `block` conflict withholds is not missing.
    const expected = active ? policyRoles(separatedGrantsFor(policy, { attributes: record.attributes, groups, exceptions }, record.lifecycle).grants) : [];
    const actual = policyRoles(grants);
    if (isDeepStrictEqual(expected, actual)) return [];
    return [{ userId: record.id, userName, missing: expected.filter((role) => !actual.includes(role)), unexpected: actual.filter((role) => !expected.includes(role)), evaluatedWith: record.lifecycle?.policyFingerprint }];
  },
  csvCells: (row) => [row.userId, row.userName, '', 'role', '', 'policy', '', `missing: ${row.missing.join(' ')}; unexpected: ${row.unexpected.join(' ')}`],
};

const stale: ReviewSection<StaleRow> = {
  key: 'stale',
  summaryKey: 'stale',
  csvName: 'stale',
  rowsOf({ record, userName }, { staleDays, now }) {
    const days = Math.floor((now.getTime() - record.lastModified.getTime()) / DAY_MS);
    return days >= staleDays ? [{ userId: record.id, userName, lastModified: record.lastModified.toISOString(), daysSinceUpdate: days }] : [];
  },
  csvCells: (row) => [row.userId, row.userName, '', '', '', '', '', `${row.daysSinceUpdate} days since ${row.lastModified}`],
};

/**
 * Conflicts of the current policy the user's grants complete: `flag` ones as expected, `block` ones
 * only until the user is evaluated under a policy that newly declares them.
 */
const sodConflicts: ReviewSection<SodConflictRow> = {
  key: 'sodConflicts',
  summaryKey: 'sodConflicts',
  csvName: 'sod-conflict',
  rowsOf: ({ record, userName, grants }, { policy }) =>
    heldConflicts(policy, grants).map((conflict) => {
      const members = heldMembers(policy, conflict, grants);
      const contributing = grants.filter((grant) => heldMembers(policy, conflict, [grant]).length > 0).map((grant) => `${grant.kind}:${grant.name}`);
      return { userId: record.id, userName, conflict: conflict.name, mode: conflict.mode, members, grants: [...new Set(contributing)] };
    }),
  csvCells: (row) => [row.userId, row.userName, true, '', row.conflict, '', '', `${row.mode}: ${row.members.join(' ')} (from ${row.grants.join(' ')})`],
};

/** In the order they are written; the first is never held back, so it should be the largest. */
export const REVIEW_SECTIONS: readonly ReviewSection[] = [holders, inactiveWithAccess, drift, stale, sodConflicts] as ReviewSection[];

/** How a review is written: JSON (one object, sections as arrays) or CSV (one table, a `section` column). */
interface ReviewFormat {
  open(head: Record<string, unknown>): string;
  sectionOpen(section: ReviewSection): string;
  row(section: ReviewSection, row: unknown, first: boolean): string;
  sectionClose(): string;
  close(summary: Record<string, number>): string;
}

const JSON_FORMAT: ReviewFormat = {
  open: (head) => JSON.stringify(head).slice(0, -1),
  sectionOpen: (section) => `,${JSON.stringify(section.key)}:[`,
  row: (_section, row, first) => (first ? '' : ',') + JSON.stringify(row),
  sectionClose: () => ']',
  close: (summary) => `,"summary":${JSON.stringify(summary)}}`,
};

const CSV_FORMAT: ReviewFormat = {
  open: () => csvLine(REVIEW_CSV_COLUMNS),
  sectionOpen: () => '',
  row: (section, row) => csvLine([section.csvName, ...section.csvCells(row)]),
  sectionClose: () => '',
  close: () => '',
};

export interface ReviewRequest {
  tenant: string;
  staleDays: number;
  now?: Date | undefined;
}

/** The review as one JSON object: generatedAt, tenant, policyFingerprint, staleDays, each section's rows, then summary. */
export function accessReviewJson(storage: Storage, policy: Policy, request: ReviewRequest): AsyncGenerator<string> {
  return writeReview(storage, policy, request, JSON_FORMAT);
}

/** The review as one CSV table, a header line first, then each section's rows. */
export function accessReviewCsv(storage: Storage, policy: Policy, request: ReviewRequest): AsyncGenerator<string> {
  return writeReview(storage, policy, request, CSV_FORMAT);
}

/** Users read per query. */
const PAGE = 200;

/** Every user of the tenant as the review sees it, a page at a time (also the policy what-if's input). */
export async function* reviewedUsers(storage: Storage, tenant: string, now: Date): AsyncGenerator<ReviewedUser[]> {
  const exceptions = new Map<string, string[]>();
  for (const exception of await storage.policyExceptions.list(tenant)) {
    if (exception.expiresAt && exception.expiresAt.getTime() <= now.getTime()) continue;
    exceptions.set(exception.userId, [...(exceptions.get(exception.userId) ?? []), exception.role]);
  }
  for await (const records of storage.users.walk(tenant, PAGE)) {
    const groups = await storage.groups.getMany(tenant, [...new Set(records.flatMap((user) => user.groupIds))]);
    const displayNames = new Map(groups.map((group) => [group.id, group.attributes['displayName'] as string | undefined]));
    yield records.map((record) => ({
      record,
      userName: String(record.attributes['userName']),
      active: record.lifecycle ? record.lifecycle.state === 'active' : isActive(record.attributes),
      grants: record.lifecycle?.grants ?? [],
      permissions: record.lifecycle?.permissions ?? [],
      groups: record.groupIds.map((id) => ({ id, displayName: displayNames.get(id) })),
      exceptions: exceptions.get(record.id) ?? [],
    }));
  }
}

async function* writeReview(storage: Storage, policy: Policy, { tenant, staleDays, now = new Date() }: ReviewRequest, format: ReviewFormat): AsyncGenerator<string> {
  const context: ReviewContext = { policy, staleDays, now };
  const sections = REVIEW_SECTIONS.map((section, index) => ({ section, rows: 0, spool: index === 0 ? undefined : createSpool('access-review') }));
  const users = { users: 0, active: 0, inactive: 0 };
  try {
    yield format.open({ generatedAt: now.toISOString(), tenant, policyFingerprint: policy.fingerprint, staleDays });
    yield format.sectionOpen(REVIEW_SECTIONS[0] as ReviewSection);
    for await (const page of reviewedUsers(storage, tenant, now)) {
      let written = '';
      for (const user of page) {
        users.users += 1;
        users[user.active ? 'active' : 'inactive'] += 1;
        for (const held of sections) {
          for (const row of held.section.rowsOf(user, context)) {
            const text = format.row(held.section, row, held.rows === 0);
            held.rows += 1;
            if (held.spool) await held.spool.write(text);
            else written += text;
          }
        }
      }
      yield written;
    }
    yield format.sectionClose();
    for (const { section, spool } of sections) {
      if (!spool) continue;
      yield format.sectionOpen(section);
      yield* spool.read();
      yield format.sectionClose();
    }
    yield format.close({ ...users, ...Object.fromEntries(sections.map(({ section, rows }) => [section.summaryKey, rows])) });
  } finally {
    await Promise.all(sections.map(({ spool }) => spool?.discard()));
  }
}
