import type { WebhookConfig } from '../lifecycle/webhooks/webhook-config.js';
import type { Storage } from '../store/contract.js';
import type { EventStreamService, StreamView } from './event-streams.js';

/**
 * What the receivers of lifecycle events are owed (the console's Webhooks and streams page): each
 * configured webhook's backlog, read fresh from its index (not the /readyz cache), and the tenant's
 * event streams with the errors their receivers reported.
 */
export interface WebhookReceiver {
  name: string;
  /** Scheme, host and port only: a path or query may carry a receiver's secret. */
  origin: string;
  format: WebhookConfig['format'];
  /** Null: every event type. */
  events: readonly string[] | null;
  pending: number;
  /** Pending deliveries whose attempts failed so far (backing off until their next attempt). */
  failing: number;
  oldestPendingAt: Date | null;
  /** Why the last attempt of the oldest failing delivery failed, as the worker recorded it. */
  lastError: string | null;
}

export interface DeliveryReceivers {
  webhooks: WebhookReceiver[];
  streams: StreamView[];
}

export async function deliveryReceivers(storage: Storage, webhooks: readonly WebhookConfig[], streams: EventStreamService, tenant: string): Promise<DeliveryReceivers> {
  const [backlogs, listed] = await Promise.all([Promise.all(webhooks.map((webhook) => storage.events.webhookBacklog(webhook.name))), streams.list(tenant)]);
  // The list has backlogs; `get` adds the latest errors a receiver reported (a read per stream: streams are few).
  const described = await Promise.all(listed.map((stream) => streams.get(tenant, stream.name)));
  return {
    webhooks: webhooks.map((webhook, index) => {
      const backlog = backlogs[index] as Awaited<ReturnType<Storage['events']['webhookBacklog']>>;
      return {
        name: webhook.name,
        origin: new URL(webhook.url).origin,
        format: webhook.format,
        events: webhook.events ?? null,
        pending: backlog.pending,
        failing: backlog.failing,
        oldestPendingAt: backlog.oldestOccurredAt,
        lastError: backlog.failingLastError ?? null,
      };
    }),
    streams: described,
  };
}

/** Makes the webhook's backing-off deliveries due now; the caller wakes the delivery worker. Returns how many. */
export async function retryWebhookNow(storage: Storage, webhooks: readonly WebhookConfig[], name: string, now = new Date()): Promise<number | null> {
  if (!webhooks.some((webhook) => webhook.name === name)) return null;
  return storage.events.retryNow(name, now);
}
