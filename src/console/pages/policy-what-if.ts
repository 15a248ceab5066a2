import { ScimError } from '../../errors/scim-error.js';
import type { Policy } from '../../lifecycle/policy/types.js';
import { MAX_JSON_DEPTH } from '../../scim/limits.js';
import { nestedDeeperThan } from '../../http/middleware/json-body.js';
import { describePermissionChange, describeResponsible, draftJson, draftPolicy, policyWhatIf, type WhatIfReport, type WhatIfRole, type WhatIfSide } from '../../services/policy-what-if.js';
import { badge, csrfField, figures, table } from '../components.js';
import { html, type Html } from '../html.js';
import type { ActionResult, ConsolePage, PageContext } from '../page.js';

/** Users listed per role and direction, as the API's default. */
const LIMIT = 20;
/** A pasted policy of thousands of rules fits (the console's other forms are far smaller). */
const DRAFT_FORM_BYTES = 1024 * 1024;

/** The running policy as a file would hold it: the draft to start editing from. */
function policyText(policy: Policy): string {
  return JSON.stringify({ roles: policy.roles, rules: policy.rules, deactivation: policy.deactivation }, null, 2);
}

function draftForm(ctx: PageContext, text: string): Html {
  return html`<form method="post" action="${ctx.href('/policy-what-if/evaluate')}">${csrfField(ctx)}
<p><label for="field-draft">Draft policy (JSON, as a POLICY_FILE holds it)</label></p>
<p><textarea id="field-draft" name="draft" class="policy-draft" rows="18" spellcheck="false" required>${text}</textarea></p>
<p><button type="submit" class="primary">Evaluate the draft</button></p></form>`;
}

function sideSection(role: string, side: WhatIfSide, verb: 'gain' | 'lose'): Html | string {
  if (side.count === 0) return '';
  const caption = `${role}: ${side.count} ${side.count === 1 ? 'user' : 'users'} would ${verb} it (${verb === 'gain' ? 'granted by' : 'granted now by'} ${describeResponsible(side)})`;
  const more = side.truncated ? html`<p class="hint">${side.count - side.users.length} more not listed: the API's CSV (POST /admin/policy/what-if?format=csv) or <code>npm run policy -- diff --format csv</code> lists every change.</p>` : '';
  return html`${table(caption, [
    { header: 'User', cell: (user: WhatIfSide['users'][number]) => user.userName },
    { header: 'Rules', cell: (user) => user.rules.join(', ') || '—' },
    { header: 'Direct grant', cell: (user) => (user.direct ? 'yes' : 'no') },
  ], side.users)}${more}`;
}

const grants = (n: number) => `${n} ${n === 1 ? 'grant' : 'grants'}`;

function reportBody(ctx: PageContext, report: WhatIfReport, text: string): Html {
  const { summary } = report;
  const unmatched = report.draftRules.filter((rule) => rule.users === 0).map((rule) => rule.rule);
  return html`<p class="notice" role="status">Nothing was written: this is what the draft would change for the ${summary.users} users of tenant <strong>${report.tenant}</strong>.</p>
${figures([
  { key: 'affected', label: 'Users who would change', value: summary.usersAffected },
  { key: 'gaining', label: 'Would gain a role', value: summary.usersGaining, detail: grants(summary.gains) },
  { key: 'losing', label: 'Would lose a role', value: summary.usersLosing, detail: grants(summary.losses) },
])}
<h2>Roles</h2>
${table('Every role: holders now and under the draft, who would gain and lose it', [
  { header: 'Role', cell: (role: WhatIfRole) => html`<strong>${role.role}</strong>` },
  { header: 'Holders now', cell: (role) => String(role.holders.current) },
  { header: 'Under the draft', cell: (role) => String(role.holders.draft) },
  { header: 'Gain', cell: (role) => (role.gained.count > 0 ? badge(`+${role.gained.count}`, 'ok') : '0') },
  { header: 'Lose', cell: (role) => (role.lost.count > 0 ? badge(`-${role.lost.count}`, 'bad') : '0') },
  { header: 'Permissions', cell: (role) => describePermissionChange(role) },
], report.roles)}
${unmatched.length > 0 ? html`<p class="alert" role="alert">Draft rules that match nobody: ${unmatched.join(', ')}</p>` : ''}
<h2>Who would gain and lose each role</h2>
${report.roles.map((role) => html`${sideSection(role.role, role.gained, 'gain')}${sideSection(role.role, role.lost, 'lose')}`)}
<h2>Edit and evaluate again</h2>
${draftForm(ctx, text)}`;
}

/** The draft read and validated exactly as POLICY_FILE at start-up; every problem named. */
function readDraft(text: string): Policy {
  const json = draftJson(text);
  if (nestedDeeperThan(json, MAX_JSON_DEPTH)) throw new ScimError('invalidSyntax', `The draft policy nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`);
  return draftPolicy(json);
}

/** Policy what-if (services/policy-what-if.ts): paste a draft, see per role who would gain and lose it. Read-only. */
export const policyWhatIfPage: ConsolePage = {
  path: '/policy-what-if',
  title: 'Policy what-if',
  nav: 'Policy what-if',
  scope: 'audit:read',
  formBytes: DRAFT_FORM_BYTES,
  async render(ctx) {
    return html`<p>Paste a draft access policy to see, before it goes live, which users would gain and which would lose each role, and the rules responsible. The draft is checked exactly as the server checks POLICY_FILE at start-up; nothing is written. It starts as the policy running now.</p>
${draftForm(ctx, policyText(ctx.deps.policy))}`;
  },
  actions: {
    evaluate: {
      scope: 'audit:read',
      async handle(ctx, form): Promise<ActionResult> {
        const text = form['draft'] ?? '';
        let draft: Policy;
        try {
          draft = readDraft(text);
        } catch (error) {
          if (!(error instanceof ScimError) || error.status !== 400) throw error;
          // The person's text stays in the form, with every problem above it.
          const problems = html`<div class="alert" role="alert"><p>The draft is not a valid policy:</p><ul>${error.message.split('\n').map((line) => html`<li>${line}</li>`)}</ul></div>`;
          return { title: 'Policy what-if', body: html`${problems}${draftForm(ctx, text)}` };
        }
        const report = await policyWhatIf(ctx.deps.storage, ctx.deps.policy, draft, { tenant: ctx.session.tenant, limit: LIMIT });
        return { title: 'Policy what-if', body: reportBody(ctx, report, text) };
      },
    },
  },
};
