import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { matchesFilter } from '../scim/filter/evaluate.js';
import { applyPatch } from '../scim/patch/apply.js';
import { splitMembershipOperations, type MembershipOperation } from '../scim/patch/membership.js';
import { parsePatchRequest } from '../scim/patch/operations.js';
import { ScimError } from '../errors/scim-error.js';
import { parseResourceBody, type ResourceAttributes } from '../scim/ingress.js';
import { findAttribute, GROUP_RESOURCE } from '../scim/schema-registry.js';
import type { ListQuery, ResourceRecord, Storage } from '../store/contract.js';
import type { GroupView, Page } from './views.js';
import { deleteWithVersion, writeWithVersion } from './versioned-write.js';

export interface GroupReadOptions {
  /** False when the client excluded `members`: they are then never loaded. */
  includeMembers: boolean;
}

export interface GroupService {
  create(tenant: string, body: unknown): Promise<GroupView>;
  get(tenant: string, id: string, options: GroupReadOptions): Promise<GroupView>;
  replace(tenant: string, id: string, body: unknown, expectedVersion?: number): Promise<GroupView>;
  patch(tenant: string, id: string, body: unknown, expectedVersion?: number): Promise<GroupView>;
  delete(tenant: string, id: string, expectedVersion?: number): Promise<void>;
  list(tenant: string, query: ListQuery, options: GroupReadOptions): Promise<Page<GroupView>>;
}

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

export function createGroupService(storage: Storage): GroupService {
  async function checkMembers(tenant: string, groupId: string | undefined, memberIds: readonly string[]): Promise<void> {
    if (groupId !== undefined && memberIds.includes(groupId)) {
      throw new ScimError('invalidValue', 'A group cannot be a member of itself');
    }
    const missing = await storage.memberships.missing(tenant, memberIds);
    if (missing.length > 0) {
      throw new ScimError('invalidValue', `Members do not exist: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
    }
  }

  async function applyMembershipChange(tenant: string, groupId: string, change: MembershipOperation): Promise<void> {
    switch (change.kind) {
      case 'add':
        return storage.memberships.add(tenant, groupId, change.ids);
      case 'remove':
        return storage.memberships.remove(tenant, groupId, change.ids);
      case 'replace':
        return storage.memberships.replace(tenant, groupId, change.ids);
      case 'removeAll':
        return storage.memberships.replace(tenant, groupId, []);
      case 'removeWhere': {
        // A filter other than `value eq` needs the members' display and type: only then are they loaded.
        const members = await storage.memberships.membersOf(tenant, groupId);
        const matching = members.filter((member) => matchesFilter(change.filter, { value: member.id, display: member.display, type: member.kind }, MEMBER_ATTRIBUTES));
        return storage.memberships.remove(tenant, groupId, matching.map((member) => member.id));
      }
    }
  }

  async function view(tenant: string, record: ResourceRecord, options: GroupReadOptions): Promise<GroupView> {
    return { record, members: options.includeMembers ? await storage.memberships.membersOf(tenant, record.id) : undefined };
  }

  async function reload(tenant: string, id: string): Promise<GroupView> {
    const record = await storage.groups.get(tenant, id);
    if (!record) throw new ScimError('notFound', `Group ${id} not found`);
    return view(tenant, record, { includeMembers: true });
  }

  return {
    async create(tenant, body) {
      const { attributes, memberIds } = parseGroup(body);
      await checkMembers(tenant, undefined, memberIds);
      const record = await storage.groups.create({ tenant, id: randomUUID(), attributes });
      if (memberIds.length === 0) return { record, members: [] };
      await storage.memberships.add(tenant, record.id, memberIds);
      return reload(tenant, record.id);
    },

    async get(tenant, id, options) {
      const record = await storage.groups.get(tenant, id);
      if (!record) throw new ScimError('notFound', `Group ${id} not found`);
      return view(tenant, record, options);
    },

    async replace(tenant, id, body, expectedVersion) {
      const { attributes, memberIds } = parseGroup(body);
      await checkMembers(tenant, id, memberIds);
      await writeWithVersion(storage.groups, tenant, id, expectedVersion, (current) =>
        storage.groups.replace(tenant, id, current.version, { attributes }),
      );
      await storage.memberships.replace(tenant, id, memberIds);
      return reload(tenant, id);
    },

    async patch(tenant, id, body, expectedVersion) {
      const { membership, others } = splitMembershipOperations(GROUP_RESOURCE, parsePatchRequest(body));
      const current = await storage.groups.get(tenant, id);
      if (!current) throw new ScimError('notFound', `Group ${id} not found`);
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw new ScimError('preconditionFailed', `Group ${id} has changed since version ${expectedVersion}`);
      }
      // Everything is validated before anything is written: a rejected PATCH changes nothing.
      const attributesOf = (record: ResourceRecord) => parseGroup(applyPatch(GROUP_RESOURCE, record.attributes, others, { resourceId: id })).attributes;
      const patched = attributesOf(current);
      await checkMembers(tenant, id, membership.flatMap((change) => (change.kind === 'add' || change.kind === 'replace' ? change.ids : [])));
      if (!isDeepStrictEqual(patched, current.attributes)) {
        await writeWithVersion(storage.groups, tenant, id, expectedVersion, (latest) =>
          storage.groups.replace(tenant, id, latest.version, { attributes: attributesOf(latest) }),
        );
      }
      for (const change of membership) await applyMembershipChange(tenant, id, change);
      return reload(tenant, id);
    },

    async delete(tenant, id, expectedVersion) {
      const deleted = await deleteWithVersion(storage.groups, tenant, id, expectedVersion);
      await storage.memberships.forgetGroup(tenant, id);
      await storage.memberships.touchGroups(tenant, deleted.groupIds);
    },

    async list(tenant, query, options) {
      const page = await storage.groups.list(tenant, query);
      return { ...page, items: await Promise.all(page.items.map((record) => view(tenant, record, options))) };
    },
  };
}
