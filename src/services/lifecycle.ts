import { randomUUID } from 'node:crypto';
import type { Policy } from '../lifecycle/policy/types.js';
import type { AuditEntry, AuditOperation, EventType, LifecycleEvent } from '../lifecycle/types.js';
import { transitionUser, type UserTransition } from '../lifecycle/user-transition.js';
import type { ResourceAttributes } from '../scim/ingress.js';
import type { MemberRef, PendingEntries, ResourceKind, ResourceRecord, Storage } from '../store/contract.js';
import type { RequestContext } from './context.js';
import { createEntryWriter } from './entry-writer.js';

/**
 * The lifecycle pipeline. Every change to a user runs the same named steps:
 *
 *   1. evaluate     compute the transition: state, grants, events, audit entry (pure)
 *   2. pre-persist  hooks that may veto by throwing a ScimError (nothing is written then)
 *   3. persist      one single-document write of attributes + lifecycle + pending entries
 *   4. post-persist relay pending entries to the audit trail and the event log (a group
 *                   commit with concurrent requests, entry-writer.ts), then hooks that
 *                   observe (their failures are logged, never undo the change)
 *
 * Steps 1–3 run inside the versioned-write loop, so a retried write re-evaluates from the
 * document it actually replaces: a grant can never be computed from a stale "active".
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

export interface Lifecycle {
  readonly policy: Policy;
  /** Steps 1 and 2 for a user change; `after` undefined means delete. */
  planUserChange(ctx: RequestContext, operation: AuditOperation, userId: string, before: ResourceRecord | undefined, after: ResourceAttributes | undefined, sequence: number): Promise<UserChange>;
  /** Step 4; `written` is what the write returned (undefined for a delete, whose entries were recorded). */
  afterUserChange(change: UserChange, written?: ResourceRecord): Promise<void>;
  /** Stores entries at once: for deletes, whose document (and so its pending list) goes away. */
  recordNow(entries: PendingEntries): Promise<void>;
  /** Moves the pending entries a create or replace returned to the audit trail and event log. Idempotent. */
  relayWritten(kind: ResourceKind, written: ResourceRecord): Promise<void>;
  /** Relays what a crash left pending in documents written before `writtenBefore`; returns how many documents it handled. */
  sweep(writtenBefore: Date, limit?: number): Promise<number>;
  /** A group's audit entry, with its event when the change has one (`type` undefined: audit only). */
  groupEntries(ctx: RequestContext, operation: AuditOperation, type: EventType | undefined, groupId: string, data: Record<string, unknown>, before: Record<string, unknown> | null, after: Record<string, unknown> | null): PendingEntries;
  membershipEvent(ctx: RequestContext, groupId: string, added: readonly MemberRef[], removed: readonly MemberRef[], reason: string): PendingEntries;
}

function emptyEntries(): PendingEntries {
  return { events: [], audit: [] };
}

export function createLifecycle({ storage, policy, webhooksFor, hooks = {}, log, onEvents }: LifecycleOptions): Lifecycle {
  const prePersist = hooks.prePersist ?? [];
  const postPersist = hooks.postPersist ?? [];
  const writer = createEntryWriter({ storage, webhooksFor, onEvents });

  async function groupsOf(tenant: string, groupIds: readonly string[]) {
    const groups = await storage.groups.getMany(tenant, groupIds);
    return groups.map((group) => ({ id: group.id, displayName: group.attributes['displayName'] as string | undefined }));
  }

  const recordNow = (entries: PendingEntries): Promise<void> => writer.write(entries);

  async function relayWritten(kind: ResourceKind, written: ResourceRecord): Promise<void> {
    if (!written.pending) return;
    await writer.write(written.pending, { kind, tenant: written.tenant, id: written.id, version: written.version });
  }

  /** The sweep's relay: reads what a document holds, since no write handed it over. */
  async function relayLeftovers(kind: ResourceKind, tenant: string, id: string): Promise<void> {
    const store = kind === 'User' ? storage.users : storage.groups;
    const taken = await store.takePending(tenant, id);
    if (!taken) return;
    await writer.write(taken.entries);
    await taken.clear();
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

    async planUserChange(ctx, operation, userId, before, after, sequence) {
      const groupIds = before?.groupIds ?? [];
      const snapshot = before ? { attributes: before.attributes, groupIds, lifecycle: before.lifecycle } : undefined;
      const groups = after ? await groupsOf(ctx.tenant, groupIds) : [];
      const transition = transitionUser({
        userId,
        policy,
        actor: { ...ctx, operation },
        now: new Date(),
        before: snapshot,
        after: after ? { attributes: after, groups } : undefined,
        sequence,
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

    recordNow,
    relayWritten,

    async sweep(writtenBefore, limit = 100) {
      let handled = 0;
      for (const kind of ['User', 'Group'] as const) {
        const store = kind === 'User' ? storage.users : storage.groups;
        for (const { tenant, id } of await store.withPending(limit, writtenBefore)) {
          await relayLeftovers(kind, tenant, id);
          handled += 1;
        }
      }
      return handled;
    },

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
