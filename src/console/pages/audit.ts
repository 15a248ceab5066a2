import { ScimError } from '../../errors/scim-error.js';
import type { AuditEntry } from '../../lifecycle/types.js';
import { AUDIT_CSV_COLUMNS, auditCsvLine, auditEntries, auditPage, type AuditView } from '../../services/audit-trail.js';
import { csvLine } from '../../services/csv.js';
import { dateTime, table, textField } from '../components.js';
import { html } from '../html.js';
import type { ConsolePage, PageContext } from '../page.js';
import { changes } from './users.js';
import { pager, PAGE_SIZE } from './paging.js';

const FILTERS = ['resource', 'actor', 'operation', 'resourceType', 'since', 'until'] as const;

function instant(ctx: PageContext, name: string): Date | undefined {
  const text = ctx.query.get(name)?.trim();
  if (!text) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new ScimError('invalidValue', `"${name}" must be a date and time, e.g. 2026-12-01T00:00:00Z`);
  return date;
}

/** The admin API's filters (GET /admin/audit), newest first. */
function viewOf(ctx: PageContext): AuditView {
  const text = (name: string) => ctx.query.get(name)?.trim() || undefined;
  return {
    tenant: ctx.session.tenant,
    resourceId: text('resource'),
    actor: text('actor'),
    operation: text('operation'),
    resourceType: text('resourceType'),
    since: instant(ctx, 'since'),
    until: instant(ctx, 'until'),
    order: 'newest',
  };
}

async function* ndjson(entries: AsyncIterable<AuditEntry>): AsyncGenerator<string> {
  for await (const entry of entries) yield `${JSON.stringify(entry)}\n`;
}

async function* csv(entries: AsyncIterable<AuditEntry>): AsyncGenerator<string> {
  yield csvLine(AUDIT_CSV_COLUMNS);
  for await (const entry of entries) yield auditCsvLine(entry);
}

export const auditPageView: ConsolePage = {
  path: '/audit',
  title: 'Audit',
  nav: 'Audit',
  scope: 'audit:read',
  async render(ctx) {
    const page = await auditPage(ctx.deps.storage, viewOf(ctx), ctx.query.get('cursor') ?? undefined, PAGE_SIZE, await ctx.deps.cursors());
    const filters = new URLSearchParams(FILTERS.flatMap((name) => (ctx.query.get(name) ? [[name, ctx.query.get(name) as string]] : [])));
    const exportQuery = filters.toString() ? `?${filters.toString()}` : '';
    return html`
<form method="get" action="${ctx.href('/audit')}" class="search">
${textField('resource', 'Resource id', { value: ctx.query.get('resource') ?? '' })}
${textField('actor', 'Actor', { value: ctx.query.get('actor') ?? '' })}
${textField('operation', 'Operation', { value: ctx.query.get('operation') ?? '', hint: 'create, replace, patch, delete, membership, reevaluate, rotate, revoke' })}
${textField('resourceType', 'Resource type', { value: ctx.query.get('resourceType') ?? '', hint: 'User, Group or Token' })}
${textField('since', 'Since', { value: ctx.query.get('since') ?? '', hint: 'ISO date and time' })}
${textField('until', 'Until', { value: ctx.query.get('until') ?? '', hint: 'ISO date and time' })}
<div><button type="submit" class="primary">Filter</button></div>
</form>
<p>Export this selection: <a href="${ctx.href(`/audit/download/ndjson${exportQuery}`)}" download>NDJSON</a> · <a href="${ctx.href(`/audit/download/csv${exportQuery}`)}" download>CSV</a></p>
${table(
  'Audit entries, newest first',
  [
    { header: 'When', cell: (entry) => dateTime(entry.at) },
    { header: 'Operation', cell: (entry) => `${entry.resourceType} ${entry.operation}` },
    { header: 'Resource', cell: (entry) => (entry.resourceType === 'User' || entry.resourceType === 'Group' ? html`<a href="${ctx.href(`/${entry.resourceType === 'User' ? 'users' : 'groups'}/${encodeURIComponent(entry.resourceId)}`)}">${entry.resourceId}</a>` : entry.resourceId) },
    { header: 'By', cell: (entry) => entry.actor },
    { header: 'Changes (before → after)', cell: changes },
  ],
  page.entries,
  'No entries',
)}
${pager(ctx, '/audit', page.nextCursor)}`;
  },
  downloads: {
    ndjson: async (ctx) => ({ filename: 'audit.ndjson', contentType: 'application/x-ndjson; charset=utf-8', body: ndjson(auditEntries(ctx.deps.storage, viewOf(ctx))) }),
    csv: async (ctx) => ({ filename: 'audit.csv', contentType: 'text/csv; charset=utf-8', body: csv(auditEntries(ctx.deps.storage, viewOf(ctx))) }),
  },
};
