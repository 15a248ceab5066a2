import { ScimError } from '../errors/scim-error.js';
import type { Condition, Policy, PolicyRule } from '../lifecycle/policy/types.js';
import type { LifecycleStateName } from '../lifecycle/types.js';
import { queryFingerprint, type CursorCodec } from '../scim/cursor.js';
import type { DirectoryCounts, DirectoryPage, DirectoryPosition, MemberRef, ResourceKind, ResourceRecord, Storage, UserSearchField } from '../store/contract.js';

/**
 * What the admin console lists, a page at a time behind the deployment's signed cursors (as the
 * API's): users by a prefix of one field, groups, a group's members, a role's holders, the users an
 * access review flags. Every page is an index range of the store's DirectoryStore, so it costs the
 * same in a large directory as in a small one; nothing here counts or reads a whole set.
 */

export interface Listing<R> {
  items: R[];
  /** Present when more follow: the cursor of the next page. */
  nextCursor?: string;
}

export interface UserQuery {
  field: UserSearchField;
  prefix: string;
  state?: LifecycleStateName | undefined;
}

const invalidCursor = () => new ScimError('invalidCursor', 'The cursor is not valid for this list: start again from the first page');

function listing<R>(page: DirectoryPage<R>, fingerprint: string, cursors: CursorCodec): Listing<R> {
  const last = page.positions.at(-1);
  if (!page.more || !last) return { items: page.items };
  return { items: page.items, nextCursor: cursors.encode(fingerprint, { sortValue: last.value, id: last.id, direction: 'after' }) };
}

/** The position a cursor of this list carries (undefined for the first page). */
function positionOf(cursor: string | undefined, fingerprint: string, cursors: CursorCodec): DirectoryPosition | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const { sortValue, id, direction } = cursors.decode(cursor, fingerprint);
  if (typeof sortValue !== 'string' || direction !== 'after') throw invalidCursor();
  return { value: sortValue, id };
}

export interface DirectoryReader {
  searchUsers(tenant: string, query: UserQuery, cursor: string | undefined, limit: number): Promise<Listing<ResourceRecord>>;
  searchGroups(tenant: string, prefix: string, cursor: string | undefined, limit: number): Promise<Listing<ResourceRecord>>;
  members(tenant: string, groupId: string, kind: ResourceKind, cursor: string | undefined, limit: number): Promise<Listing<MemberRef>>;
  roleHolders(tenant: string, role: string, cursor: string | undefined, limit: number): Promise<Listing<ResourceRecord>>;
  inactiveWithAccess(tenant: string, cursor: string | undefined, limit: number): Promise<Listing<ResourceRecord>>;
  staleUsers(tenant: string, staleBefore: Date, cursor: string | undefined, limit: number): Promise<Listing<ResourceRecord>>;
  counts(tenant: string, policy: Policy, staleBefore: Date): Promise<DirectoryCounts>;
}

export function createDirectoryReader(storage: Storage, cursors: CursorCodec): DirectoryReader {
  const directory = storage.directory;
  async function paged<R>(parts: (string | undefined)[], cursor: string | undefined, read: (after: DirectoryPosition | undefined) => Promise<DirectoryPage<R>>): Promise<Listing<R>> {
    const fingerprint = queryFingerprint(['console', ...parts]);
    return listing(await read(positionOf(cursor, fingerprint, cursors)), fingerprint, cursors);
  }
  return {
    searchUsers: (tenant, { field, prefix, state }, cursor, limit) =>
      paged(['users', tenant, field, prefix, state], cursor, (after) => directory.searchUsers({ tenant, field, prefix, state, after, limit })),
    searchGroups: (tenant, prefix, cursor, limit) => paged(['groups', tenant, prefix], cursor, (after) => directory.searchGroups(tenant, prefix, after, limit)),
    members: (tenant, groupId, kind, cursor, limit) => paged(['members', tenant, groupId, kind], cursor, (after) => directory.members(tenant, groupId, kind, after, limit)),
    roleHolders: (tenant, role, cursor, limit) => paged(['holders', tenant, role], cursor, (after) => directory.roleHolders(tenant, role, after, limit)),
    inactiveWithAccess: (tenant, cursor, limit) => paged(['inactive-with-access', tenant], cursor, (after) => directory.inactiveWithAccess(tenant, after, limit)),
    // The cutoff moves with the clock; a position (lastModified, id) stays valid under any cutoff.
    staleUsers: (tenant, staleBefore, cursor, limit) => paged(['stale', tenant], cursor, (after) => directory.staleUsers(tenant, staleBefore, after, limit)),
    counts: (tenant, policy, staleBefore) => directory.counts(tenant, policy.fingerprint, staleBefore),
  };
}

/** A policy condition as a person reads it: `department = "Engineering" and member of "Admins"`. */
export function describeCondition(condition: Condition): string {
  if ('all' in condition) return condition.all.length === 0 ? 'always' : condition.all.map((part) => grouped(part)).join(' and ');
  if ('any' in condition) return condition.any.length === 0 ? 'never' : condition.any.map((part) => grouped(part)).join(' or ');
  if ('not' in condition) return `not ${grouped(condition.not)}`;
  if ('memberOf' in condition) return `member of ${JSON.stringify(condition.memberOf)}`;
  const tests: string[] = [];
  if (condition.equals !== undefined) tests.push(`${condition.attribute} = ${JSON.stringify(condition.equals)}`);
  if (condition.in !== undefined) tests.push(`${condition.attribute} is one of ${condition.in.map((value) => JSON.stringify(value)).join(', ')}`);
  if (condition.startsWith !== undefined) tests.push(`${condition.attribute} starts with ${JSON.stringify(condition.startsWith)}`);
  if (condition.present !== undefined) tests.push(`${condition.attribute} is ${condition.present ? 'present' : 'absent'}`);
  return tests.join(' and ') || `${condition.attribute} (any value)`;
}

function grouped(condition: Condition): string {
  const text = describeCondition(condition);
  return ('all' in condition && condition.all.length > 1) || ('any' in condition && condition.any.length > 1) ? `(${text})` : text;
}

/** The rules that grant `role`, in policy order. */
export function rulesGranting(policy: Policy, role: string): PolicyRule[] {
  return policy.rules.filter((rule) => rule.grant.includes(role));
}

function mentionsGroup(condition: Condition, displayNameLc: string): boolean {
  if ('all' in condition) return condition.all.some((part) => mentionsGroup(part, displayNameLc));
  if ('any' in condition) return condition.any.some((part) => mentionsGroup(part, displayNameLc));
  if ('not' in condition) return mentionsGroup(condition.not, displayNameLc);
  return 'memberOf' in condition && condition.memberOf.toLowerCase() === displayNameLc;
}

/**
 * The rules whose condition tests membership of this group (by displayName, case-insensitively, as
 * policy evaluation does), with the roles they grant: what the group confers through policy.
 * A rule may also need other conditions; its readable form says which.
 */
export function rulesOfGroup(policy: Policy, displayName: string): PolicyRule[] {
  return policy.rules.filter((rule) => mentionsGroup(rule.when, displayName.toLowerCase()));
}
