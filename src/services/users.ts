import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { hashPassword } from '../auth/password.js';
import { ScimError } from '../errors/scim-error.js';
import { valuesOf } from '../lifecycle/grants.js';
import type { AuditOperation, Grant } from '../lifecycle/types.js';
import type { ReviewRevocation } from '../lifecycle/user-transition.js';
import { parseResourceBody, type ResourceAttributes } from '../scim/ingress.js';
import { applyPatch } from '../scim/patch/apply.js';
import { parsePatchRequest } from '../scim/patch/operations.js';
import { USER_RESOURCE } from '../scim/schema-registry.js';
import type { ListQuery, NewResource, PendingEntries, ResourceRecord, Storage } from '../store/contract.js';
import type { RequestContext } from './context.js';
import type { Lifecycle, UserChange } from './lifecycle.js';
import { createVersionedWriter } from './versioned-write.js';
import type { GroupRef, Page, UserView } from './views.js';

export interface UserService {
  create(ctx: RequestContext, body: unknown): Promise<UserView>;
  /** Creates in one batch (bulk import): per body its view, or the ScimError that body alone failed with. */
  createMany(ctx: RequestContext, bodies: readonly unknown[]): Promise<(UserView | ScimError)[]>;
  get(ctx: RequestContext, id: string): Promise<UserView>;
  replace(ctx: RequestContext, id: string, body: unknown, expectedVersion?: number): Promise<UserView>;
  patch(ctx: RequestContext, id: string, body: unknown, expectedVersion?: number): Promise<UserView>;
  delete(ctx: RequestContext, id: string, expectedVersion?: number): Promise<void>;
  list(ctx: RequestContext, query: ListQuery): Promise<Page<UserView>>;
  /** Re-applies policy to a user whose groups or the policy changed (mover, policy re-evaluation); true when it wrote. */
  reevaluate(ctx: RequestContext, id: string, operation: AuditOperation): Promise<boolean>;
  /**
   * Carries out an access review's revocation: a direct grant leaves `roles` or `entitlements`, a
   * policy grant (whose exception the caller stored first) goes by re-evaluation. The write carries
   * access.revoked_by_review when the grant really goes; false when nothing was written.
   */
  revokeByReview(ctx: RequestContext, id: string, review: ReviewRevocation): Promise<boolean>;
  /** The last step of a delete whose entries are relayed (its groups bumped): the document goes. The sweep finishes an interrupted one so. */
  finishDelete(ctx: RequestContext, id: string): Promise<void>;
}

interface Proposal {
  attributes: ResourceAttributes;
  password?: string | undefined;
}

