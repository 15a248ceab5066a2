import type { Delivery, EventStore } from '../../store/contract.js';
import { DEFAULT_ISSUER, payloadFor } from './payload.js';
import { signatureHeaders } from './signature.js';
import type { WebhookConfig } from './webhook-config.js';

export interface WebhookWorkerOptions {
  events: EventStore;
  webhooks: readonly WebhookConfig[];
  /** Unique per process (e.g. host, pid and a random part): leases are held under it. */
  owner: string;
  log: (message: string) => void;
  fetch?: typeof fetch;
  now?: () => Date;
  pollMs: number;
  /** Must exceed timeoutMs, so a lease outlives the request it covers. */
  leaseMs: number;
  timeoutMs: number;
  maxBackoffMs: number;
  /** The first retry's backoff ceiling; doubles per failed attempt. Default 1 s. */
  baseBackoffMs?: number;
  /** Deliveries posted at once; also how many are claimed at a time. Default 8. */
  concurrency?: number;
  /** The SET issuer (PUBLIC_BASE_URL); default urn:scim-identity-server. */
  issuer?: string;
  /** Told of each attempt's outcome once it is recorded (metrics). */
  onAttempt?: (webhook: string, outcome: 'delivered' | 'failed') => void;
}

export interface WebhookWorker {
  start(): void;
  /** Stops claiming, waits for in-flight requests and their outcomes, then releases this owner's leases. */
  stop(): Promise<void>;
  /**
   * Delivers until nothing is due or a round delivers nothing (every attempt failed), so it ends
   * even when retries come due faster than a round takes (tests).
   */
  drain(): Promise<void>;
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no response within ${timeoutMs} ms`;
  if (!(error instanceof Error)) return String(error);
  // fetch reports "fetch failed"; the reason (ECONNREFUSED, a TLS error…) is its cause.
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/**
 * At-least-once delivery of lifecycle events to webhooks. Ordering per subject and cross-process
 * exclusivity come from EventStore.claim; this loop posts what it is given and records outcomes.
 * A failure of any kind is retried with exponential backoff and full jitter, never dropped.
 */
export function createWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { events, owner, log, pollMs, leaseMs, timeoutMs, maxBackoffMs } = options;
  if (leaseMs <= timeoutMs) throw new Error('leaseMs must exceed timeoutMs: a lease must outlive the request it covers');
  const webhooks = new Map(options.webhooks.map((webhook) => [webhook.name, webhook]));
  const post = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const baseBackoffMs = options.baseBackoffMs ?? 1_000;
  const concurrency = options.concurrency ?? 8;
  const issuer = options.issuer ?? DEFAULT_ISSUER;

  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  /** undefined on a 2xx response; otherwise why the attempt failed. */
  async function send(webhook: WebhookConfig, delivery: Delivery): Promise<string | undefined> {
    try {
      const at = now();
      const payload = await payloadFor(delivery.event, webhook, { issuer, now: at });
      const response = await post(webhook.url, {
        method: 'POST',
        headers: { 'Content-Type': payload.contentType, ...signatureHeaders([webhook.secret, ...(webhook.previousSecrets ?? [])], delivery.event.id, payload.body, at) },
        body: payload.body,
        // A redirect is a failure to retry, not an instruction to send the event elsewhere.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      return describeFailure(error, timeoutMs);
    }
  }

  /** True when delivered. */
  async function deliver(delivery: Delivery): Promise<boolean> {
    const webhook = webhooks.get(delivery.webhook);
    // A webhook removed from WEBHOOKS keeps its deliveries: they wait until it is configured again.
    const failure = webhook ? await send(webhook, delivery) : 'webhook is not configured';
    if (failure === undefined) {
      await events.markDelivered(delivery.id, owner, now());
      options.onAttempt?.(delivery.webhook, 'delivered');
      return true;
    }
    const delayMs = Math.floor(Math.random() * Math.min(maxBackoffMs, baseBackoffMs * 2 ** delivery.attempts));
    log(`webhook ${delivery.webhook}: ${delivery.event.type} ${delivery.event.id} failed (attempt ${delivery.attempts + 1}: ${failure}); retry in ${delayMs} ms`);
    await events.markFailed(delivery.id, owner, new Date(now().getTime() + delayMs), failure);
    options.onAttempt?.(delivery.webhook, 'failed');
    return false;
  }

  /** One claim and its deliveries. */
  async function round(): Promise<{ claimed: number; delivered: number }> {
    const batch = await events.claim(owner, now(), leaseMs, concurrency);
    const outcomes = await Promise.all(batch.map(deliver));
    return { claimed: batch.length, delivered: outcomes.filter(Boolean).length };
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function run(): Promise<void> {
    while (running) {
      let claimed = 0;
      try {
        ({ claimed } = await round());
      } catch (error) {
        log(`webhook delivery: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (claimed === 0 && running) await pause(pollMs);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = undefined;
      // Releasing lets another process take over at once; when the database is unreachable the
      // leases simply expire, so stopping must not fail on it.
      await events.release(owner).catch((error: unknown) => log(`delivery leases not released on stop (they expire): ${String(error)}`));
    },
    async drain() {
      for (;;) if ((await round()).delivered === 0) return;
    },
  };
}
