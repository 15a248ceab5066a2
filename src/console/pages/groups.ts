import { describeCondition, rulesOfGroup } from '../../services/directory.js';
import type { ResourceKind } from '../../store/contract.js';
import { table, textField } from '../components.js';
import { html } from '../html.js';
import { ConsolePageError, type ConsolePage } from '../page.js';
import { directoryOf, pager, PAGE_SIZE } from './paging.js';

/** Groups by a prefix of displayName. */
export const groupsPage: ConsolePage = {
  path: '/groups',
  title: 'Groups',
  nav: 'Groups',
  scope: 'audit:read',
  async render(ctx) {
    const prefix = (ctx.query.get('q') ?? '').trim();
    const page = await (await directoryOf(ctx)).searchGroups(ctx.session.tenant, prefix, ctx.query.get('cursor') ?? undefined, PAGE_SIZE);
    return html`
<form method="get" action="${ctx.href('/groups')}" class="search" role="search">
${textField('q', 'displayName starts with', { value: prefix, type: 'search', hint: 'Search is by prefix' })}
<div><button type="submit" class="primary">Search</button></div>
</form>
${table(
  prefix ? `Groups whose displayName starts with "${prefix}"` : 'Groups by displayName',
  [
    { header: 'displayName', cell: (group) => html`<a href="${ctx.href(`/groups/${encodeURIComponent(group.id)}`)}">${String(group.attributes['displayName'])}</a>` },
    { header: 'externalId', cell: (group) => String(group.attributes['externalId'] ?? '—') },
  ],
  page.items,
  'No group matches',
)}
${pager(ctx, '/groups', page.nextCursor)}`;
  },
};

/** One group: the roles it confers through policy, then its members a page at a time (users, then groups). */
export const groupPage: ConsolePage = {
  path: '/groups/:id',
  title: 'Group',
  scope: 'audit:read',
  async render(ctx) {
    const tenant = ctx.session.tenant;
    const id = ctx.params['id'] ?? '';
    const group = await ctx.deps.storage.groups.get(tenant, id);
    if (!group) throw new ConsolePageError(404, 'Not found', 'No such group');
    const displayName = String(group.attributes['displayName']);
    const directory = await directoryOf(ctx);
    const kind: ResourceKind = ctx.query.get('kind') === 'Group' ? 'Group' : 'User';
    const members = await directory.members(tenant, id, kind, ctx.query.get('cursor') ?? undefined, PAGE_SIZE);
    const rules = rulesOfGroup(ctx.deps.policy, displayName);
    const base = `/groups/${encodeURIComponent(id)}`;
    const body = html`
${table(
  'Roles this group confers through policy',
  [
    { header: 'Rule', cell: (rule) => rule.name },
    { header: 'Grants', cell: (rule) => rule.grant.map((role, index) => html`${index > 0 ? ', ' : ''}<a href="${ctx.href(`/roles/${encodeURIComponent(role)}`)}">${role}</a>`) },
    { header: 'When', cell: (rule) => describeCondition(rule.when) },
  ],
  rules,
  'No policy rule names this group',
)}
<h2>Members</h2>
<p><a href="${ctx.href(base)}"${kind === 'User' ? html` aria-current="page"` : ''}>Users</a> · <a href="${ctx.href(`${base}?kind=Group`)}"${kind === 'Group' ? html` aria-current="page"` : ''}>Groups</a></p>
${table(
  kind === 'User' ? 'Member users by userName' : 'Member groups by displayName',
  [{ header: kind === 'User' ? 'User' : 'Group', cell: (member) => html`<a href="${ctx.href(`/${kind === 'User' ? 'users' : 'groups'}/${encodeURIComponent(member.id)}`)}">${member.display ?? member.id}</a>` }],
  members.items,
  'None',
)}
${pager(ctx, base, members.nextCursor)}`;
    return { heading: displayName, body };
  },
};