export function createUserService(storage: Storage, lifecycle: Lifecycle): UserService {
  const writeWithVersion = createVersionedWriter();

  async function groupRefs(tenant: string, records: readonly ResourceRecord[]): Promise<Map<string, GroupRef>> {
    const ids = [...new Set(records.flatMap((record) => record.groupIds))];
    const groups = await storage.groups.getMany(tenant, ids);
    return new Map(groups.map((group) => [group.id, { id: group.id, display: group.attributes['displayName'] as string | undefined }]));
  }

  async function views(tenant: string, records: readonly ResourceRecord[]): Promise<UserView[]> {
    const refs = await groupRefs(tenant, records);
    return records.map((record) => ({ record, groups: record.groupIds.flatMap((id) => refs.get(id) ?? []) }));
  }

  const view = async (tenant: string, record: ResourceRecord): Promise<UserView> => (await views(tenant, [record]))[0] as UserView;

  /** Hashing is slow on purpose: done once per distinct password, not once per retry. */
  function passwordHasher(): (password: string | undefined) => Promise<string | undefined> {
    const hashes = new Map<string, Promise<string>>();
    return (password) => {
      if (password === undefined) return Promise.resolve(undefined);
      if (!hashes.has(password)) hashes.set(password, hashPassword(password));
      return hashes.get(password) as Promise<string>;
    };
  }

  /**
   * The user's own write carries the events and audit entries of the groups it leaves (membership
   * lives on the member, so leaving is that write): a leaver's groups, a deleted user's groups.
   */
  function withGroupsLeft(ctx: RequestContext, id: string, own: PendingEntries, groupIds: readonly string[], reason: string): PendingEntries {
    const left = groupIds.map((groupId) => lifecycle.membershipEvent(ctx, groupId, [], [{ id, kind: 'User', display: undefined }], reason));
    return { events: [...own.events, ...left.flatMap((entries) => entries.events)], audit: [...own.audit, ...left.flatMap((entries) => entries.audit)] };
  }

  /** After a leaver's write, before its relay: the groups it left change version too. */
  async function afterChange(change: UserChange, written: ResourceRecord): Promise<void> {
    const left = change.transition.leaveGroups ? (change.before?.groupIds ?? []) : [];
    try {
      if (left.length > 0) await storage.memberships.touchGroups(change.ctx.tenant, left);
    } catch (error) {
      // The entries stay in the user's document: the sweep's relay bumps the groups before relaying them.
      lifecycle.log({ level: 'warn', msg: 'relay deferred', step: 'relay', userId: change.userId, error: String(error) });
      await lifecycle.afterUserChange(change);
      return;
    }
    await lifecycle.afterUserChange(change, written);
  }

  async function finishDelete(ctx: RequestContext, id: string): Promise<void> {
    await storage.users.remove(ctx.tenant, id);
  }

  /** Steps 1 and 2 of the pipeline for a new user, and the document step 3 writes. */
  async function planCreate(ctx: RequestContext, body: unknown, hash: ReturnType<typeof passwordHasher>): Promise<{ planned: UserChange; resource: NewResource }> {
    const { attributes, password } = parseResourceBody(USER_RESOURCE, body);
    const id = randomUUID();
    const planned = await lifecycle.planUserChange(ctx, 'create', id, undefined, attributes, 1);
    const { transition } = planned;
    const resource: NewResource = {
      tenant: ctx.tenant,
      id,
      attributes: transition.attributes ?? attributes,
      passwordHash: await hash(password),
      lifecycle: transition.lifecycle,
      pending: { events: transition.events, audit: [transition.audit] },
    };
    return { planned, resource };
  }

  /**
   * Steps 1–3 of the pipeline for an existing user, inside the versioned-write loop: a retry plans
   * again from the document it will actually replace. `propose` returns undefined for "no change".
   */
  async function change(ctx: RequestContext, operation: AuditOperation, id: string, expectedVersion: number | undefined, propose: (current: ResourceRecord) => Proposal | undefined, review?: ReviewRevocation): Promise<ResourceRecord> {
    const hash = passwordHasher();
    let planned: UserChange | undefined;
    const record = await writeWithVersion(storage.users, ctx.tenant, id, expectedVersion, async (current) => {
      planned = undefined;
      const proposal = propose(current);
      if (!proposal) return current;
      const next = await lifecycle.planUserChange(ctx, operation, id, current, proposal.attributes, current.version + 1, review);
      const { transition } = next;
      if (proposal.password === undefined && isUnchanged(current, transition)) return current;
      planned = next;
      const own = { events: transition.events, audit: [transition.audit] };
      return storage.users.replace(ctx.tenant, id, current.version, {
        attributes: transition.attributes ?? proposal.attributes,
        passwordHash: await hash(proposal.password),
        lifecycle: transition.lifecycle,
        pending: transition.leaveGroups ? withGroupsLeft(ctx, id, own, current.groupIds, 'deactivation') : own,
        groupIds: transition.leaveGroups ? [] : undefined,
        basis: current,
      });
    });
    if (planned) await afterChange(planned, record);
    return withoutPending(record);
  }

  return {
    async create(ctx, body) {
      const { planned, resource } = await planCreate(ctx, body, passwordHasher());
      const record = await storage.users.create(resource);
      await afterChange(planned, record);
      return { record: withoutPending(record), groups: [] };
    },

    async createMany(ctx, bodies) {
      const outcomes: (UserView | ScimError)[] = [];
      const plans: { index: number; planned: UserChange; resource: NewResource }[] = [];
      const hash = passwordHasher();
      for (const [index, body] of bodies.entries()) {
        try {
          plans.push({ index, ...(await planCreate(ctx, body, hash)) });
        } catch (error) {
          if (!(error instanceof ScimError)) throw error;
          outcomes[index] = error;
        }
      }
      const written = await storage.users.createMany(plans.map((plan) => plan.resource));
      // Concurrently, so that every relay joins one group commit.
      await Promise.all(
        plans.map(async ({ index, planned }, position) => {
          const record = written[position] as ResourceRecord | ScimError;
          if (record instanceof ScimError) {
            outcomes[index] = record;
            return;
          }
          await afterChange(planned, record);
          outcomes[index] = { record: withoutPending(record), groups: [] };
        }),
      );
      return outcomes;
    },

    async get(ctx, id) {
      const record = await storage.users.get(ctx.tenant, id);
      if (!record) throw new ScimError('notFound', `User ${id} not found`);
      return view(ctx.tenant, record);
    },

    async replace(ctx, id, body, expectedVersion) {
      const proposal = parseResourceBody(USER_RESOURCE, body);
      return view(ctx.tenant, await change(ctx, 'replace', id, expectedVersion, () => proposal));
    },

    async patch(ctx, id, body, expectedVersion) {
      const operations = parsePatchRequest(body);
      const record = await change(ctx, 'patch', id, expectedVersion, (current) => {
        const proposal = parseResourceBody(USER_RESOURCE, applyPatch(USER_RESOURCE, current.attributes, operations, { resourceId: id }));
        // A PATCH that changes nothing succeeds without a write, so the version stays (RFC 7644 §3.5.2).
        return proposal.password === undefined && isDeepStrictEqual(proposal.attributes, current.attributes) ? undefined : proposal;
      });
      return view(ctx.tenant, record);
    },

    async reevaluate(ctx, id, operation) {
      // The version of the document the last attempt planned from: unchanged when nothing was written.
      let seen: number | undefined;
      const record = await change(ctx, operation, id, undefined, (current) => {
        seen = current.version;
        return { attributes: current.attributes };
      });
      if (record.version !== seen) return true;
      // Nothing a client sees changed, so meta stays; only which policy confirmed the grants is noted.
      const fingerprint = lifecycle.policy.fingerprint;
      if (record.lifecycle && record.lifecycle.policyFingerprint !== fingerprint) await storage.users.notePolicyFingerprint(ctx.tenant, id, record.version, fingerprint);
      return false;
    },

    async revokeByReview(ctx, id, review) {
      let seen: number | undefined;
      const record = await change(
        ctx,
        'review',
        id,
        undefined,
        (current) => {
          seen = current.version;
          return { attributes: review.grant.source === 'direct' ? withoutDirectGrant(current.attributes, review.grant) : current.attributes };
        },
        review,
      );
      return record.version !== seen;
    },

    /**
     * One version-conditional write marks the user deleting with the tombstone, its events and its
     * groups' membership entries; a refused or conflicting delete writes (and so records) nothing.
     * Then the groups' version bumps and the relay, and the removal. Once marked, the user is gone
     * for every reader, so whatever fails after that is finished by the relay's sweep.
     */
    async delete(ctx, id, expectedVersion) {
      let planned: UserChange | undefined;
      const marked = await writeWithVersion(storage.users, ctx.tenant, id, expectedVersion, async (current) => {
        planned = await lifecycle.planUserChange(ctx, 'delete', id, current, undefined, current.version + 1);
        const own = { events: planned.transition.events, audit: [planned.transition.audit] };
        return storage.users.markDeleting(ctx.tenant, id, current.version, withGroupsLeft(ctx, id, own, current.groupIds, 'user deleted'));
      });
      try {
        await lifecycle.relayDeleting('User', marked);
        await finishDelete(ctx, id);
      } catch (error) {
        lifecycle.log({ level: 'warn', msg: 'delete left to the relay sweep', step: 'relay', userId: id, error: String(error) });
      }
      await lifecycle.afterUserChange(planned as UserChange);
    },

    finishDelete,

    async list(ctx, query) {
      const page = await storage.users.list(ctx.tenant, { ...query, budget: ctx.budget });
      return { ...page, items: await views(ctx.tenant, page.items) };
    },
  };
}

