import { ENTERPRISE_USER_SCHEMA, LIFECYCLE_SCHEMA } from '../../scim/schema-registry.js';
import { auditPage } from '../../services/audit-trail.js';
import { USER_SEARCH_FIELDS, type UserSearchField } from '../../store/contract.js';
import type { AuditEntry } from '../../lifecycle/types.js';
import { badge, dateTime, table, textField } from '../components.js';
import { html, type Html } from '../html.js';
import { ConsolePageError, type ConsolePage, type PageContext } from '../page.js';
import { directoryOf, pager, PAGE_SIZE } from './paging.js';

const FIELD_LABELS: Record<UserSearchField, string> = {
  userName: 'userName',
  givenName: 'Given name',
  familyName: 'Family name',
  email: 'Email (primary)',
  department: 'Department',
  externalId: 'externalId (case-sensitive)',
};

const userLink = (ctx: PageContext, id: string, text: string) => html`<a href="${ctx.href(`/users/${encodeURIComponent(id)}`)}">${text}</a>`;

/** Users by a prefix of one field (every search is one index range: "starts with", not "contains"). */
export const usersPage: ConsolePage = {
  path: '/users',
  title: 'Users',
  nav: 'Users',
  scope: 'audit:read',
  async render(ctx) {
    const asked = ctx.query.get('field') ?? 'userName';
    const field = (USER_SEARCH_FIELDS as readonly string[]).includes(asked) ? (asked as UserSearchField) : 'userName';
    const prefix = (ctx.query.get('q') ?? '').trim();
    const stateAsked = ctx.query.get('state');
    const state = stateAsked === 'active' || stateAsked === 'inactive' ? stateAsked : undefined;
    const page = await (await directoryOf(ctx)).searchUsers(ctx.session.tenant, { field, prefix, state }, ctx.query.get('cursor') ?? undefined, PAGE_SIZE);
    return html`
<form method="get" action="${ctx.href('/users')}" class="search" role="search">
<div><label for="field-field">Search in</label>
<select id="field-field" name="field">${USER_SEARCH_FIELDS.map((name) => html`<option value="${name}"${name === field ? html` selected` : ''}>${FIELD_LABELS[name]}</option>`)}</select></div>
${textField('q', 'Starts with', { value: prefix, type: 'search', hint: 'Search is by prefix: "smi" finds Smith' })}
<div><label for="field-state">State</label>
<select id="field-state" name="state"><option value="">Any</option>${(['active', 'inactive'] as const).map((name) => html`<option value="${name}"${name === state ? html` selected` : ''}>${name}</option>`)}</select></div>
<div><button type="submit" class="primary">Search</button></div>
</form>
${table(
  prefix ? `Users whose ${FIELD_LABELS[field]} starts with "${prefix}"` : 'Users by userName',
  [
    { header: 'userName', cell: (user) => userLink(ctx, user.id, String(user.attributes['userName'])) },
    { header: 'Name', cell: (user) => nameOf(user.attributes) },
    { header: 'Email', cell: (user) => primaryEmail(user.attributes['emails']) ?? '—' },
    { header: 'Department', cell: (user) => String((user.attributes[ENTERPRISE_USER_SCHEMA] as Record<string, unknown> | undefined)?.['department'] ?? '—') },
    { header: 'State', cell: (user) => stateBadge(user.lifecycle?.state) },
  ],
  page.items,
  'No user matches',
)}
${pager(ctx, '/users', page.nextCursor)}`;
  },
};

export function stateBadge(state: string | undefined): Html {
  return state === 'inactive' ? badge('inactive', 'bad') : badge(state ?? 'unknown', state === 'active' ? 'ok' : 'plain');
}

function nameOf(attributes: Record<string, unknown>): string {
  const name = attributes['name'] as Record<string, unknown> | undefined;
  return String(attributes['displayName'] ?? name?.['formatted'] ?? [name?.['givenName'], name?.['familyName']].filter(Boolean).join(' ') ?? '');
}

function primaryEmail(emails: unknown): string | undefined {
  if (!Array.isArray(emails)) return undefined;
  const primary = (emails as Record<string, unknown>[]).find((email) => email['primary'] === true) ?? emails[0];
  return typeof primary?.['value'] === 'string' ? primary['value'] : undefined;
}

/** An attribute value as text: scalars as they are, anything else as JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/** Attributes whose value differs between an entry's before and after: before → after. */
export function changes(entry: AuditEntry): Html {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
  const grants = [...entry.grantsAdded.map((grant) => `+ ${grant.kind} ${grant.name}`), ...entry.grantsRevoked.map((grant) => `− ${grant.kind} ${grant.name}`)];
  if (keys.length === 0 && grants.length === 0) return html`—`;
  return html`<ul class="changes">${keys.map((key) => html`<li><code>${key}</code>: ${key in before ? shown(before[key]) : '(none)'} → ${key in after ? shown(after[key]) : '(none)'}</li>`)}${grants.map((grant) => html`<li>${grant}</li>`)}</ul>`;
}

