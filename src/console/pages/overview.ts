import { directoryOverview } from '../../services/overview.js';
import { age, dateTime, figures, table } from '../components.js';
import { html } from '../html.js';
import type { AuditEntry } from '../../lifecycle/types.js';
import type { ConsolePage } from '../page.js';

/** The userName or displayName an entry recorded (absent from some entries, e.g. a membership change). */
function nameOf(entry: AuditEntry): string | undefined {
  const state = entry.after ?? entry.before;
  const name = state?.['userName'] ?? state?.['displayName'];
  return typeof name === 'string' ? name : undefined;
}

/** The directory at a glance: who is active, whether anyone inactive still holds access, what is still owed to receivers. */
export const overviewPage: ConsolePage = {
  path: '/overview',
  title: 'Overview',
  nav: 'Overview',
  scope: 'audit:read',
  async render(ctx) {
    const { storage, policy, health } = ctx.deps;
    const overview = await directoryOverview(storage, policy, health, ctx.session.tenant);
    const { users, delivery } = overview;
    const relayBacklog = delivery.relay.User.backlog + delivery.relay.Group.backlog;
    const oldestRelay = Math.max(delivery.relay.User.oldestPendingSeconds ?? -1, delivery.relay.Group.oldestPendingSeconds ?? -1);
    const webhookBacklog = delivery.webhooks.reduce((sum, webhook) => sum + webhook.backlog, 0);
    const streams = delivery.streams.filter((stream) => stream.tenant === ctx.session.tenant);
    const streamBacklog = streams.reduce((sum, stream) => sum + stream.backlog, 0);
    return html`
<h2>Directory</h2>
${figures([
  { key: 'users-active', label: 'Active users', value: users.active },
  { key: 'users-inactive', label: 'Inactive users', value: users.inactive },
  { key: 'groups', label: 'Groups', value: overview.groups },
  {
    key: 'inactive-with-access',
    label: 'Inactive users holding access',
    value: users.inactiveWithAccess,
    alarm: users.inactiveWithAccess > 0,
    detail: users.inactiveWithAccess > 0 ? 'Must be 0: see the access review' : 'None, as it must be',
  },
  { key: 'policy-drift', label: 'Active users evaluated under another policy', value: users.otherPolicy, alarm: users.otherPolicy > 0, detail: users.otherPolicy > 0 ? 'Run: npm run policy -- re-evaluate' : `Policy ${overview.policyFingerprint.slice(0, 12)}` },
  { key: 'stale', label: 'Stale accounts', value: users.stale, detail: `Not updated for ${overview.staleDays} days or more` },
])}
<h2>Delivery</h2>
${figures([
  { key: 'relay-backlog', label: 'Changes not yet relayed', value: relayBacklog, detail: oldestRelay >= 0 ? `Oldest waiting ${age(oldestRelay)}` : 'Nothing waiting' },
  { key: 'webhook-backlog', label: 'Webhook deliveries owed', value: webhookBacklog, detail: `${delivery.webhooks.length} receiver(s) configured` },
  { key: 'stream-backlog', label: 'Stream events not acknowledged', value: streamBacklog, detail: `${streams.length} stream(s)` },
])}
<p><a href="${ctx.href('/webhooks')}">Receivers, failures and retries: Webhooks and streams</a></p>
<h2>Latest lifecycle events</h2>
${table(
  'The latest changes to users and groups, newest first',
  [
    { header: 'When', cell: (entry) => dateTime(entry.at) },
    { header: 'Change', cell: (entry) => `${entry.resourceType} ${entry.operation}` },
    { header: 'Resource', cell: (entry) => { const name = nameOf(entry); return html`${name ? html`${name}<br>` : ''}<code class="id">${entry.resourceId}</code>`; } },
    { header: 'Events', cell: (entry) => entry.events.join(', ') || '—' },
    { header: 'By', cell: (entry) => entry.actor },
  ],
  overview.latest,
  'No changes recorded yet',
)}`;
  },
};
