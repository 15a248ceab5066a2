import { issueReviewerToken } from '../../auth/token-admin.js';
import { campaignReportCsv } from '../../services/campaign-report.js';
import type { CampaignRecord } from '../../store/contract.js';
import { actionButton, badge, csrfField, dateTime, table, textField } from '../components.js';
import { html, type Html } from '../html.js';
import type { ConsolePage, FormFields, PageContext } from '../page.js';
import { asAction, requestContext } from './reviews.js';
import { optionalDuration, shownOnce, tokenAction } from './tokens.js';

function scopeText(campaign: CampaignRecord): string {
  const { scope } = campaign;
  if (scope.kind === 'all') return 'all users';
  if (scope.kind === 'role') return `role ${scope.role}`;
  if (scope.kind === 'group') return `group ${scope.groupId}`;
  return `department ${scope.department}`;
}

function reviewersText(campaign: CampaignRecord): string {
  const { reviewers } = campaign;
  if (reviewers.kind === 'named') return `named: ${reviewers.users.join(', ')}`;
  return reviewers.fallback.length > 0 ? `managers (else ${reviewers.fallback.join(', ')})` : 'managers';
}

const stateBadge = (state: CampaignRecord['state']) => badge(state, state === 'active' ? 'ok' : 'plain');

function select(name: string, label: string, options: readonly [string, string][]): Html {
  return html`<div><label for="field-${name}">${label}</label> <select id="field-${name}" name="${name}">${options.map(([value, text]) => html`<option value="${value}">${text}</option>`)}</select></div>`;
}

function actionsOf(ctx: PageContext, campaign: CampaignRecord): Html {
  const report = html`<a href="${ctx.href(`/campaigns/download/csv?campaign=${encodeURIComponent(campaign.id)}`)}">Report of ${campaign.name} (CSV)</a>`;
  if (campaign.state === 'draft') return html`${actionButton(ctx, ctx.href('/campaigns/activate'), `Activate ${campaign.name}`, { id: campaign.id }, 'primary')} ${report}`;
  if (campaign.state === 'active') return html`${actionButton(ctx, ctx.href('/campaigns/close'), `Close ${campaign.name}`, { id: campaign.id }, 'danger')} ${report}`;
  return report;
}

/** The create form's fields as the API's body (POST /admin/campaigns): the service checks them. */
function newCampaign(form: FormFields): Record<string, unknown> {
  const value = form['scopeValue']?.trim() ?? '';
  const key = ({ role: 'role', group: 'groupId', department: 'department' } as Record<string, string>)[form['scopeKind'] ?? ''];
  const ids = (form['reviewerIds'] ?? '').split(/[\s,]+/).filter((id) => id !== '');
  return {
    name: form['name']?.trim() ?? '',
    scope: { kind: form['scopeKind'], ...(key ? { [key]: value } : {}) },
    reviewers: form['reviewerKind'] === 'named' ? { kind: 'named', users: ids } : { kind: 'manager', fallback: ids },
    dueAt: form['dueAt']?.trim() ?? '',
    undecided: form['undecided'],
  };
}

/**
 * Access certification campaigns of the tenant (docs/governance.md): the same service and rules
 * as /admin/campaigns. Opens, activates and closes them and downloads their reports; reviewers
 * decide on the Reviews page.
 */