/** The attributes without the direct grant's value in `roles` (a role) or `entitlements` (a permission); an emptied list goes. */
function withoutDirectGrant(attributes: ResourceAttributes, grant: Grant): ResourceAttributes {
  const attribute = grant.kind === 'role' ? 'roles' : 'entitlements';
  const values = attributes[attribute];
  if (!valuesOf(values).includes(grant.name) || !Array.isArray(values)) return attributes;
  const kept = values.filter((item) => (item as { value?: unknown } | null)?.value !== grant.name);
  const { [attribute]: _removed, ...rest } = attributes;
  return kept.length > 0 ? { ...rest, [attribute]: kept } : rest;
}

/** The pending entries are the relay's business, not the caller's. */
function withoutPending({ pending: _pending, ...record }: ResourceRecord): ResourceRecord {
  return record;
}

/**
 * Nothing to store: same attributes, state, grants and permissions (e.g. a re-evaluation after a
 * policy edit that does not concern this user). Which policy last evaluated the user, and when, is
 * bookkeeping, not what a SCIM client sees change: writing only that would move `meta.version` and
 * `meta.lastModified` and make every pulling app re-read the user for nothing.
 */
function isUnchanged(current: ResourceRecord, transition: UserChange['transition']): boolean {
  const previous = current.lifecycle;
  const next = transition.lifecycle;
  return (
    isDeepStrictEqual(transition.attributes, current.attributes) &&
    previous !== undefined &&
    next !== undefined &&
    previous.state === next.state &&
    isDeepStrictEqual(previous.grants, next.grants) &&
    isDeepStrictEqual(previous.permissions, next.permissions) &&
    !transition.leaveGroups &&
    // Grants refused to an inactive user are written to the audit trail, so they are a change to record.
    transition.audit.refused === undefined &&
    // So are grants a separation-of-duties conflict blocks, and a conflict that arises or ends.
    transition.audit.blocked === undefined &&
    isDeepStrictEqual(previous.sod, next.sod)
  );
}
