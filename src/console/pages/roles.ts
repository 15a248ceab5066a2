import { describeCondition, rulesGranting } from '../../services/directory.js';
import { table } from '../components.js';
import { html } from '../html.js';
import { ConsolePageError, type ConsolePage } from '../page.js';
import { stateBadge } from './users.js';
import { directoryOf, pager, PAGE_SIZE } from './paging.js';

/** The policy: roles with their permissions, and every rule in readable form. */
export const rolesPage: ConsolePage = {
  path: '/roles',
  title: 'Roles and policy',
  nav: 'Roles and policy',
  scope: 'audit:read',
  async render(ctx) {
    const { policy } = ctx.deps;
    const roles = Object.entries(policy.roles).sort(([a], [b]) => a.localeCompare(b));
    return html`
<p>Policy <code>${policy.fingerprint.slice(0, 12)}</code>; on deactivation memberships are ${policy.deactivation.memberships === 'remove' ? 'removed' : 'kept'}.</p>
${table(
  'Roles',
  [
    { header: 'Role', cell: ([name]) => html`<a href="${ctx.href(`/roles/${encodeURIComponent(name)}`)}">${name}</a>` },
    { header: 'Permissions', cell: ([, role]) => role.permissions.join(', ') },
    { header: 'Granted by rules', cell: ([name]) => rulesGranting(policy, name).map((rule) => rule.name).join(', ') || 'only when sent by the IdP' },
  ],
  roles,
  'The policy defines no role',
)}
${table(
  'Rules, in policy order',
  [
    { header: 'Rule', cell: (rule) => rule.name },
    { header: 'Grants', cell: (rule) => rule.grant.join(', ') },
    { header: 'When', cell: (rule) => describeCondition(rule.when) },
  ],
  policy.rules,
  'The policy has no rules',
)}`;
  },
};

/** One role: its permissions, the rules that grant it, and its holders a page at a time. */
export const rolePage: ConsolePage = {
  path: '/roles/:name',
  title: 'Role',
  scope: 'audit:read',
  async render(ctx) {
    const { policy } = ctx.deps;
    const name = ctx.params['name'] ?? '';
    const role = Object.hasOwn(policy.roles, name) ? policy.roles[name] : undefined;
    if (!role) throw new ConsolePageError(404, 'Not found', 'The policy defines no such role');
    const holders = await (await directoryOf(ctx)).roleHolders(ctx.session.tenant, name, ctx.query.get('cursor') ?? undefined, PAGE_SIZE);
    const body = html`
<p>${role.description ?? ''}</p>
<p>Permissions: <code>${role.permissions.join(', ') || 'none'}</code></p>
${table(
  'Rules that grant this role (role ← rule ← the people it matches)',
  [
    { header: 'Rule', cell: (rule) => rule.name },
    { header: 'When', cell: (rule) => describeCondition(rule.when) },
  ],
  rulesGranting(policy, name),
  'No rule: only users the IdP sends it for hold it',
)}
${table(
  'Holders by userName',
  [
    { header: 'User', cell: (user) => html`<a href="${ctx.href(`/users/${encodeURIComponent(user.id)}`)}">${String(user.attributes['userName'])}</a>` },
    { header: 'State', cell: (user) => stateBadge(user.lifecycle?.state) },
    { header: 'Source and rules', cell: (user) => (user.lifecycle?.grants ?? []).filter((grant) => grant.kind === 'role' && grant.name === name).map((grant) => (grant.source === 'policy' ? `policy: ${(grant.rules ?? []).join(', ')}` : 'sent by the IdP')).join('; ') },
  ],
  holders.items,
  'Nobody holds it',
)}
${pager(ctx, `/roles/${encodeURIComponent(name)}`, holders.nextCursor)}`;
    return { heading: name, body };
  },
};