/** One user: attributes (extensions included), lifecycle, grants and why, permissions, groups, audit timeline. */
export const userPage: ConsolePage = {
  path: '/users/:id',
  title: 'User',
  scope: 'audit:read',
  async render(ctx) {
    const { storage, policy } = ctx.deps;
    const tenant = ctx.session.tenant;
    const id = ctx.params['id'] ?? '';
    const user = await storage.users.get(tenant, id);
    if (!user) throw new ConsolePageError(404, 'Not found', 'No such user');
    const [groups, exceptions, timeline] = await Promise.all([
      storage.groups.getMany(tenant, user.groupIds),
      storage.policyExceptions.ofUser(tenant, id),
      auditPage(storage, { tenant, resourceId: id, order: 'newest' }, ctx.query.get('cursor') ?? undefined, PAGE_SIZE, await ctx.deps.cursors()),
    ]);
    const lifecycle = user.lifecycle;
    const now = Date.now();
    const attributes = Object.entries(user.attributes).filter(([key]) => key !== LIFECYCLE_SCHEMA);
    const rows = attributes.flatMap(([key, value]) =>
      typeof value === 'object' && value !== null && !Array.isArray(value) && key.startsWith('urn:')
        ? Object.entries(value as Record<string, unknown>).map(([sub, subValue]) => ({ name: `${key}:${sub}`, value: subValue }))
        : [{ name: key, value }],
    );
    const body = html`
<h2>Lifecycle</h2>
<dl class="facts"><dt>State</dt><dd>${stateBadge(lifecycle?.state)}</dd>
<dt>Provisioned</dt><dd>${dateTime(lifecycle?.provisionedAt)}</dd>
<dt>Deactivated</dt><dd>${dateTime(lifecycle?.deactivatedAt)}</dd>
<dt>Reactivated</dt><dd>${dateTime(lifecycle?.reactivatedAt)}</dd>
<dt>Created</dt><dd>${dateTime(user.created)}</dd>
<dt>Last modified</dt><dd>${dateTime(user.lastModified)}</dd>
<dt>Policy last applied</dt><dd>${dateTime(lifecycle?.lastPolicyEvaluation)} ${lifecycle && lifecycle.policyFingerprint !== policy.fingerprint ? badge('another policy', 'bad') : ''}</dd></dl>
${table(
  'Grants, with their source and the rules that gave them',
  [
    { header: 'Kind', cell: (grant) => grant.kind },
    { header: 'Name', cell: (grant) => (grant.kind === 'role' ? html`<a href="${ctx.href(`/roles/${encodeURIComponent(grant.name)}`)}">${grant.name}</a>` : grant.name) },
    { header: 'Source', cell: (grant) => (grant.source === 'policy' ? 'policy' : 'sent by the IdP') },
    { header: 'Rules', cell: (grant) => (grant.rules ?? []).join(', ') || '—' },
  ],
  lifecycle?.grants ?? [],
  'No grants',
)}
${table(
  'Policy exceptions: roles an access review revoked, which policy does not grant back while in force',
  [
    { header: 'Role', cell: (exception) => html`<a href="${ctx.href(`/roles/${encodeURIComponent(exception.role)}`)}">${exception.role}</a>` },
    { header: 'In force', cell: (exception) => (!exception.expiresAt || exception.expiresAt.getTime() > now ? badge('in force', 'ok') : badge('expired')) },
    { header: 'Until', cell: (exception) => (exception.expiresAt ? dateTime(exception.expiresAt) : 'for good') },
    { header: 'Reason', cell: (exception) => exception.reason },
    { header: 'Decided by', cell: (exception) => exception.createdBy },
    { header: 'When', cell: (exception) => dateTime(exception.createdAt) },
    { header: 'Campaign', cell: (exception) => html`<code>${exception.campaignId}</code>` },
  ],
  exceptions,
  'None',
)}
<h2>Effective permissions</h2>
<p>${(lifecycle?.permissions ?? []).length > 0 ? html`<code>${(lifecycle?.permissions ?? []).join(', ')}</code>` : 'None'}</p>
${table('Groups (direct memberships)', [{ header: 'Group', cell: (group) => html`<a href="${ctx.href(`/groups/${encodeURIComponent(group.id)}`)}">${String(group.attributes['displayName'])}</a>` }], groups, 'In no group')}
${table('Attributes, extensions included', [{ header: 'Attribute', cell: (row) => html`<code>${row.name}</code>` }, { header: 'Value', cell: (row) => shown(row.value) }], rows)}
${table(
  'Audit timeline, newest first',
  [
    { header: 'When', cell: (entry) => dateTime(entry.at) },
    { header: 'Operation', cell: (entry) => entry.operation },
    { header: 'By', cell: (entry) => entry.actor },
    { header: 'Events', cell: (entry) => entry.events.join(', ') || '—' },
    { header: 'Changes (before → after)', cell: changes },
  ],
  timeline.entries,
  'No entries',
)}
${pager(ctx, `/users/${encodeURIComponent(id)}`, timeline.nextCursor)}`;
    return { heading: String(user.attributes['userName']), body };
  },
};
