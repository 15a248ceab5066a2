// Where an import's records go: the user and group services (the same validation, uniqueness,
// lifecycle, audit and events as POST and PUT), or, for --dry-run, a stand-in that validates and
// looks up exactly as they would and writes nothing.
import { isDeepStrictEqual } from 'node:util';
import { ScimError } from '../../errors/scim-error.js';
import { parseResourceBody, type ResourceAttributes } from '../../scim/ingress.js';
import { GROUP_RESOURCE, USER_RESOURCE } from '../../scim/schema-registry.js';
import type { RequestContext } from '../../services/context.js';
import type { GroupService } from '../../services/groups.js';
import { createMatcher, matchByKeys, type KeyLookups, type ResourceKeys, type ResourceMatcher } from '../../services/matching.js';
import type { UserService } from '../../services/users.js';
import type { Storage } from '../../store/contract.js';
import type { ImportRecord } from './records.js';

export type Applied = 'created' | 'updated' | 'unchanged';
/** What became of a record: applied, or the SCIM error it alone was refused with. */
export type Outcome = Applied | ScimError;

/** A stored resource as matching needs it. */
export interface Match {
  id: string;
  version: number;
  attributes: ResourceAttributes;
}

/** A group member as an import file names it: its id, or a user's userName or externalId. */
export type MemberRef = { by: 'value' | 'userName' | 'externalId'; key: string };

export interface ImportTarget {
  findUser(keys: ResourceKeys): Promise<Match | undefined>;
  findGroup(keys: ResourceKeys): Promise<Match | undefined>;
  /** The id of the member a group names; undefined when there is none. */
  memberId(ref: MemberRef): Promise<string | undefined>;
  /** New users in one batch (D35): per record its outcome. */
  createUsers(records: readonly ImportRecord[]): Promise<Outcome[]>;
  replaceUser(record: ImportRecord, match: Match): Promise<Outcome>;
  /** `memberIds` are the members the record names, resolved. */
  createGroup(record: ImportRecord, memberIds: readonly string[]): Promise<Outcome>;
  replaceGroup(record: ImportRecord, match: Match, memberIds: readonly string[]): Promise<Outcome>;
}

/** A refusal of this record alone becomes its outcome; anything else (the database went away) stops the import. */
async function outcomeOf(work: () => Promise<Applied>): Promise<Outcome> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
}

/**
 * An upsert sets a password only when it creates the user: rerunning a feed must neither reset a
 * password the person changed since nor record a change each time (docs/decisions.md).
 */
function withoutPassword(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => key.toLowerCase() !== 'password'));
}

const withMembers = (body: Record<string, unknown>, memberIds: readonly string[]) => ({ ...body, members: memberIds.map((value) => ({ value })) });

function matchers(storage: Storage) {
  return { users: createMatcher(storage.users, 'userName'), groups: createMatcher(storage.groups, 'displayName') };
}

/** A member named by id must exist (as the group service checks); one named by a user's key must be found. */
async function storedMemberId(storage: Storage, users: ResourceMatcher, tenant: string, ref: MemberRef): Promise<string | undefined> {
  if (ref.by === 'value') return (await storage.memberships.missing(tenant, [ref.key])).length === 0 ? ref.key : undefined;
  return (ref.by === 'userName' ? await users.byName(tenant, ref.key) : await users.byExternalId(tenant, ref.key))?.id;
}

export function serviceTarget(storage: Storage, users: UserService, groups: GroupService, ctx: RequestContext): ImportTarget {
  const match = matchers(storage);
  return {
    findUser: (keys) => match.users.match(ctx.tenant, keys),
    findGroup: (keys) => match.groups.match(ctx.tenant, keys),
    memberId: (ref) => storedMemberId(storage, match.users, ctx.tenant, ref),

    async createUsers(records) {
      const outcomes = await users.createMany(ctx, records.map((record) => record.body));
      return outcomes.map((outcome) => (outcome instanceof ScimError ? outcome : 'created'));
    },

    replaceUser: (record, current) =>
      outcomeOf(async () => {
        const { record: written } = await users.replace(ctx, current.id, withoutPassword(record.body));
        return written.version === current.version ? 'unchanged' : 'updated';
      }),

    createGroup: (record, memberIds) =>
      outcomeOf(async () => {
        await groups.create(ctx, withMembers(record.body, memberIds));
        return 'created';
      }),

    replaceGroup: (record, current, memberIds) =>
      outcomeOf(async () => {
        const { record: written } = await groups.replace(ctx, current.id, withMembers(record.body, memberIds));
        return written.version === current.version ? 'unchanged' : 'updated';
      }),
  };
}

/** Attributes as they would be stored, and the name they would claim. */
function validated(record: ImportRecord): { attributes: ResourceAttributes; name: string | undefined } {
  const { attributes } = parseResourceBody(record.kind === 'User' ? USER_RESOURCE : GROUP_RESOURCE, record.kind === 'User' ? record.body : withMembers(record.body, []));
  const name = attributes[record.kind === 'User' ? 'userName' : 'displayName'];
  return { attributes: record.kind === 'User' ? attributes : withoutMembers(attributes), name: typeof name === 'string' ? name : undefined };
}

function withoutMembers({ members: _members, ...attributes }: ResourceAttributes): ResourceAttributes {
  return attributes;
}

/** What a dry run would have written for one resource: it supersedes the stored state of that id. */
interface Planned extends Match {
  externalId: string | undefined;
  nameLc: string | undefined;
  /** Groups: the members it would have. */
  members?: string[];
}

