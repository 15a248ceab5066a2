import { randomUUID } from 'node:crypto';
import { ScimError } from '../errors/scim-error.js';
import type { Policy } from '../lifecycle/policy/types.js';
import type { AuditEntry, AuditOperation, LifecycleEvent } from '../lifecycle/types.js';
import type { CampaignItemRecord, CampaignRecord, PendingEntries, Storage } from '../store/contract.js';
import { itemsFor } from './campaign-items.js';
import { parseDecision, parseNewCampaign } from './campaign-input.js';
import type { RequestContext } from './context.js';
import type { Lifecycle } from './lifecycle.js';
import type { UserService } from './users.js';

/**
 * Access certification campaigns (docs/governance.md): draft → active → closed. Activation
 * snapshots the items; reviewers decide them one by one; the close (by an admin, or by the sweep at
 * the due date) decides what is left as the campaign says. A revocation is carried out through the
 * user's own lifecycle write (audited, announced as access.revoked_by_review); a revoked policy
 * grant first gets a policy exception so that evaluation does not grant it back.
 */
export interface CampaignService {
  create(ctx: RequestContext, body: unknown): Promise<CampaignRecord>;
  list(ctx: RequestContext): Promise<CampaignRecord[]>;
  get(ctx: RequestContext, id: string): Promise<CampaignRecord>;
  /** The campaign's items by userName, a batch at a time (404 first for an unknown campaign). */
  items(ctx: RequestContext, id: string): Promise<AsyncGenerator<CampaignItemRecord[]>>;
  activate(ctx: RequestContext, id: string): Promise<CampaignRecord>;
  close(ctx: RequestContext, id: string): Promise<CampaignRecord>;
  /** The items of active campaigns the reviewer may decide, with their campaigns. */
  reviews(ctx: RequestContext, reviewer: string): Promise<{ campaigns: CampaignRecord[]; items: CampaignItemRecord[] }>;
  decide(ctx: RequestContext, reviewer: string, itemId: string, body: unknown): Promise<CampaignItemRecord>;
  /** Throws invalidValue unless `userId` is a user of the tenant (a reviewer must be one). */
  requireReviewer(ctx: RequestContext, userId: string): Promise<void>;
  /**
   * The background part: relays what campaigns still hold, finishes revocations a crash left,
   * closes campaigns due at `now` and reminds reviewers. Returns how much it did.
   */
  sweep(now: Date): Promise<number>;
}

/** Reviewers with pending items are reminded at most this often (the first time a day after activation). */
export const REMINDER_INTERVAL_MS = 86_400_000;

const SWEEP_CTX = (tenant: string): RequestContext => ({ tenant, actor: 'campaign-sweep', requestId: `campaign-sweep:${randomUUID()}` });
/** Who decided an item the close decided. */
const BY_CLOSE = 'campaign';
/** Revocations read per query by the close (each is then a user's write). */
const CARRY_OUT_BATCH = 100;
/** Items read per query when a campaign's items are listed, reported or counted. */
const WALK_BATCH = 500;

function audit(ctx: RequestContext, operation: AuditOperation, campaign: CampaignRecord, before: Record<string, unknown> | null, after: Record<string, unknown>, events: LifecycleEvent[] = []): AuditEntry {
  return {
    id: randomUUID(),
    at: new Date(),
    tenant: ctx.tenant,
    actor: ctx.actor,
    requestId: ctx.requestId,
    operation,
    resourceType: 'Campaign',
    resourceId: campaign.id,
    before,
    after,
    grantsAdded: [],
    grantsRevoked: [],
    events: [...new Set(events.map((event) => event.type))],
  };
}

const summary = (campaign: CampaignRecord) => ({ name: campaign.name, state: campaign.state, dueAt: campaign.dueAt.toISOString(), undecided: campaign.undecided, ...(campaign.items !== undefined ? { items: campaign.items } : {}) });

