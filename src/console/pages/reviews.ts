import { ScimError } from '../../errors/scim-error.js';
import type { CampaignItemRecord } from '../../store/contract.js';
import { badge, csrfField, dateTime, table } from '../components.js';
import { html } from '../html.js';
import { ConsolePageError, type ActionResult, type ConsolePage, type PageContext } from '../page.js';

/** The session's reviewer: only a reviewer credential (POST /admin/campaigns/reviewer-tokens) has one. */
function reviewerOf(ctx: PageContext): string {
  const { reviewer } = ctx.session;
  if (reviewer === undefined) throw new ConsolePageError(403, 'Not a reviewer', 'This credential is not bound to a reviewer: ask a campaign administrator for your personal reviewer credential.');
  return reviewer;
}

/** Who acts, for the campaign service (audit entries name the session's credential). */
export const requestContext = (ctx: PageContext) => ({ tenant: ctx.session.tenant, actor: ctx.session.credential, requestId: ctx.requestId });

/** Runs a campaign service call for an action; its refusals (ScimErrors of the client's making) are told to the person. */
export async function asAction(work: () => Promise<ActionResult>): Promise<ActionResult> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ScimError) || ![400, 403, 404, 409].includes(error.status)) throw error;
    return { error: error.message, status: error.status as 400 | 403 | 404 | 409 };
  }
}

/** Keep or revoke, with a comment (required to revoke), posted with the session's CSRF token. */
function decisionForm(ctx: PageContext, item: CampaignItemRecord): ReturnType<typeof html> {
  const field = `comment-${item.id}`;
  const what = `${item.grant.name} of ${item.userName}`;
  return html`<form class="inline" method="post" action="${ctx.href('/reviews/decide')}">${csrfField(ctx)}<input type="hidden" name="itemId" value="${item.id}">
<label class="hint" for="${field}">Comment on ${what}</label> <input id="${field}" name="comment" type="text" autocomplete="off">
<button type="submit" name="decision" value="keep" class="secondary">Keep ${what}</button> <button type="submit" name="decision" value="revoke" class="danger">Revoke ${what}</button></form>`;
}

function decided(item: CampaignItemRecord): ReturnType<typeof html> {
  return html`${badge(item.decision === 'keep' ? 'kept' : 'revoked', item.decision === 'keep' ? 'ok' : 'bad')}${item.comment ? html` ${item.comment}` : ''}`;
}

/**
 * A reviewer's items of active access certification campaigns (docs/governance.md): the same data
 * and rules as GET/POST /admin/reviews. The only page a campaigns:review credential opens.
 */
export const reviewsPage: ConsolePage = {
  path: '/reviews',
  title: 'Access reviews',
  nav: 'Reviews',
  scope: 'campaigns:review',
  async render(ctx) {
    const { campaigns, items } = await ctx.deps.services.campaigns.reviews(requestContext(ctx), reviewerOf(ctx));
    const byId = new Map(campaigns.map((campaign) => [campaign.id, campaign]));
    const pending = items.filter((item) => !item.decision).length;
    return html`<p>Confirm that each person still needs each grant. Revoking takes it away at once (a role granted by policy is withheld from then on) and needs a comment.</p>
<p role="status">${pending} of ${items.length} items wait for your decision.</p>
${table(
  'Your review items',
  [
    { header: 'Campaign', cell: (item: CampaignItemRecord) => byId.get(item.campaignId)?.name ?? '' },
    { header: 'Due', cell: (item) => dateTime(byId.get(item.campaignId)?.dueAt) },
    { header: 'User', cell: (item) => item.userName },
    { header: 'Grant', cell: (item) => `${item.grant.kind} ${item.grant.name}` },
    { header: 'Source', cell: (item) => item.grant.source },
    { header: 'Decision', cell: (item) => (item.decision ? decided(item) : decisionForm(ctx, item)) },
  ],
  items,
  'No items to review',
)}`;
  },
  actions: {
    decide: {
      scope: 'campaigns:review',
      handle: (ctx, form) =>
        asAction(async () => {
          const comment = form['comment']?.trim() ?? '';
          const body = { decision: form['decision'], ...(comment !== '' ? { comment } : {}) };
          const item = await ctx.deps.services.campaigns.decide(requestContext(ctx), reviewerOf(ctx), form['itemId'] ?? '', body);
          return { notice: `${item.decision === 'keep' ? 'Kept' : 'Revoked'}: ${item.grant.name} of ${item.userName}.` };
        }),
    },
  },
};
