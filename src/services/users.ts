import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { applyPatch } from '../scim/patch/apply.js';
import { parsePatchRequest } from '../scim/patch/operations.js';
import { ScimError } from '../errors/scim-error.js';
import { hashPassword } from '../auth/password.js';
import { parseResourceBody } from '../scim/ingress.js';
import { USER_RESOURCE } from '../scim/schema-registry.js';
import type { ListQuery, ResourceRecord, Storage } from '../store/contract.js';
import type { GroupRef, Page, UserView } from './views.js';
import { deleteWithVersion, writeWithVersion } from './versioned-write.js';

export interface UserService {
  create(tenant: string, body: unknown): Promise<UserView>;
  get(tenant: string, id: string): Promise<UserView>;
  replace(tenant: string, id: string, body: unknown, expectedVersion?: number): Promise<UserView>;
  patch(tenant: string, id: string, body: unknown, expectedVersion?: number): Promise<UserView>;
  delete(tenant: string, id: string, expectedVersion?: number): Promise<void>;
  list(tenant: string, query: ListQuery): Promise<Page<UserView>>;
}

export function createUserService(storage: Storage): UserService {
  async function groupRefs(tenant: string, records: readonly ResourceRecord[]): Promise<Map<string, GroupRef>> {
    const ids = [...new Set(records.flatMap((record) => record.groupIds))];
    const groups = await storage.groups.getMany(tenant, ids);
    return new Map(groups.map((group) => [group.id, { id: group.id, display: group.attributes['displayName'] as string | undefined }]));
  }

  async function views(tenant: string, records: readonly ResourceRecord[]): Promise<UserView[]> {
    const refs = await groupRefs(tenant, records);
    return records.map((record) => ({
      record,
      groups: record.groupIds.flatMap((id) => refs.get(id) ?? []),
    }));
  }

  const view = async (tenant: string, record: ResourceRecord): Promise<UserView> => (await views(tenant, [record]))[0] as UserView;

  async function passwordHashOf(password: string | undefined): Promise<string | undefined> {
    return password === undefined ? undefined : hashPassword(password);
  }

  return {
    async create(tenant, body) {
      const { attributes, password } = parseResourceBody(USER_RESOURCE, body);
      const record = await storage.users.create({ tenant, id: randomUUID(), attributes, passwordHash: await passwordHashOf(password) });
      return { record, groups: [] };
    },

    async get(tenant, id) {
      const record = await storage.users.get(tenant, id);
      if (!record) throw new ScimError('notFound', `User ${id} not found`);
      return view(tenant, record);
    },

    async replace(tenant, id, body, expectedVersion) {
      const { attributes, password } = parseResourceBody(USER_RESOURCE, body);
      const passwordHash = await passwordHashOf(password);
      const record = await writeWithVersion(storage.users, tenant, id, expectedVersion, (current) =>
        storage.users.replace(tenant, id, current.version, { attributes, passwordHash }),
      );
      return view(tenant, record);
    },

    async patch(tenant, id, body, expectedVersion) {
      const operations = parsePatchRequest(body);
      const record = await writeWithVersion(storage.users, tenant, id, expectedVersion, async (current) => {
        const patched = applyPatch(USER_RESOURCE, current.attributes, operations, { resourceId: id });
        const { attributes, password } = parseResourceBody(USER_RESOURCE, patched);
        // A PATCH that changes nothing succeeds without a write, so the version stays (RFC 7644 §3.5.2).
        if (password === undefined && isDeepStrictEqual(attributes, current.attributes)) return current;
        return storage.users.replace(tenant, id, current.version, { attributes, passwordHash: await passwordHashOf(password) });
      });
      return view(tenant, record);
    },

    async delete(tenant, id, expectedVersion) {
      const deleted = await deleteWithVersion(storage.users, tenant, id, expectedVersion);
      await storage.memberships.touchGroups(tenant, deleted.groupIds);
    },

    async list(tenant, query) {
      const page = await storage.users.list(tenant, query);
      return { ...page, items: await views(tenant, page.items) };
    },
  };
}
