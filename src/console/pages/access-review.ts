import { accessReviewCsv } from '../../services/access-review.js';
import { dateTime, figures, table } from '../components.js';
import { html } from '../html.js';
import type { ConsolePage } from '../page.js';
import type { ResourceRecord } from '../../store/contract.js';
import { stateBadge } from './users.js';
import { directoryOf, pager, PAGE_SIZE } from './paging.js';

const STALE_DAYS = 90;
const DAY_MS = 86_400_000;

/**
 * The access review as a page: its figures are index counts, its sections are pages (the users
 * flagged, each role's holders), and the whole report is the streamed CSV download. Nothing here
 * walks every user; the download does, as the admin API's report does.
 */
export const accessReviewPage: ConsolePage = {
  path: '/access-review',
  title: 'Access review',
  nav: 'Access review',
  scope: 'audit:read',
  async render(ctx) {
    const tenant = ctx.session.tenant;
    const staleBefore = new Date(Date.now() - STALE_DAYS * DAY_MS);
    const directory = await directoryOf(ctx);
    const [counts, inactive, stale] = await Promise.all([
      directory.counts(tenant, ctx.deps.policy, staleBefore),
      directory.inactiveWithAccess(tenant, ctx.query.get('inactiveCursor') ?? undefined, PAGE_SIZE),
      directory.staleUsers(tenant, staleBefore, ctx.query.get('staleCursor') ?? undefined, PAGE_SIZE),
    ]);
    const userCell = (user: ResourceRecord) => html`<a href="${ctx.href(`/users/${encodeURIComponent(user.id)}`)}">${String(user.attributes['userName'])}</a>`;
    return html`
<p><a href="${ctx.href('/access-review/download/csv')}" download>Download the full review (CSV)</a>: every holder with the source and rules of each grant, inactive users with access, drift and stale accounts.</p>
${figures([
  { key: 'inactive-with-access', label: 'Inactive users holding access', value: counts.inactiveWithAccess, alarm: counts.inactiveWithAccess > 0, detail: counts.inactiveWithAccess > 0 ? 'Must be 0' : 'None, as it must be' },
  { key: 'other-policy', label: 'Active users evaluated under another policy', value: counts.otherPolicy, alarm: counts.otherPolicy > 0, detail: 'Drift candidates: the CSV lists the roles missing or unexpected' },
  { key: 'stale', label: 'Stale accounts', value: counts.stale, detail: `Not updated for ${STALE_DAYS} days or more` },
])}
${table('Inactive users holding access', [{ header: 'User', cell: userCell }, { header: 'State', cell: (user) => stateBadge(user.lifecycle?.state) }, { header: 'Grants', cell: (user) => (user.lifecycle?.grants ?? []).map((grant) => grant.name).join(', ') }], inactive.items, 'None')}
${pager(ctx, '/access-review', inactive.nextCursor, 'inactiveCursor')}
${table('Stale accounts, least recently updated first', [{ header: 'User', cell: userCell }, { header: 'Last modified', cell: (user) => dateTime(user.lastModified) }], stale.items, 'None')}
${pager(ctx, '/access-review', stale.nextCursor, 'staleCursor')}
<p>Holders of each role, with the rules that granted it: <a href="${ctx.href('/roles')}">Roles and policy</a>.</p>`;
  },
  downloads: {
    csv: async (ctx) => ({
      filename: 'access-review.csv',
      contentType: 'text/csv; charset=utf-8',
      body: accessReviewCsv(ctx.deps.storage, ctx.deps.policy, { tenant: ctx.session.tenant, staleDays: STALE_DAYS }),
    }),
  },
};