/** A dry run's picture of one kind: the store, overlaid with what the run would have written. */
function overlay(kind: 'User' | 'Group', matcher: ResourceMatcher, tenant: string) {
  const byId = new Map<string, Planned>();
  const byExternalId = new Map<string, Set<string>>();
  const byName = new Map<string, string>();

  function forget(id: string): void {
    const previous = byId.get(id);
    if (previous?.externalId !== undefined) byExternalId.get(previous.externalId)?.delete(id);
    if (previous?.nameLc !== undefined && byName.get(previous.nameLc) === id) byName.delete(previous.nameLc);
  }

  const lookups: KeyLookups<Match> = {
    async byExternalId(externalId) {
      const stored = await matcher.byExternalId(tenant, externalId);
      const ids = new Set(byExternalId.get(externalId));
      // A stored holder the run would have changed is judged by what it would hold then.
      if (stored && !byId.has(stored.id)) ids.add(stored.id);
      if (ids.size > 1) throw new ScimError('uniqueness', `externalId "${externalId}" is held by several ${kind}s; cannot tell which one is meant`);
      const [id] = ids;
      return id === undefined ? undefined : (byId.get(id) ?? stored);
    },
    async byName(name) {
      const plannedId = byName.get(name.toLowerCase());
      if (plannedId !== undefined) return byId.get(plannedId);
      const stored = await matcher.byName(tenant, name);
      return stored && !byId.has(stored.id) ? stored : undefined;
    },
  };

  return {
    lookups,
    planned: (id: string) => byId.get(id),
    plan(entry: Planned): void {
      forget(entry.id);
      byId.set(entry.id, entry);
      if (entry.externalId !== undefined) byExternalId.set(entry.externalId, (byExternalId.get(entry.externalId) ?? new Set()).add(entry.id));
      if (entry.nameLc !== undefined) byName.set(entry.nameLc, entry.id);
    },
  };
}

/**
 * --dry-run: the same lookups, validation and matching rule, nothing written. What the run would
 * have written is remembered and overlays the store, so later records (and groups naming their
 * members) are judged as the real run would judge them. Not made: checks that need the write itself
 * (pre-persist hooks of the lifecycle, a race with another writer).
 */
export function dryRunTarget(storage: Storage, ctx: RequestContext): ImportTarget {
  const match = matchers(storage);
  const users = overlay('User', match.users, ctx.tenant);
  const groups = overlay('Group', match.groups, ctx.tenant);
  const of = (kind: 'User' | 'Group') => (kind === 'User' ? { state: users, nameAttribute: 'userName' } : { state: groups, nameAttribute: 'displayName' });
  let created = 0;

  async function checkName(record: ImportRecord, name: string | undefined, self: string | undefined): Promise<void> {
    if (name === undefined) return;
    const { state, nameAttribute } = of(record.kind);
    const holder = await state.lookups.byName(name);
    if (holder && holder.id !== self) throw new ScimError('uniqueness', `${nameAttribute} "${name.toLowerCase()}" is already in use`);
  }

  function plan(record: ImportRecord, attributes: ResourceAttributes, id: string, version: number, members?: readonly string[]): void {
    const externalId = attributes['externalId'];
    const name = attributes[of(record.kind).nameAttribute];
    of(record.kind).state.plan({ id, version, attributes, externalId: typeof externalId === 'string' ? externalId : undefined, nameLc: typeof name === 'string' ? name.toLowerCase() : undefined, ...(members ? { members: [...members] } : {}) });
  }

  const create = (record: ImportRecord, members?: readonly string[]) =>
    outcomeOf(async () => {
      const { attributes, name } = validated(record);
      await checkName(record, name, undefined);
      plan(record, attributes, `(new ${record.kind} ${(created += 1)})`, 1, members);
      return 'created';
    });

  const replace = (record: ImportRecord, current: Match, same: (attributes: ResourceAttributes) => Promise<boolean>, members?: readonly string[]) =>
    outcomeOf(async () => {
      const { attributes, name } = validated(record);
      await checkName(record, name, current.id);
      if (await same(attributes)) return 'unchanged';
      plan(record, attributes, current.id, current.version + 1, members);
      return 'updated';
    });

  const memberSet = (ids: readonly string[]) => [...new Set(ids)].sort();

  return {
    findUser: (keys) => matchByKeys(keys, users.lookups, 'User', 'userName'),
    findGroup: (keys) => matchByKeys(keys, groups.lookups, 'Group', 'displayName'),
    async memberId(ref) {
      if (ref.by === 'value') return users.planned(ref.key) || groups.planned(ref.key) ? ref.key : storedMemberId(storage, match.users, ctx.tenant, ref);
      return (await (ref.by === 'userName' ? users.lookups.byName(ref.key) : users.lookups.byExternalId(ref.key)))?.id;
    },
    async createUsers(records) {
      const outcomes: Outcome[] = [];
      for (const record of records) outcomes.push(await create(record));
      return outcomes;
    },
    // Grants live beside the attributes; a changed policy can make the real run write where this says unchanged.
    replaceUser: (record, current) => replace({ ...record, body: withoutPassword(record.body) }, current, async (attributes) => isDeepStrictEqual(attributes, current.attributes)),
    createGroup: (record, memberIds) => create(record, memberIds),
    replaceGroup: (record, current, memberIds) =>
      replace(
        record,
        current,
        async (attributes) => {
          if (!isDeepStrictEqual(attributes, current.attributes)) return false;
          const members = groups.planned(current.id)?.members ?? (await storage.memberships.membersOf(ctx.tenant, current.id)).map((member) => member.id);
          return isDeepStrictEqual(memberSet(memberIds), memberSet(members));
        },
        memberIds,
      ),
  };
}
