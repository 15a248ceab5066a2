import type { CampaignService } from './campaigns.js';
import type { RequestContext } from './context.js';
import type { Lifecycle } from './lifecycle.js';
import type { ResourceKind, Storage } from '../store/contract.js';

/** Finishes a delete whose document is marked deleting and whose entries are relayed (UserService / GroupService.finishDelete). */
export type FinishDelete = (ctx: RequestContext, id: string) => Promise<void>;

/** Relays what documents written before `writtenBefore` still hold; returns how many documents it handled. */
export type Sweep = (writtenBefore: Date, limit?: number) => Promise<number>;

/**
 * The relay's sweep, for what a crash or a failed relay left behind: entries in documents are
 * relayed after their changes are completed (Lifecycle.relayLeftovers), deletes interrupted after
 * their mark are finished, and token changes' audit entries are relayed. Every step is idempotent,
 * so several processes may sweep the same database. It also does the campaigns' background work
 * (their entries, revocations left unfinished, closes at the due date, reminders).
 */
export function createSweep(storage: Storage, lifecycle: Lifecycle, finishDelete: Record<ResourceKind, FinishDelete>, campaigns: CampaignService): Sweep {
  return async (writtenBefore, limit = 100) => {
    let handled = 0;
    for (const kind of ['User', 'Group'] as const) {
      const store = kind === 'User' ? storage.users : storage.groups;
      for (const { tenant, id } of await store.withPending(limit, writtenBefore)) {
        const leftovers = await lifecycle.relayLeftovers(kind, tenant, id);
        if (leftovers?.deleting) await finishDelete[kind](leftovers.ctx, id);
        handled += 1;
      }
    }
    return handled + (await storage.credentials.relayAudit()) + (await campaigns.sweep(new Date()));
  };
}
