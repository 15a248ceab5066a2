import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { createLifecycle } from '../services/lifecycle.js';
import type { Storage } from '../store/contract.js';
import type { Policy } from './policy/types.js';
import type { LifecycleEvent } from './types.js';
import { webhooksFor } from './webhooks/webhook-config.js';
import { createWebhookWorker } from './webhooks/worker.js';

const SWEEP_INTERVAL_MS = 10_000;

export interface BackgroundWork {
  /** Stops sweeping and delivering, waits for deliveries in flight and gives up this process's leases. */
  stop(): Promise<void>;
}

export function routeEvents(config: Config): (event: LifecycleEvent) => string[] {
  return (event) => webhooksFor(event, config.webhooks);
}

/**
 * What runs beside the HTTP server: the sweep that relays entries a crash left in documents, and
 * the webhook delivery worker. Several processes may run both: relaying is idempotent and
 * deliveries are claimed under leases.
 */
export function startBackgroundWork(config: Config, storage: Storage, policy: Policy, log: (entry: Record<string, unknown>) => void): BackgroundWork {
  const lifecycle = createLifecycle({ storage, policy, webhooksFor: routeEvents(config), log });
  const sweep = setInterval(() => {
    lifecycle.sweep().catch((error: unknown) => log({ level: 'warn', msg: 'relay sweep failed', error: String(error) }));
  }, SWEEP_INTERVAL_MS);
  sweep.unref();
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
      clearInterval(sweep);
      await worker.stop();
    },
  };
}
