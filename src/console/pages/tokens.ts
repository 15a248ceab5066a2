import { SCOPES, grants, type Scope } from '../../auth/scopes.js';
import { createToken, listTokens, parseDuration, revokeToken, rotateToken, TokenAdminError, type Grantor, type IssuedToken, type TokenInfo } from '../../auth/token-admin.js';
import { actionButton, badge, csrfField, dateTime, table, textField } from '../components.js';
import { html, type Html } from '../html.js';
import type { ActionResult, ConsolePage, FormFields, PageContext } from '../page.js';

/** How long a rotated token's predecessor keeps working, as offered on the page. */
const GRACE_PERIODS: readonly [string, string][] = [
  ['', 'stops at once'],
  ['1h', 'works 1 more hour'],
  ['24h', 'works 24 more hours'],
  ['7d', 'works 7 more days'],
];

/** The session grants as its credential would through POST /admin/tokens: its scopes, its tenant, its lifetime. */
function grantorOf(ctx: PageContext): Grantor {
  return { tenant: ctx.session.tenant, scopes: ctx.session.scopes, expiresAt: ctx.session.credentialExpiresAt };
}

const actorOf = (ctx: PageContext) => ({ actor: ctx.session.credential, requestId: ctx.requestId });

/** token-admin's refusals, told to the person with the status the API gives them. */
export async function tokenAction(work: () => Promise<ActionResult>): Promise<ActionResult> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof TokenAdminError)) throw error;
    const status = ({ invalid: 400, notFound: 404, exists: 409, otherTenant: 403, beyondGrant: 403, outlivesGrantor: 403 } as const)[error.kind];
    return { error: error.message, status };
  }
}

export function optionalDuration(form: FormFields, field: string, what: string): number | undefined {
  const value = form[field]?.trim() ?? '';
  return value === '' ? undefined : parseDuration(value, what);
}

/** The one page that shows a new token: it is never stored, so this is the only time it can be copied. */
export function shownOnce(ctx: PageContext, verb: string, issued: IssuedToken, back = { path: '/tokens', text: 'Back to the tokens' }): ActionResult {
  return {
    title: `Token ${verb}`,
    body: html`<p class="notice" role="status">Token <strong>${issued.info.name}</strong> ${verb}. Copy it now: it is shown only this once and cannot be read again.</p>
<p><label for="new-token">The new token</label></p><p><output id="new-token" class="secret">${issued.token}</output></p>
<p>Scopes: ${issued.info.scopes.join(', ')} · expires: ${dateTime(issued.info.expiresAt)}</p>
<p><a href="${ctx.href(back.path)}">${back.text}</a></p>`,
  };
}

function scopeChoices(ctx: PageContext): Html {
  return html`<fieldset><legend>Scopes</legend>${SCOPES.map((scope) => {
    const held = grants(ctx.session.scopes, scope);
    return html`<div><input type="checkbox" id="scope-${scope}" name="scope-${scope}" value="on"${held ? '' : html` disabled aria-describedby="scope-${scope}-why"`}> <label for="scope-${scope}">${scope}</label>${held ? '' : html` <span class="hint" id="scope-${scope}-why">(your credential does not hold it, so cannot grant it)</span>`}</div>`;
  })}</fieldset>`;
}

function rotateForm(ctx: PageContext, token: TokenInfo): Html {
  const id = `grace-${token.name}`;
  return html`<form class="inline" method="post" action="${ctx.href('/tokens/rotate')}">${csrfField(ctx)}<input type="hidden" name="name" value="${token.name}">
<label class="hint" for="${id}">Old token</label> <select id="${id}" name="gracePeriod">${GRACE_PERIODS.map(([value, label]) => html`<option value="${value}">${label}</option>`)}</select>
<button type="submit" class="secondary">Rotate ${token.name}</button></form>`;
}

const statusBadge = (status: TokenInfo['status']) => badge(status, status === 'active' ? 'ok' : status === 'revoked' ? 'bad' : 'plain');

/** API tokens of the tenant: the same operations and rules as POST /admin/tokens (src/auth/token-admin.ts). */
export const tokensPage: ConsolePage = {
  path: '/tokens',
  title: 'Tokens',
  nav: 'Tokens',
  scope: 'tokens:manage',
  async render(ctx) {
    const tokens = await listTokens(ctx.deps.storage.credentials, ctx.session.tenant);
    return html`<p>Credentials of tenant <strong>${ctx.session.tenant}</strong>. Only a hash of each is stored: a token is shown once, when it is created or rotated.</p>
${table(
  'API tokens (rotated names keep their earlier tokens, revoked or expiring)',
  [
    { header: 'Name', cell: (token: TokenInfo) => html`<strong>${token.name}</strong>` },
    { header: 'Scopes', cell: (token) => token.scopes.join(', ') },
    { header: 'Status', cell: (token) => statusBadge(token.status) },
    { header: 'Created', cell: (token) => dateTime(token.createdAt) },
    { header: 'Expires', cell: (token) => dateTime(token.expiresAt) },
    { header: 'Last used', cell: (token) => dateTime(token.lastUsedAt) },
    { header: 'Stream', cell: (token) => token.stream ?? '—' },
    { header: 'Actions', cell: (token) => (token.status === 'active' ? html`${rotateForm(ctx, token)} ${actionButton(ctx, ctx.href('/tokens/revoke'), `Revoke ${token.name}`, { name: token.name }, 'danger')}` : '—') },
  ],
  tokens,
  'No tokens yet',
)}
<h2 id="create">Create a token</h2>
<form class="stacked" method="post" action="${ctx.href('/tokens/create')}" aria-labelledby="create">${csrfField(ctx)}
${textField('name', 'Name', { required: true, hint: '1-64 letters, digits or . _ : @ -' })}
${scopeChoices(ctx)}
${textField('expiresIn', 'Expires in', { hint: 'e.g. 90d, 12h; empty: never (or with your own credential)' })}
<div><button type="submit">Create token</button></div></form>`;
  },
  actions: {
    create: {
      scope: 'tokens:manage',
      handle: (ctx, form) =>
        tokenAction(async () => {
          const scopes = SCOPES.filter((scope: Scope) => form[`scope-${scope}`] === 'on');
          const issued = await createToken(
            ctx.deps.storage.credentials,
            { grantor: grantorOf(ctx), tenant: ctx.session.tenant, name: form['name']?.trim() ?? '', scopes, lifetimeMs: optionalDuration(form, 'expiresIn', 'Expires in') },
            actorOf(ctx),
          );
          return shownOnce(ctx, 'created', issued);
        }),
    },
    rotate: {
      scope: 'tokens:manage',
      handle: (ctx, form) =>
        tokenAction(async () => {
          const issued = await rotateToken(ctx.deps.storage.credentials, ctx.session.tenant, form['name'] ?? '', { grantor: grantorOf(ctx), graceMs: optionalDuration(form, 'gracePeriod', 'The grace period') }, actorOf(ctx));
          return shownOnce(ctx, 'rotated', issued);
        }),
    },
    revoke: {
      scope: 'tokens:manage',
      handle: (ctx, form) =>
        tokenAction(async () => {
          const name = form['name'] ?? '';
          const revoked = await revokeToken(ctx.deps.storage.credentials, ctx.session.tenant, name, actorOf(ctx));
          return { notice: revoked > 0 ? `Token "${name}" revoked: it no longer works.` : `Token "${name}" was revoked already.` };
        }),
    },
  },
};
