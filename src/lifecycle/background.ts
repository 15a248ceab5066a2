import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics/metrics.js';
import { createServices } from '../services/wiring.js';
import { purgeExpiredStreamEvents } from '../services/event-streams.js';
import type { Storage } from '../store/contract.js';
import type { Policy } from './policy/types.js';
import type { LifecycleEvent } from './types.js';
import { webhooksFor } from './webhooks/webhook-config.js';
import { createWebhookWorker } from './webhooks/worker.js';

/**
 * The sweep backs off while it finds nothing: from 10 s after start (a crash's leftovers) to every
 * 5 minutes (it once read every resource document on the embedded engine; since engine patch 0005 it
 * uses the `scalar_hasPending` index there too). Documents written in the last 30 s are left to the
 * request that wrote them, which relays their entries itself.
 */
const SWEEP_FIRST_MS = 10_000;
const SWEEP_MAX_MS = 300_000;
const SWEEP_GRACE_MS = 30_000;
/**
 * Event-stream retention (EVENT_STREAM_RETENTION_DAYS) is enforced by deleting what is older, since
 * FerretDB has no TTL indexes: a minute after start, then hourly. Every process may run it; a
 * delete of what another process deleted already removes nothing.
 */
const RETENTION_FIRST_MS = 60_000;
const RETENTION_EVERY_MS = 3_600_000;

export interface BackgroundWork {
  /** Stops sweeping and delivering, waits for deliveries in flight and gives up this process's leases. */
  stop(): Promise<void>;
}

export function routeEvents(config: Config): (event: LifecycleEvent) => string[] {
  return (event) => webhooksFor(event, config.webhooks);
}

/**
 * What runs beside the HTTP server: the sweep that relays entries a crash left in documents (and
 * finishes the changes they record, deletes included) and does the campaigns' work (closes at the
 * due date, reminders: so a due campaign closes within SWEEP_MAX_MS), the webhook delivery worker
 * and event-stream retention. Several processes may run all three: relaying is idempotent, deliveries are claimed
 * under leases, and retention only deletes.
 */
export function startBackgroundWork(config: Config, storage: Storage, policy: Policy, log: (entry: Record<string, unknown>) => void, metrics?: Metrics): BackgroundWork {
  const { sweep: relaySweep } = createServices({ storage, policy, webhooksFor: routeEvents(config), log });
  let sweep: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    sweep = setTimeout(async () => {
      const handled = await relaySweep(new Date(Date.now() - SWEEP_GRACE_MS)).catch((error: unknown) => {
        log({ level: 'warn', msg: 'relay sweep failed', error: String(error) });
        return 0;
      });
      schedule(handled > 0 ? SWEEP_FIRST_MS : Math.min(SWEEP_MAX_MS, delayMs * 2));
    }, delayMs);
    sweep.unref();
  };
  schedule(SWEEP_FIRST_MS);
  const purge = async () => {
    const purged = await purgeExpiredStreamEvents(storage, config.eventStreamRetentionDays).catch((error: unknown) => {
      log({ level: 'warn', msg: 'event stream retention failed', error: String(error) });
      return 0;
    });
    if (purged > 0) log({ level: 'info', msg: 'event stream retention', removed: purged, retentionDays: config.eventStreamRetentionDays });
  };
  let retention: NodeJS.Timeout | undefined = setTimeout(() => {
    void purge();
    retention = setInterval(() => void purge(), RETENTION_EVERY_MS).unref();
  }, RETENTION_FIRST_MS).unref();
  const worker = createWebhookWorker({
    events: storage.events,
    webhooks: config.webhooks,
    owner: `${hostname()}:${process.pid}:${randomUUID()}`,
    log: (message) => log({ level: 'warn', msg: message, component: 'webhooks' }),
    pollMs: config.webhookPollMs,
    timeoutMs: config.webhookTimeoutMs,
    // A lease must outlive the request it covers, or another process could repeat a slow delivery.
    leaseMs: 3 * config.webhookTimeoutMs,
    maxBackoffMs: config.webhookMaxBackoffMs,
    ...(config.publicBaseUrl ? { issuer: config.publicBaseUrl } : {}),
    ...(metrics ? { onAttempt: (webhook: string, outcome: 'delivered' | 'failed') => metrics.webhookAttempt(webhook, outcome) } : {}),
  });
  if (config.webhooks.length > 0) worker.start();
  return {
    async stop() {
      stopped = true;
      clearTimeout(sweep);
      // Node's timers are one type: this stops the first run or the hourly interval, whichever is set.
      clearTimeout(retention);
      await worker.stop();
    },
  };
}
