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
import type { ListQuery, MemberRef, MembershipChange, PendingEntries, ResourceRecord, Storage } from '../store/contract.js';
import { groupsReferenced } from '../lifecycle/policy/referenced-groups.js';
import type { RequestContext } from './context.js';
import type { Lifecycle } from './lifecycle.js';
import { createVersionedWriter } from './versioned-write.js';
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
  /**
   * The last steps of a delete whose entries are relayed and whose parent groups are bumped: the
   * members forget the group, it goes, policy is re-applied to them (the sweep's way to finish one).
   */
  finishDelete(ctx: RequestContext, id: string): Promise<void>;
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

/** The members whose membership a change alters (a re-added member is in neither list). */
interface MembershipPlan {
  added: MemberRef[];
  removed: MemberRef[];
}

const NO_CHANGE: MembershipPlan = { added: [], removed: [] };
const changes = (plan: MembershipPlan) => plan.added.length + plan.removed.length > 0;

/** What a write returned, without what only the relay needs. */
function withoutPending({ pending: _pending, unrelayed: _unrelayed, ...record }: ResourceRecord): ResourceRecord {
  return record;
}

const auditView = (attributes: ResourceAttributes) => ({ displayName: attributes['displayName'], externalId: attributes['externalId'] });

export function createGroupService(storage: Storage, lifecycle: Lifecycle, reevaluateUser: ReevaluateUser): GroupService {
  const writeWithVersion = createVersionedWriter();

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

  /**
   * One membership change of a group, in the most truthful order: the group's version bump carries
   * the change's event and audit entry (one version-conditional write), then the member documents
   * are written, then the entries are relayed. After a crash between the bump and the members the
   * entries wait in the group, and whoever relays them (this function, first thing, for the next
   * change of the group; or the sweep) writes the members first (idempotent): an entry never
   * reaches the audit trail before its change is stored. The other order would leave, after such a
   * crash, members changed and no entry at all.
   */
  async function changeMembership(ctx: RequestContext, groupId: string, plan: () => Promise<MembershipPlan>, reason: string, basis?: ResourceRecord): Promise<MembershipChange> {
    const { tenant } = ctx;
    return storage.memberships.serialised(groupId, async () => {
      let planned = NO_CHANGE;
      const bumped = await writeWithVersion(storage.groups, tenant, groupId, undefined, async (current) => {
        // Planned from members as every earlier change left them, so that changes apply in order.
        if (current.unrelayed) await lifecycle.relayLeftovers('Group', tenant, groupId);
        planned = await plan();
        if (!changes(planned)) return current;
        return storage.groups.touch(tenant, groupId, current.version, lifecycle.membershipEvent(ctx, groupId, planned.added, planned.removed, reason));
      }, basis);
      if (!changes(planned)) return { added: [], removed: [] };
      await storage.memberships.apply(tenant, groupId, planned.added, planned.removed);
      try {
        await lifecycle.relayWritten('Group', bumped);
      } catch (error) {
        lifecycle.log({ level: 'warn', msg: 'relay deferred', step: 'relay', groupId, error: String(error) });
      }
      return { ...planned, group: withoutPending(bumped) };
    });
  }

  /** After a membership change: policy for each user who moved (mover). */
  async function membershipChanged(ctx: RequestContext, change: MembershipChange): Promise<void> {
    if (change.added.length === 0 && change.removed.length === 0) return;
    // The group as the change left it: a concurrent rename written before it is seen here, and one
    // written after it re-evaluates every member itself (renamed). Only groups a memberOf rule
    // names can change grants.
    if (!change.group || mattersToPolicy(change.group.attributes['displayName'])) await reevaluate(ctx, [...change.added, ...change.removed]);
  }

  const adding = (tenant: string, groupId: string, ids: readonly string[]) => async (): Promise<MembershipPlan> => ({ added: await storage.memberships.due(tenant, groupId, ids, true), removed: [] });
  const removing = (tenant: string, groupId: string, ids: readonly string[]) => async (): Promise<MembershipPlan> => ({ added: [], removed: await storage.memberships.due(tenant, groupId, ids, false) });
  const replacing = (tenant: string, groupId: string, ids: readonly string[]) => async (): Promise<MembershipPlan> => {
    const current = await storage.memberships.membersOf(tenant, groupId);
    const currentIds = new Set(current.map((member) => member.id));
    const wanted = new Set(ids);
    return { added: await storage.memberships.due(tenant, groupId, [...wanted].filter((id) => !currentIds.has(id)), true), removed: current.filter((member) => !wanted.has(member.id)) };
  };

  /** `basis`: the group as the caller last read or wrote it, if nothing wrote it since in this request. */
  async function applyMembershipChange(ctx: RequestContext, groupId: string, operation: MembershipOperation, basis: ResourceRecord | undefined): Promise<ResourceRecord | undefined> {
    const { tenant } = ctx;
    let plan: () => Promise<MembershipPlan>;
    switch (operation.kind) {
      case 'add':
        plan = adding(tenant, groupId, operation.ids);
        break;
      case 'remove':
        plan = removing(tenant, groupId, operation.ids);
        break;
      case 'replace':
        plan = replacing(tenant, groupId, operation.ids);
        break;
      case 'removeAll':
        plan = replacing(tenant, groupId, []);
        break;
      case 'removeWhere':
        // A filter other than `value eq` needs the members' display and type: only then are they loaded.
        plan = async () => {
          const members = await storage.memberships.membersOf(tenant, groupId);
          return { added: [], removed: members.filter((member) => matchesFilter(operation.filter, { value: member.id, display: member.display, type: member.kind }, MEMBER_ATTRIBUTES)) };
        };
        break;
    }
    const change = await changeMembership(ctx, groupId, plan, 'membership', basis);
    await membershipChanged(ctx, change);
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

  /** A guarded section's outcome as the client sees it. */
  function checkGuarded(outcome: unknown, id: string, expectedVersion: number | undefined): void {
    if (outcome === null) throw new ScimError('notFound', `Group ${id} not found`);
    if (outcome === 'conflict') throw new ScimError('preconditionFailed', `Group ${id} has changed since version ${String(expectedVersion)}`);
  }

  /** A deleted group leaves its parent groups: its own write carries their membership entries. */
  function withParentsLeft(ctx: RequestContext, id: string, own: PendingEntries, parentIds: readonly string[]): PendingEntries {
    const left = parentIds.map((parentId) => lifecycle.membershipEvent(ctx, parentId, [], [{ id, kind: 'Group', display: undefined }], 'group deleted'));
    return { events: [...own.events, ...left.flatMap((entries) => entries.events)], audit: [...own.audit, ...left.flatMap((entries) => entries.audit)] };
  }

  async function memberCount(tenant: string, id: string): Promise<number> {
    let count = 0;
    for await (const _member of storage.memberships.streamMembers(tenant, id)) count += 1;
    return count;
  }

  async function finishDelete(ctx: RequestContext, id: string): Promise<void> {
    const { tenant } = ctx;
    const group = await storage.groups.deleting(tenant, id);
    if (!group) return;
    // Only groups a memberOf rule names change grants; their members are read before they forget it.
    const moved = mattersToPolicy(group.attributes['displayName']) ? await storage.memberships.membersOf(tenant, id) : [];
    await storage.memberships.forgetGroup(tenant, id);
    await storage.groups.remove(tenant, id);
    await reevaluate(ctx, moved);
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
      const record = withoutPending(created);
      if (memberIds.length === 0) return { record, members: [] };
      await membershipChanged(ctx, await changeMembership(ctx, id, adding(tenant, id, memberIds), 'group created'));
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
        await membershipChanged(ctx, await changeMembership(ctx, id, replacing(tenant, id, memberIds), 'membership'));
      };
      // With If-Match, the check and the whole replacement are one guarded section: of several PUTs
      // carrying the same version exactly one wins, even when only the member list differs.
      checkGuarded(expectedVersion === undefined ? await apply() : await storage.memberships.guarded(tenant, id, expectedVersion, apply), id, expectedVersion);
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
        for (const change of coalesce(membership)) latest = (await applyMembershipChange(ctx, id, change, latest ?? (others.length > 0 ? undefined : current))) ?? latest;
      };
      checkGuarded(expectedVersion === undefined ? await apply() : await storage.memberships.guarded(tenant, id, expectedVersion, apply), id, expectedVersion);
      // Members are not loaded: a PATCH answers 204 (or re-reads with the client's projection), so its
      // cost never grows with the group's size.
      const updated = latest ?? (await storage.groups.get(tenant, id));
      if (!updated) throw new ScimError('notFound', `Group ${id} not found`);
      return { record: updated, members: undefined };
    },

    /**
     * One version-conditional write marks the group deleting with its tombstone (group.deleted and
     * the audit entry) and its parents' membership entries; a refused or conflicting delete writes
     * (and so records) nothing. Then the parents' version bumps and the relay, and finishDelete. Once
     * marked, the group is gone for every reader, so whatever fails after that is finished by the
     * relay's sweep.
     */
    async delete(ctx, id, expectedVersion) {
      const { tenant } = ctx;
      const marked = await writeWithVersion(storage.groups, tenant, id, expectedVersion, async (current) => {
        const data = { displayName: current.attributes['displayName'], members: await memberCount(tenant, id) };
        const own = lifecycle.groupEntries(ctx, 'delete', 'group.deleted', id, data, auditView(current.attributes), null);
        return storage.groups.markDeleting(tenant, id, current.version, withParentsLeft(ctx, id, own, current.groupIds));
      });
      try {
        await lifecycle.relayDeleting('Group', marked);
        await finishDelete(ctx, id);
      } catch (error) {
        lifecycle.log({ level: 'warn', msg: 'delete left to the relay sweep', step: 'relay', groupId: id, error: String(error) });
      }
    },

    async list(ctx, query, options) {
      const page = await storage.groups.list(ctx.tenant, { ...query, budget: ctx.budget });
      return { ...page, items: await Promise.all(page.items.map((record) => view(ctx.tenant, record, options))) };
    },

    finishDelete,
  };
}