export const campaignsPage: ConsolePage = {
  path: '/campaigns',
  title: 'Campaigns',
  nav: 'Campaigns',
  scope: 'campaigns:manage',
  async render(ctx) {
    const campaigns = await ctx.deps.services.campaigns.list(requestContext(ctx));
    return html`<p>Access certification campaigns of tenant <strong>${ctx.session.tenant}</strong>: activation snapshots one item per grant of each user in scope; reviewers keep or revoke them; the close (or the due date) decides what is left.</p>
${table(
  'Campaigns, newest first',
  [
    { header: 'Name', cell: (campaign: CampaignRecord) => html`<strong>${campaign.name}</strong>` },
    { header: 'State', cell: (campaign) => stateBadge(campaign.state) },
    { header: 'Scope', cell: (campaign) => scopeText(campaign) },
    { header: 'Reviewers', cell: (campaign) => reviewersText(campaign) },
    { header: 'Due', cell: (campaign) => dateTime(campaign.dueAt) },
    { header: 'Undecided', cell: (campaign) => campaign.undecided },
    { header: 'Items', cell: (campaign) => (campaign.items === undefined ? '—' : String(campaign.items)) },
    { header: 'Actions', cell: (campaign) => actionsOf(ctx, campaign) },
  ],
  campaigns,
  'No campaigns yet',
)}
<h2 id="open">Open a campaign</h2>
<form class="stacked" method="post" action="${ctx.href('/campaigns/create')}" aria-labelledby="open">${csrfField(ctx)}
${textField('name', 'Name', { required: true })}
${select('scopeKind', 'Whose access', [['all', 'All users'], ['role', 'Holders of a role'], ['group', 'Members of a group'], ['department', 'A department']])}
${textField('scopeValue', 'Role, group id or department', { hint: 'empty for all users' })}
${select('reviewerKind', 'Reviewers', [['manager', "Each user's manager"], ['named', 'Named reviewers']])}
${textField('reviewerIds', 'Reviewer user ids', { hint: 'separated by commas: the named reviewers, or who reviews users without a manager' })}
${textField('dueAt', 'Due', { required: true, hint: 'e.g. 2027-01-31T17:00:00Z' })}
${select('undecided', 'Undecided items at the close', [['keep', 'keep'], ['revoke', 'revoke']])}
<div><button type="submit">Open campaign</button></div></form>
<h2 id="reviewer-credential">Issue a reviewer's credential</h2>
<p>A reviewer signs in here with a personal credential that opens only the Reviews page and decides only their own items. It is shown once; issuing another for the same reviewer replaces it at once.</p>
<form class="stacked" method="post" action="${ctx.href('/campaigns/reviewer-token')}" aria-labelledby="reviewer-credential">${csrfField(ctx)}
${textField('reviewer', 'Reviewer user id', { required: true })}
${textField('expiresIn', 'Expires in', { hint: 'e.g. 30d or 12h; empty: a new credential lives as long as yours (or for good), a replaced one as long as it did' })}
<div><button type="submit">Issue credential</button></div></form>`;
  },
  actions: {
    create: {
      scope: 'campaigns:manage',
      handle: (ctx, form) =>
        asAction(async () => {
          const campaign = await ctx.deps.services.campaigns.create(requestContext(ctx), newCampaign(form));
          return { notice: `Campaign "${campaign.name}" opened as a draft: activate it to snapshot its items.` };
        }),
    },
    activate: {
      scope: 'campaigns:manage',
      handle: (ctx, form) =>
        asAction(async () => {
          const campaign = await ctx.deps.services.campaigns.activate(requestContext(ctx), form['id'] ?? '');
          return { notice: `Campaign "${campaign.name}" is active: ${campaign.items ?? 0} items to review.` };
        }),
    },
    'reviewer-token': {
      scope: 'campaigns:manage',
      handle: (ctx, form) =>
        asAction(() =>
          tokenAction(async () => {
            const reviewer = form['reviewer']?.trim() ?? '';
            if (reviewer === '') return { error: 'Reviewer user id: the id of the user who reviews is required', status: 400 };
            const requestCtx = requestContext(ctx);
            await ctx.deps.services.campaigns.requireReviewer(requestCtx, reviewer);
            const lifetimeMs = optionalDuration(form, 'expiresIn', 'Expires in');
            const issued = await issueReviewerToken(ctx.deps.storage.credentials, { tenant: ctx.session.tenant, reviewer, lifetimeMs, grantorExpiresAt: ctx.session.credentialExpiresAt }, requestCtx);
            return shownOnce(ctx, 'issued', issued, { path: '/campaigns', text: 'Back to the campaigns' });
          }),
        ),
    },
    close: {
      scope: 'campaigns:manage',
      handle: (ctx, form) =>
        asAction(async () => {
          const campaign = await ctx.deps.services.campaigns.close(requestContext(ctx), form['id'] ?? '');
          return { notice: `Campaign "${campaign.name}" is closed; undecided items were ${campaign.undecided === 'keep' ? 'kept' : 'revoked'}.` };
        }),
    },
  },
  downloads: {
    async csv(ctx) {
      // An unknown campaign is the service's 404, shown as an error page.
      const id = ctx.query.get('campaign') ?? '';
      const service = ctx.deps.services.campaigns;
      const campaign = await service.get(requestContext(ctx), id);
      return { filename: `campaign-${campaign.id}.csv`, contentType: 'text/csv; charset=utf-8', body: campaignReportCsv(campaign, await service.items(requestContext(ctx), id)) };
    },
  },
};