export function createCampaignService(storage: Storage, policy: Policy, lifecycle: Lifecycle, users: UserService): CampaignService {
  const store = storage.campaigns;

  async function relay(campaign: CampaignRecord): Promise<void> {
    if (!campaign.pending) return;
    try {
      await lifecycle.relayEntries(campaign.pending);
      await store.clearPending(campaign.tenant, campaign.id, campaign.version);
    } catch (error) {
      lifecycle.log({ level: 'warn', msg: 'relay deferred', step: 'relay', campaignId: campaign.id, error: String(error) });
    }
  }

  async function require(ctx: RequestContext, id: string): Promise<CampaignRecord> {
    const campaign = await store.get(ctx.tenant, id);
    if (!campaign) throw new ScimError('notFound', `Campaign ${id} not found`);
    return campaign;
  }

  /** One state change, conditional on the version read; entries go with it and are relayed after. */
  async function transition(ctx: RequestContext, id: string, from: CampaignRecord['state'], change: (current: CampaignRecord) => Promise<Omit<CampaignRecord, 'version'>>): Promise<CampaignRecord> {
    const current = await require(ctx, id);
    if (current.state !== from) throw new ScimError('invalidState', `Campaign ${id} is ${current.state}: only a ${from} campaign can be ${from === 'draft' ? 'activated' : 'closed'}`);
    const written = await store.update({ ...(await change(current)), version: current.version + 1 }, current.version);
    if (written === 'conflict') throw new ScimError('invalidState', `Campaign ${id} changed meanwhile; read it again`);
    await relay(written);
    return written;
  }

  async function requireReviewer(ctx: RequestContext, userId: string): Promise<void> {
    if (!(await storage.users.get(ctx.tenant, userId))) throw new ScimError('invalidValue', `unknown reviewer: no user with id "${userId}"`);
  }

  /** The revocation itself: exception first (policy grant), then the user's write; both idempotent. */
  async function carryOut(ctx: RequestContext, item: CampaignItemRecord): Promise<void> {
    const { exceptionExpiresAt } = item;
    const reason = item.comment ?? 'revoked by access review';
    const data: Record<string, unknown> = { campaignId: item.campaignId, itemId: item.id, reviewer: item.decidedBy, comment: item.comment ?? null };
    if (item.grant.source === 'policy') {
      await storage.policyExceptions.put({
        tenant: item.tenant,
        userId: item.userId,
        role: item.grant.name,
        reason,
        expiresAt: exceptionExpiresAt,
        createdBy: item.decidedBy ?? BY_CLOSE,
        createdAt: item.decidedAt ?? new Date(),
        campaignId: item.campaignId,
        itemId: item.id,
      });
      data['exception'] = { role: item.grant.name, expiresAt: exceptionExpiresAt?.toISOString() ?? null };
    }
    try {
      await users.revokeByReview(ctx, item.userId, { grant: item.grant, data });
    } catch (error) {
      // A user deleted since the snapshot has nothing left to revoke.
      if (!(error instanceof ScimError && error.code === 'notFound')) throw error;
    }
    await store.markApplied(item.tenant, item.id);
  }

  async function close(ctx: RequestContext, id: string): Promise<CampaignRecord> {
    const campaign = await require(ctx, id);
    if (campaign.state !== 'active') throw new ScimError('invalidState', `Campaign ${id} is ${campaign.state}: only an active campaign can be closed`);
    // Undecided items are decided first (a page per write, each conditional on the item being undecided), so a reviewer's decision and the close's never both land.
    const comment = `undecided at the close: the campaign's setting is "${campaign.undecided}"`;
    const decided = await store.decideUndecided(ctx.tenant, id, { decision: campaign.undecided, decidedBy: BY_CLOSE, decidedAt: new Date(), comment });
    const counts = { kept: campaign.undecided === 'keep' ? decided : 0, revoked: campaign.undecided === 'revoke' ? decided : 0 };
    // Then every revocation of the campaign not carried out yet: these, and any a crash left.
    for (let batch = await store.unapplied(CARRY_OUT_BATCH, { tenant: ctx.tenant, id }); batch.length > 0; batch = await store.unapplied(CARRY_OUT_BATCH, { tenant: ctx.tenant, id })) {
      for (const item of batch) await carryOut(ctx, item);
    }
    return transition(ctx, id, 'active', async (current) => {
      const next = { ...current, state: 'closed' as const, closedAt: new Date() };
      return { ...next, pending: { events: [], audit: [audit(ctx, 'close', current, summary(current), { ...summary(next), undecidedKept: counts.kept, undecidedRevoked: counts.revoked })] } };
    });
  }

  async function reminders(campaign: CampaignRecord, ctx: RequestContext, now: Date): Promise<LifecycleEvent[]> {
    const pending = new Map<string, number>();
    for await (const items of store.walkItems(campaign.tenant, campaign.id, WALK_BATCH)) {
      for (const item of items) if (!item.decision) for (const reviewer of item.reviewers) pending.set(reviewer, (pending.get(reviewer) ?? 0) + 1);
    }
    // The subject is the reviewer; like group events, time orders them (a reviewer's versions do not).
    return [...pending].map(([reviewer, count]) => ({
      id: `${campaign.id}:${campaign.version + 1}:${reviewer}:campaign.reminder`,
      type: 'campaign.reminder',
      tenant: campaign.tenant,
      resourceType: 'User',
      resourceId: reviewer,
      sequence: now.getTime(),
      occurredAt: now,
      actor: ctx.actor,
      requestId: ctx.requestId,
      data: { campaignId: campaign.id, campaignName: campaign.name, pendingItems: count, dueAt: campaign.dueAt.toISOString() },
    }));
  }

  async function remind(campaign: CampaignRecord, now: Date): Promise<number> {
    const since = campaign.remindedAt ?? campaign.activatedAt ?? campaign.createdAt;
    if (now.getTime() - since.getTime() < REMINDER_INTERVAL_MS) return 0;
    const ctx = SWEEP_CTX(campaign.tenant);
    const events = await reminders(campaign, ctx, now);
    const pending: PendingEntries = { events, audit: events.length > 0 ? [audit(ctx, 'review', campaign, null, { reminded: events.map((event) => event.resourceId) }, events)] : [] };
    const written = await store.update({ ...campaign, remindedAt: now, version: campaign.version + 1, pending }, campaign.version);
    if (written !== 'conflict') await relay(written);
    return events.length;
  }

  return {
    async create(ctx, body) {
      const now = new Date();
      const input = parseNewCampaign(body, policy, now);
      if (input.scope.kind === 'group' && !(await storage.groups.get(ctx.tenant, input.scope.groupId))) {
        throw new ScimError('invalidValue', `"scope.groupId": no group with id "${input.scope.groupId}"`);
      }
      for (const reviewer of input.reviewers.kind === 'named' ? input.reviewers.users : input.reviewers.fallback) await requireReviewer(ctx, reviewer);
      const campaign: CampaignRecord = { id: randomUUID(), tenant: ctx.tenant, ...input, state: 'draft', version: 1, createdAt: now, createdBy: ctx.actor };
      const written = { ...campaign, pending: { events: [], audit: [audit(ctx, 'create', campaign, null, { ...summary(campaign), scope: campaign.scope, reviewers: campaign.reviewers })] } };
      await store.create(written);
      await relay(written);
      return campaign;
    },

    list: (ctx) => store.list(ctx.tenant),
    get: require,

    async items(ctx, id) {
      await require(ctx, id);
      return store.walkItems(ctx.tenant, id, WALK_BATCH);
    },

    async activate(ctx, id) {
      return transition(ctx, id, 'draft', async (current) => {
        // Written a page of users at a time: a campaign over the whole directory is never held in memory.
        await store.clearItems(ctx.tenant, id);
        let count = 0;
        for await (const batch of storage.users.walk(ctx.tenant, 200)) {
          const items = batch.flatMap((record) => itemsFor(current, record));
          await store.addItems(items);
          count += items.length;
        }
        const next = { ...current, state: 'active' as const, activatedAt: new Date(), items: count };
        return { ...next, pending: { events: [], audit: [audit(ctx, 'activate', current, summary(current), summary(next))] } };
      });
    },

    close,

    async reviews(ctx, reviewer) {
      const campaigns = (await store.list(ctx.tenant)).filter((campaign) => campaign.state === 'active');
      return { campaigns, items: await store.itemsOf(ctx.tenant, reviewer, campaigns.map((campaign) => campaign.id)) };
    },

    async decide(ctx, reviewer, itemId, body) {
      const input = parseDecision(body, new Date());
      const item = await store.getItem(ctx.tenant, itemId);
      // Another reviewer's item is no business of this one: it does not exist for them.
      if (!item || !item.reviewers.includes(reviewer)) throw new ScimError('notFound', `Review item ${itemId} not found`);
      const campaign = await require(ctx, item.campaignId);
      if (campaign.state !== 'active') throw new ScimError('invalidState', `Campaign ${campaign.id} is ${campaign.state}: its items can no longer be decided`);
      if (input.exceptionExpiresAt && item.grant.source !== 'policy') throw new ScimError('invalidValue', '"exceptionExpiresAt" applies to a policy grant only');
      const decided = await store.decide(ctx.tenant, itemId, { decision: input.decision, decidedBy: reviewer, decidedAt: new Date(), comment: input.comment, exceptionExpiresAt: input.exceptionExpiresAt });
      if (!decided) throw new ScimError('invalidState', `Review item ${itemId} is decided already`);
      if (decided.decision === 'revoke') await carryOut(ctx, decided);
      return { ...decided, unapplied: undefined };
    },

    requireReviewer,

    async sweep(now) {
      let done = 0;
      for (const campaign of await store.withPending()) {
        await relay(campaign);
        done += 1;
      }
      for (const item of await store.unapplied(100)) {
        await carryOut(SWEEP_CTX(item.tenant), item);
        done += 1;
      }
      for (const campaign of await store.active()) {
        if (campaign.dueAt.getTime() <= now.getTime()) {
          await close(SWEEP_CTX(campaign.tenant), campaign.id).catch((error: unknown) => {
            if (!(error instanceof ScimError && error.code === 'invalidState')) throw error;
          });
          done += 1;
        } else done += await remind(campaign, now);
      }
      return done;
    },
  };
}
