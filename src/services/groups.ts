import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { ScimError } from '../errors/scim-error.js';
import type { AuditOperation } from '../lifecycle/types.js';
import { matchesFilter } from '../scim/filter/evaluate.js';
import { parseResourceBody, type ResourceAttributes } from '../scim/ingress.js';
import { applyPatch } from '../scim/patch/apply.js';
import { splitMembershipOperations, type MembershipOperation } from '../scim/patch/membership.js';
import { parsePatchRequest } from '../scim/patch/operations.js';
import { findAttribute, GROUP_RESOURCE } from '../scim/schema-registry.js';
import type { ListQuery, MemberRef, MembershipChange, ResourceRecord, Storage } from '../store/contract.js';
import { groupsReferenced } from '../lifecycle/policy/referenced-groups.js';
import type { RequestContext } from './context.js';
import type { Lifecycle } from './lifecycle.js';
import { deleteWithVersion, writeWithVersion } from './versioned-write.js';
import type { GroupView, Page } from './views.js';

export interface GroupReadOptions {
  /** False when the client excluded `members`: they are then never loaded. */
  includeMembers: boolean;
  /** Members as a stream (GroupView.memberStream) rather than loaded, when the caller can write them as they come. */
  streamMembers?: boolean;
}

export interface GroupService {
  create(ctx: RequestContext, body: unknown): Promise<GroupView>;
  get(ctx: RequestContext, id: string, options: GroupReadOptions): Promise<GroupView>;
  replace(ctx: RequestContext, id: string, body: unknown, expectedVersion?: number): Promise<GroupView>;
  patch(ctx: RequestContext, id: string, body: unknown, expectedVersion?: number): Promise<GroupView>;
  delete(ctx: RequestContext, id: string, expectedVersion?: number): Promise<void>;
  list(ctx: RequestContext, query: ListQuery, options: GroupReadOptions): Promise<Page<GroupView>>;
}

/** Re-applies policy to users whose group memberships changed (the mover step of the pipeline). */
export type ReevaluateUser = (ctx: RequestContext, userId: string, operation: AuditOperation) => Promise<void>;

interface ParsedGroup {
  attributes: ResourceAttributes;
  memberIds: string[];
}

const MEMBER_ATTRIBUTES = findAttribute(GROUP_RESOURCE.attributes, 'members')?.subAttributes ?? [];

/** Members are not stored on the group (see MembershipStore), so they are split off the body. */
function parseGroup(body: unknown): ParsedGroup {
  const { attributes } = parseResourceBody(GROUP_RESOURCE, body);
  const { members, ...rest } = attributes;
  const memberIds = Array.isArray(members) ? members.map((member) => (member as { value?: unknown }).value) : [];
  if (!memberIds.every((value): value is string => typeof value === 'string' && value.length > 0)) {
    throw new ScimError('invalidValue', 'Every member must have a non-empty "value" (the member\'s id)');
  }
  return { attributes: rest, memberIds: [...new Set(memberIds)] };
}

/**
 * Okta sends a push as hundreds of single-member operations; consecutive adds (or removes) commute,
 * so they are applied as one batched change.
 */
function coalesce(operations: readonly MembershipOperation[]): MembershipOperation[] {
  const merged: MembershipOperation[] = [];
  for (const operation of operations) {
    const last = merged.at(-1);
    if (last && (last.kind === 'add' || last.kind === 'remove') && last.kind === operation.kind) {
      merged[merged.length - 1] = { kind: last.kind, ids: [...last.ids, ...operation.ids] };
    } else merged.push(operation);
  }
  return merged;
}

const auditView = (attributes: ResourceAttributes) => ({ displayName: attributes['displayName'], externalId: attributes['externalId'] });

