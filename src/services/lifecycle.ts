import { randomUUID } from 'node:crypto';
import type { Policy } from '../lifecycle/policy/types.js';
import type { AuditEntry, AuditOperation, EventType, LifecycleEvent } from '../lifecycle/types.js';
import { transitionUser, type ReviewRevocation, type UserTransition } from '../lifecycle/user-transition.js';
import type { ResourceAttributes } from '../scim/ingress.js';
import type { MemberRef, PendingEntries, ResourceKind, ResourceRecord, Storage } from '../store/contract.js';
import type { RequestContext } from './context.js';
import { createEntryWriter } from './entry-writer.js';

/**
 * The lifecycle pipeline. Every change to a user runs the same named steps:
 *
 *   1. evaluate     compute the transition (pure): the grants policy and IdP propose, separation
 *                   of duties (separation-of-duties.ts: what `block` conflicts withhold, which
 *                   `flag` conflicts arise), then state, events and the audit entry
 *   2. pre-persist  hooks that may veto by throwing a ScimError (nothing is written then)
 *   3. persist      one single-document write of attributes + lifecycle + pending entries
 *   4. post-persist relay pending entries to the audit trail and the event log (a group
 *                   commit with concurrent requests, entry-writer.ts), then hooks that
 *                   observe (their failures are logged, never undo the change)
 *
 * Steps 1–3 run inside the versioned-write loop, so a retried write re-evaluates from the
 * document it actually replaces: a grant can never be computed from a stale "active".
 *
 * A change that writes more than one document writes the one carrying its entries first and the
 * others before relaying them: a delete marks the document deleting (then relays, then removes it
 * and its memberships), a membership change bumps the group (then writes the members, then relays).
 * Whoever relays entries that a failure or crash left (relayLeftovers: the sweep, or the next
 * membership change of the group) first completes their change, which is idempotent. So an entry
 * reaches the audit trail or the event log only once its change is stored, and no change is
 * stored without its entries being durable first.
 */

export interface UserChange {
  ctx: RequestContext;
  operation: AuditOperation;
  userId: string;
  before: ResourceRecord | undefined;
  transition: UserTransition;
}

export interface PrePersistHook {
  name: string;
  run(change: UserChange): void | Promise<void>;
}

export interface PostPersistHook {
  name: string;
  run(change: UserChange): Promise<void>;
}

export interface LifecycleHooks {
  prePersist: PrePersistHook[];
  postPersist: PostPersistHook[];
}

export interface LifecycleOptions {
  storage: Storage;
  policy: Policy;
  /** The webhooks subscribed to an event. */
  webhooksFor: (event: LifecycleEvent) => string[];
  hooks?: Partial<LifecycleHooks>;
  log: (entry: Record<string, unknown>) => void;
  /** Called after events are stored, so a delivery worker can wake up. */
  onEvents?: () => void;
}

/** What relayLeftovers found: whether the document is marked deleting, and who deleted it. */
export interface Leftovers {
  deleting: boolean;
  /** The delete's actor and request (from its audit entry), for finishing it. */
  ctx: RequestContext;
}

