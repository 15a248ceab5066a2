import express, { Router } from 'express';
import { issueReviewerToken } from '../../auth/token-admin.js';
import { ScimError } from '../../errors/scim-error.js';
import type { CampaignService } from '../../services/campaigns.js';
import { campaignReportCsv } from '../../services/campaign-report.js';
import type { CampaignItemRecord, CampaignRecord, CredentialStore } from '../../store/contract.js';
import { principalOf } from '../middleware/authenticate.js';
import { bodyErrorToScim } from '../middleware/json-body.js';
import { contextOf } from '../middleware/request-context.js';
import { sendStreamed } from '../streamed-response.js';
import { duration, run } from './admin-tokens.js';

export function campaignView(campaign: CampaignRecord): Record<string, unknown> {
  return {
    id: campaign.id,
    name: campaign.name,
    state: campaign.state,
    scope: campaign.scope,
    reviewers: campaign.reviewers,
    dueAt: campaign.dueAt.toISOString(),
    undecided: campaign.undecided,
    createdAt: campaign.createdAt.toISOString(),
    createdBy: campaign.createdBy,
    activatedAt: campaign.activatedAt?.toISOString() ?? null,
    closedAt: campaign.closedAt?.toISOString() ?? null,
    items: campaign.items ?? null,
    remindedAt: campaign.remindedAt?.toISOString() ?? null,
  };
}

export function itemView(item: CampaignItemRecord): Record<string, unknown> {
  return {
    id: item.id,
    campaignId: item.campaignId,
    userId: item.userId,
    userName: item.userName,
    grant: { kind: item.grant.kind, name: item.grant.name, source: item.grant.source },
    reviewers: item.reviewers,
    decision: item.decision ?? null,
    decidedBy: item.decidedBy ?? null,
    comment: item.comment ?? null,
    decidedAt: item.decidedAt?.toISOString() ?? null,
    exceptionExpiresAt: item.exceptionExpiresAt?.toISOString() ?? null,
  };
}

/** The campaign as JSON with its items as `itemList`, written as the items are read (a campaign may hold one per grant of the directory). */
async function* withItemList(view: Record<string, unknown>, items: AsyncIterable<readonly CampaignItemRecord[]>): AsyncGenerator<string> {
  yield `${JSON.stringify(view).slice(0, -1)},"itemList":[`;
  let first = true;
  for await (const batch of items) {
    for (const item of batch) {
      yield `${first ? '' : ','}${JSON.stringify(itemView(item))}`;
      first = false;
    }
  }
  yield ']}';
}

/**
 * Access certification campaigns of the caller's tenant (campaigns:manage; docs/governance.md):
 * POST / creates a draft; GET / lists; GET /:id adds its items; POST /:id/activate snapshots the
 * items; POST /:id/close decides what is left as the campaign says; GET /:id/report is the CSV.
 * POST /reviewer-tokens {reviewer, expiresIn?} mints (or, for a reviewer who has one, rotates) the
 * reviewer's personal campaigns:review credential. That is the one credential a campaigns:manage
 * holder may mint without holding its scope: it can do nothing but decide that reviewer's items
 * of campaigns the manager opened (docs/security.md).
 */
export function campaignRoutes(campaigns: CampaignService, credentials: CredentialStore): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(express.json({ limit: 16_384 }), bodyErrorToScim);

  router.get('/', async (_req, res) => {
    res.json({ campaigns: (await campaigns.list(contextOf(res))).map(campaignView) });
  });

  router.post('/', async (req, res) => {
    const campaign = await campaigns.create(contextOf(res), req.body);
    res.status(201).location(`/admin/campaigns/${campaign.id}`).json(campaignView(campaign));
  });

  router.post('/reviewer-tokens', async (req, res) => {
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ScimError('invalidSyntax', 'The body must be a JSON object');
    const reviewer = (body as Record<string, unknown>)['reviewer'];
    if (typeof reviewer !== 'string' || reviewer === '') throw new ScimError('invalidValue', '"reviewer" must be the id of a user');
    const ctx = contextOf(res);
    await campaigns.requireReviewer(ctx, reviewer);
    const principal = principalOf(res);
    const lifetimeMs = await run(async () => duration(body as Record<string, unknown>, 'expiresIn'));
    const issued = await run(() => issueReviewerToken(credentials, { tenant: principal.tenant, reviewer, lifetimeMs, grantorExpiresAt: principal.expiresAt }, ctx));
    res.status(201).json({ ...issued.info, token: issued.token });
  });

  router.get('/:id', async (req, res) => {
    const ctx = contextOf(res);
    const id = String(req.params['id']);
    const campaign = await campaigns.get(ctx, id);
    await sendStreamed(res, 200, 'application/json; charset=utf-8', withItemList(campaignView(campaign), await campaigns.items(ctx, id)));
  });

  router.post('/:id/activate', async (req, res) => {
    res.json(campaignView(await campaigns.activate(contextOf(res), String(req.params['id']))));
  });

  router.post('/:id/close', async (req, res) => {
    res.json(campaignView(await campaigns.close(contextOf(res), String(req.params['id']))));
  });

  router.get('/:id/report', async (req, res) => {
    const ctx = contextOf(res);
    const id = String(req.params['id']);
    const campaign = await campaigns.get(ctx, id);
    await sendStreamed(res, 200, 'text/csv; charset=utf-8', campaignReportCsv(campaign, await campaigns.items(ctx, id)), { 'Content-Disposition': `attachment; filename="campaign-${campaign.id}.csv"` });
  });

  return router;
}

/**
 * A reviewer's own items (campaigns:review, a credential bound to a reviewer): GET / lists the
 * items of active campaigns it may decide; POST /:itemId {decision: keep|revoke, comment,
 * exceptionExpiresAt?} decides one. Any other item is 404, whoever's it is.
 */
export function reviewRoutes(campaigns: CampaignService): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  const reviewerOf = (reviewer: string | undefined): string => {
    if (reviewer === undefined) throw new ScimError('forbidden', 'This credential is not bound to a reviewer (mint one with POST /admin/campaigns/reviewer-tokens)');
    return reviewer;
  };
  router.use(express.json({ limit: 4096 }), bodyErrorToScim);

  router.get('/', async (_req, res) => {
    const reviewer = reviewerOf(principalOf(res).reviewer);
    const { campaigns: active, items } = await campaigns.reviews(contextOf(res), reviewer);
    const byId = new Map(active.map((campaign) => [campaign.id, campaign]));
    res.json({
      reviewer,
      items: items.map((item) => ({ ...itemView(item), campaignName: byId.get(item.campaignId)?.name ?? null, dueAt: byId.get(item.campaignId)?.dueAt.toISOString() ?? null })),
    });
  });

  router.post('/:itemId', async (req, res) => {
    const reviewer = reviewerOf(principalOf(res).reviewer);
    res.json(itemView(await campaigns.decide(contextOf(res), reviewer, String(req.params['itemId']), req.body)));
  });

  return router;
}