export function createGroupService(storage: Storage, lifecycle: Lifecycle, reevaluateUser: ReevaluateUser): GroupService {
  async function checkMembers(tenant: string, groupId: string | undefined, memberIds: readonly string[]): Promise<void> {
    if (groupId !== undefined && memberIds.includes(groupId)) {
      throw new ScimError('invalidValue', 'A group cannot be a member of itself');
    }
    const missing = await storage.memberships.missing(tenant, memberIds);
    if (missing.length > 0) {
      throw new ScimError('invalidValue', `Members do not exist: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
    }
  }

  const referenced = groupsReferenced(lifecycle.policy);
  const mattersToPolicy = (displayName: unknown) => typeof displayName === 'string' && referenced.has(displayName.toLowerCase());

  async function reevaluate(ctx: RequestContext, members: readonly MemberRef[]): Promise<void> {
    for (const member of members) {
      if (member.kind === 'User') await reevaluateUser(ctx, member.id, 'membership');
    }
  }

  /** After a membership change: the group's event and audit entry, then policy for each user who moved (mover). */
  async function membershipChanged(ctx: RequestContext, groupId: string, change: MembershipChange, reason: string): Promise<void> {
    await lifecycle.recordNow(lifecycle.membershipEvent(ctx, groupId, change.added, change.removed, reason));
    if (change.added.length === 0 && change.removed.length === 0) return;
    // The group as the change left it: a concurrent rename written before it is seen here, and one
    // written after it re-evaluates every member itself (renamed). Only groups a memberOf rule
    // names can change grants; a deleted group was checked by its caller.
    if (!change.group || mattersToPolicy(change.group.attributes['displayName'])) await reevaluate(ctx, [...change.added, ...change.removed]);
  }

  async function applyMembershipChange(ctx: RequestContext, groupId: string, operation: MembershipOperation): Promise<ResourceRecord | undefined> {
    const { tenant } = ctx;
    let change: MembershipChange;
    switch (operation.kind) {
      case 'add':
        change = await storage.memberships.add(tenant, groupId, operation.ids);
        break;
      case 'remove':
        change = await storage.memberships.remove(tenant, groupId, operation.ids);
        break;
      case 'replace':
        change = await storage.memberships.replace(tenant, groupId, operation.ids);
        break;
      case 'removeAll':
        change = await storage.memberships.replace(tenant, groupId, []);
        break;
      case 'removeWhere': {
        // A filter other than `value eq` needs the members' display and type: only then are they loaded.
        const members = await storage.memberships.membersOf(tenant, groupId);
        const matching = members.filter((member) => matchesFilter(operation.filter, { value: member.id, display: member.display, type: member.kind }, MEMBER_ATTRIBUTES));
        change = await storage.memberships.remove(tenant, groupId, matching.map((member) => member.id));
        break;
      }
    }
    await membershipChanged(ctx, groupId, change, 'membership');
    return change.group;
  }

  async function view(tenant: string, record: ResourceRecord, options: GroupReadOptions): Promise<GroupView> {
    if (options.includeMembers && options.streamMembers) return { record, members: undefined, memberStream: () => storage.memberships.streamMembers(tenant, record.id) };
    return { record, members: options.includeMembers ? await storage.memberships.membersOf(tenant, record.id) : undefined };
  }

  async function reload(tenant: string, id: string): Promise<GroupView> {
    const record = await storage.groups.get(tenant, id);
    if (!record) throw new ScimError('notFound', `Group ${id} not found`);
    return view(tenant, record, { includeMembers: true });
  }

  /** A rename into or out of a name the policy tests changes what membership grants to every member. */
  async function renamed(ctx: RequestContext, id: string, before: unknown, after: unknown): Promise<void> {
    if (before === after || (!mattersToPolicy(before) && !mattersToPolicy(after))) return;
    await reevaluate(ctx, await storage.memberships.membersOf(ctx.tenant, id));
  }

  /** Writes new attributes (if they differ) with their audit entry in the same document change. */
  async function writeAttributes(ctx: RequestContext, operation: AuditOperation, id: string, expectedVersion: number | undefined, next: (current: ResourceRecord) => ResourceAttributes): Promise<void> {
    let written = false;
    let names: [unknown, unknown] = [undefined, undefined];
    const record = await writeWithVersion(storage.groups, ctx.tenant, id, expectedVersion, async (current) => {
      const attributes = next(current);
      written = !isDeepStrictEqual(attributes, current.attributes);
      names = [current.attributes['displayName'], attributes['displayName']];
      if (!written) return current;
      const pending = lifecycle.groupEntries(ctx, operation, undefined, id, {}, auditView(current.attributes), auditView(attributes));
      return storage.groups.replace(ctx.tenant, id, current.version, { attributes, pending, basis: current });
    });
    if (!written) return;
    await lifecycle.relayWritten('Group', record);
    await renamed(ctx, id, names[0], names[1]);
  }

  return {
    async create(ctx, body) {
      const { tenant } = ctx;
      const { attributes, memberIds } = parseGroup(body);
      await checkMembers(tenant, undefined, memberIds);
      const id = randomUUID();
      const pending = lifecycle.groupEntries(ctx, 'create', 'group.created', id, { displayName: attributes['displayName'] }, null, auditView(attributes));
      const created = await storage.groups.create({ tenant, id, attributes, pending });
      await lifecycle.relayWritten('Group', created);
      const { pending: _relayed, ...record } = created;
      if (memberIds.length === 0) return { record, members: [] };
      await membershipChanged(ctx, id, await storage.memberships.add(tenant, id, memberIds), 'group created');
      return reload(tenant, id);
    },

    async get(ctx, id, options) {
      const record = await storage.groups.get(ctx.tenant, id);
      if (!record) throw new ScimError('notFound', `Group ${id} not found`);
      return view(ctx.tenant, record, options);
    },

    async replace(ctx, id, body, expectedVersion) {
      const { tenant } = ctx;
      const { attributes, memberIds } = parseGroup(body);
      await checkMembers(tenant, id, memberIds);
      const apply = async () => {
        await writeAttributes(ctx, 'replace', id, expectedVersion, () => attributes);
        await membershipChanged(ctx, id, await storage.memberships.replace(tenant, id, memberIds), 'membership');
      };
      // With If-Match, the check and the whole replacement are one guarded section: of several PUTs
      // carrying the same version exactly one wins, even when only the member list differs.
      const outcome = expectedVersion === undefined ? await apply() : await storage.memberships.guarded(tenant, id, expectedVersion, apply);
      if (outcome === 'conflict') throw new ScimError('preconditionFailed', `Group ${id} has changed since version ${String(expectedVersion)}`);
      return reload(tenant, id);
    },

    async patch(ctx, id, body, expectedVersion) {
      const { tenant } = ctx;
      const { membership, others } = splitMembershipOperations(GROUP_RESOURCE, parsePatchRequest(body));
      const current = await storage.groups.get(tenant, id);
      if (!current) throw new ScimError('notFound', `Group ${id} not found`);
      // Everything is validated before anything is written: a rejected PATCH changes nothing.
      const attributesOf = (record: ResourceRecord) => parseGroup(applyPatch(GROUP_RESOURCE, record.attributes, others, { resourceId: id })).attributes;
      attributesOf(current);
      await checkMembers(tenant, id, membership.flatMap((change) => (change.kind === 'add' || change.kind === 'replace' ? change.ids : [])));
      // The group as the last membership change left it, if that was the last write: spares a re-read.
      let latest: ResourceRecord | undefined;
      const apply = async () => {
        if (others.length > 0) await writeAttributes(ctx, 'patch', id, expectedVersion, attributesOf);
        for (const change of coalesce(membership)) latest = (await applyMembershipChange(ctx, id, change)) ?? latest;
      };
      const outcome = expectedVersion === undefined ? await apply() : await storage.memberships.guarded(tenant, id, expectedVersion, apply);
      if (outcome === 'conflict') throw new ScimError('preconditionFailed', `Group ${id} has changed since version ${String(expectedVersion)}`);
      // Members are not loaded: a PATCH answers 204 (or re-reads with the client's projection), so its
      // cost never grows with the group's size.
      const updated = latest ?? (await storage.groups.get(tenant, id));
      if (!updated) throw new ScimError('notFound', `Group ${id} not found`);
      return { record: updated, members: undefined };
    },

    async delete(ctx, id, expectedVersion) {
      const { tenant } = ctx;
      const current = await storage.groups.get(tenant, id);
      if (!current) throw new ScimError('notFound', `Group ${id} not found`);
      const members = await storage.memberships.membersOf(tenant, id);
      // Recorded before the document goes: a crash in between repeats the tombstone, never loses it.
      await lifecycle.recordNow(lifecycle.groupEntries(ctx, 'delete', 'group.deleted', id, { displayName: current.attributes['displayName'], members: members.length }, auditView(current.attributes), null));
      const deleted = await deleteWithVersion(storage.groups, tenant, id, expectedVersion);
      await storage.memberships.forgetGroup(tenant, id);
      await storage.memberships.touchGroups(tenant, deleted.groupIds);
      await lifecycle.recordNow(lifecycle.membershipEvent(ctx, id, [], members, 'group deleted'));
      if (mattersToPolicy(current.attributes['displayName'])) await reevaluate(ctx, members);
    },

    async list(ctx, query, options) {
      const page = await storage.groups.list(ctx.tenant, { ...query, budget: ctx.budget });
      return { ...page, items: await Promise.all(page.items.map((record) => view(ctx.tenant, record, options))) };
    },
  };
}