export interface Lifecycle {
  readonly policy: Policy;
  /** Where the pipeline's steps report what they leave to the sweep. */
  readonly log: (entry: Record<string, unknown>) => void;
  /**
   * Steps 1 and 2 for a user change; `after` undefined means delete. `review`: the change carries
   * out an access review's revocation of that grant.
   */
  planUserChange(ctx: RequestContext, operation: AuditOperation, userId: string, before: ResourceRecord | undefined, after: ResourceAttributes | undefined, sequence: number, review?: ReviewRevocation): Promise<UserChange>;
  /**
   * Step 4; `written` is what the write returned, relayed (logged and left to the sweep if that
   * fails). A delete passes none: its entries were relayed before the document went.
   */
  afterUserChange(change: UserChange, written?: ResourceRecord): Promise<void>;
  /** Stores entries held by a document that is no resource (a campaign's); the caller clears them afterwards. Idempotent. */
  relayEntries(entries: PendingEntries): Promise<void>;
  /** Moves the pending entries a write returned to the audit trail and event log, and clears them. Idempotent. */
  relayWritten(kind: ResourceKind, written: ResourceRecord): Promise<void>;
  /**
   * Relays what the write marking a document deleting returned, after completing the membership
   * changes among the entries (the groups a user leaves are bumped, for instance). The document keeps
   * its entries (and so the sweep's attention) until it is removed.
   */
  relayDeleting(kind: ResourceKind, written: ResourceRecord): Promise<void>;
  /**
   * Relays what a document holds that no write handed over (a crash or a failed relay left it), after
   * completing the changes those entries record; null when it holds nothing.
   */
  relayLeftovers(kind: ResourceKind, tenant: string, id: string): Promise<Leftovers | null>;
  /** A group's audit entry, with its event when the change has one (`type` undefined: audit only). */
  groupEntries(ctx: RequestContext, operation: AuditOperation, type: EventType | undefined, groupId: string, data: Record<string, unknown>, before: Record<string, unknown> | null, after: Record<string, unknown> | null): PendingEntries;
  membershipEvent(ctx: RequestContext, groupId: string, added: readonly MemberRef[], removed: readonly MemberRef[], reason: string): PendingEntries;
}

function emptyEntries(): PendingEntries {
  return { events: [], audit: [] };
}

/** The member changes a membership audit entry records (see membershipEvent); undefined for any other entry. */
function membershipChangeOf(entry: AuditEntry): { added: MemberRef[]; removed: MemberRef[] } | undefined {
  if (entry.operation !== 'membership' || entry.resourceType !== 'Group' || !entry.after) return undefined;
  const refs = (list: unknown): MemberRef[] =>
    (Array.isArray(list) ? (list as { value: string; type: ResourceKind }[]) : []).map((member) => ({ id: member.value, kind: member.type, display: undefined }));
  return { added: refs(entry.after['added']), removed: refs(entry.after['removed']) };
}

