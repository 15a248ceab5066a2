import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { createServices } from '../services/wiring.js';
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

export interface BackgroundWork {
  /** Stops sweeping and delivering, waits for deliveries in flight and gives up this process's leases. */
  stop(): Promise<void>;
}

export function routeEvents(config: Config): (event: LifecycleEvent) => string[] {
  return (event) => webhooksFor(event, config.webhooks);
}

/**
 * What runs beside the HTTP server: the sweep that relays entries a crash left in documents (and
 * finishes the changes they record, deletes included), and the webhook delivery worker. Several processes may run both: relaying is idempotent and
 * deliveries are claimed under leases.
 */
export function startBackgroundWork(config: Config, storage: Storage, policy: Policy, log: (entry: Record<string, unknown>) => void): BackgroundWork {
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
  });
  if (config.webhooks.length > 0) worker.start();
  return {
    async stop() {
      stopped = true;
      clearTimeout(sweep);
      await worker.stop();
    },
  };
}
