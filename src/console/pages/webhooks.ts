import { deliveryReceivers, retryWebhookNow } from '../../services/webhook-receivers.js';
import { actionButton, badge, dateTime, table } from '../components.js';
import { html } from '../html.js';
import type { ConsolePage } from '../page.js';

/** Where lifecycle events go and what each receiver is still owed; "retry now" for a webhook backing off. */
export const webhooksPage: ConsolePage = {
  path: '/webhooks',
  title: 'Webhooks and streams',
  nav: 'Webhooks and streams',
  scope: 'audit:read',
  async render(ctx) {
    const { webhooks, streams } = await deliveryReceivers(ctx.deps.storage, ctx.deps.config.webhooks, ctx.deps.streams, ctx.session.tenant);
    const canRetry = ctx.can('tokens:manage');
    return html`<h2>Webhooks</h2>
<p>Configured for the whole deployment (the <code>WEBHOOKS</code> variable); events are pushed to them, retried with backoff until accepted.${canRetry ? '' : ' Retrying needs the tokens:manage scope.'}</p>
${table(
  'Webhook receivers and what each is owed',
  [
    { header: 'Name', cell: (webhook) => html`<strong>${webhook.name}</strong>` },
    { header: 'Receiver', cell: (webhook) => html`<code>${webhook.origin}</code> (${webhook.format})` },
    { header: 'Events', cell: (webhook) => webhook.events?.join(', ') ?? 'all' },
    { header: 'Backlog', cell: (webhook) => webhook.pending },
    { header: 'Failing', cell: (webhook) => (webhook.failing > 0 ? badge(String(webhook.failing), 'bad') : '0') },
    { header: 'Oldest undelivered', cell: (webhook) => dateTime(webhook.oldestPendingAt) },
    { header: 'Last error', cell: (webhook) => webhook.lastError ?? '—' },
    { header: 'Action', cell: (webhook) => (canRetry && webhook.failing > 0 ? actionButton(ctx, ctx.href('/webhooks/retry'), `Retry ${webhook.name} now`, { name: webhook.name }) : '—') },
  ],
  webhooks,
  'No webhooks configured',
)}
<h2>Event streams</h2>
<p>Receivers that poll (RFC 8936) their stream of this tenant's events and acknowledge them; manage streams with <code>npm run streams</code> or <code>/admin/streams</code>.</p>
${table(
  'Event streams of this tenant and what each receiver has not acknowledged',
  [
    { header: 'Name', cell: (stream) => html`<strong>${stream.name}</strong>` },
    { header: 'Events', cell: (stream) => stream.events?.join(', ') ?? 'all' },
    { header: 'Backlog', cell: (stream) => stream.backlog.pending },
    { header: 'Reported failed', cell: (stream) => (stream.backlog.failed > 0 ? badge(String(stream.backlog.failed), 'bad') : '0') },
    { header: 'Oldest unacknowledged', cell: (stream) => dateTime(stream.backlog.oldestPendingAt) },
    { header: 'Last error', cell: (stream) => { const latest = stream.recentErrors?.[0]; return latest ? html`${latest.err}${latest.description ? `: ${latest.description}` : ''} (${dateTime(latest.reportedAt)})` : '—'; } },
    { header: 'Poll at', cell: (stream) => html`<code>${stream.pollPath}</code>` },
  ],
  streams,
  'No event streams',
)}`;
  },
  actions: {
    retry: {
      scope: 'tokens:manage',
      async handle(ctx, form) {
        const name = form['name'] ?? '';
        const due = await retryWebhookNow(ctx.deps.storage, ctx.deps.config.webhooks, name);
        if (due === null) return { error: `No webhook named "${name}" is configured.`, status: 404 };
        ctx.deps.log({ level: 'info', msg: 'webhook retry requested from the console', webhook: name, deliveries: due, actor: ctx.session.credential, tenant: ctx.session.tenant, requestId: ctx.requestId });
        ctx.deps.onEvents?.();
        return { notice: due > 0 ? `${due} deliver${due === 1 ? 'y' : 'ies'} to "${name}" will be retried now.` : `Nothing of "${name}" was waiting for a retry.` };
      },
    },
  },
};