export function createLifecycle({ storage, policy, webhooksFor, hooks = {}, log, onEvents }: LifecycleOptions): Lifecycle {
  const prePersist = hooks.prePersist ?? [];
  const postPersist = hooks.postPersist ?? [];
  const writer = createEntryWriter({ storage, webhooksFor, onEvents });

  async function groupsOf(tenant: string, groupIds: readonly string[]) {
    const groups = await storage.groups.getMany(tenant, groupIds);
    return groups.map((group) => ({ id: group.id, displayName: group.attributes['displayName'] as string | undefined }));
  }

  async function relayWritten(kind: ResourceKind, written: ResourceRecord): Promise<void> {
    if (!written.pending) return;
    await writer.write(written.pending, { kind, tenant: written.tenant, id: written.id, version: written.version });
  }

  /**
   * Completes the membership changes among a document's entries before they are relayed: in a
   * group's own document they were bumped before their members were written, so the members are
   * written (again: idempotent); in a member's document (a deactivated or deleted user, a deleted
   * group) the membership was that document's own write, so the group's version is bumped.
   */
  async function completeMemberships(kind: ResourceKind, tenant: string, id: string, entries: PendingEntries): Promise<void> {
    for (const entry of entries.audit) {
      const change = membershipChangeOf(entry);
      if (!change) continue;
      if (kind === 'Group' && entry.resourceId === id) await storage.memberships.apply(tenant, id, change.added, change.removed);
      else await storage.memberships.touchGroups(tenant, [entry.resourceId]);
    }
  }

  async function relayLeftovers(kind: ResourceKind, tenant: string, id: string): Promise<Leftovers | null> {
    const store = kind === 'User' ? storage.users : storage.groups;
    const taken = await store.takePending(tenant, id);
    if (!taken) return null;
    await completeMemberships(kind, tenant, id, taken.entries);
    await writer.write(taken.entries);
    if (!taken.deleting) await taken.clear();
    const tombstone = taken.entries.audit.find((entry) => entry.operation === 'delete' && entry.resourceId === id);
    const ctx = tombstone ? { tenant, actor: tombstone.actor, requestId: tombstone.requestId } : { tenant, actor: 'relay-sweep', requestId: 'relay-sweep' };
    return { deleting: taken.deleting, ctx };
  }

  function envelope(ctx: RequestContext, type: EventType, resourceType: ResourceKind, resourceId: string, data: Record<string, unknown>): LifecycleEvent {
    // Group events have no per-group version to order by; time orders them within the group's lock.
    return { id: randomUUID(), type, tenant: ctx.tenant, resourceType, resourceId, sequence: Date.now(), occurredAt: new Date(), actor: ctx.actor, requestId: ctx.requestId, data };
  }

  function audit(ctx: RequestContext, operation: AuditOperation, resourceId: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null, events: EventType[]): AuditEntry {
    return { id: randomUUID(), at: new Date(), tenant: ctx.tenant, actor: ctx.actor, requestId: ctx.requestId, operation, resourceType: 'Group', resourceId, before, after, grantsAdded: [], grantsRevoked: [], events };
  }

  return {
    policy,
    log,

    async planUserChange(ctx, operation, userId, before, after, sequence, review) {
      const groupIds = before?.groupIds ?? [];
      const snapshot = before ? { attributes: before.attributes, groupIds, lifecycle: before.lifecycle } : undefined;
      const groups = after ? await groupsOf(ctx.tenant, groupIds) : [];
      const now = new Date();
      // A new user has no exceptions yet, and a policy without rules grants nothing to withhold.
      const exceptions = after && before && policy.rules.length > 0 ? (await storage.policyExceptions.inForce(ctx.tenant, userId, now)).map((exception) => exception.role) : [];
      const transition = transitionUser({
        userId,
        policy,
        actor: { ...ctx, operation },
        now,
        before: snapshot,
        after: after ? { attributes: after, groups, exceptions } : undefined,
        sequence,
        review,
      });
      const change: UserChange = { ctx, operation, userId, before, transition };
      for (const hook of prePersist) await hook.run(change);
      return change;
    },

    async afterUserChange(change, written) {
      try {
        if (written) await relayWritten('User', written);
      } catch (error) {
        // The entries are durable in the user document; the sweep relays them later.
        log({ level: 'warn', msg: 'relay deferred', step: 'relay', userId: change.userId, error: String(error) });
      }
      for (const hook of postPersist) {
        try {
          await hook.run(change);
        } catch (error) {
          log({ level: 'error', msg: 'post-persist hook failed', hook: hook.name, userId: change.userId, error: String(error) });
        }
      }
    },

    relayEntries: (entries) => writer.write(entries),

    relayWritten,

    async relayDeleting(kind, written) {
      if (!written.pending) return;
      await completeMemberships(kind, written.tenant, written.id, written.pending);
      await writer.write(written.pending);
    },

    relayLeftovers,

    groupEntries(ctx, operation, type, groupId, data, before, after) {
      const events = type ? [envelope(ctx, type, 'Group', groupId, data)] : [];
      return { events, audit: [audit(ctx, operation, groupId, before, after, type ? [type] : [])] };
    },

    membershipEvent(ctx, groupId, added, removed, reason) {
      if (added.length === 0 && removed.length === 0) return emptyEntries();
      const ids = (members: readonly MemberRef[]) => members.map((member) => ({ value: member.id, type: member.kind }));
      const data = { added: ids(added), removed: ids(removed), reason };
      const event = envelope(ctx, 'group.members_changed', 'Group', groupId, data);
      return { events: [event], audit: [audit(ctx, 'membership', groupId, null, data, ['group.members_changed'])] };
    },
  };
}
