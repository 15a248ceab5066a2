import { streamMetrics, type StreamMetrics } from './event-streams.js';
import type { RelayBacklog, ResourceKind, Storage } from '../store/contract.js';

/**
 * What is still owed, for /readyz and the metrics: entries not yet relayed from their documents,
 * deliveries not yet accepted by each configured webhook, events not yet acknowledged in each event
 * stream. Every figure comes from an index (counts, and the oldest item by an indexed sort), and a
 * read is shared by every caller for `cacheMs`: probes and scrapes every few seconds cost one read.
 */
export interface DeliveryHealth {
  /** Per resource type: documents holding entries not relayed yet, and how long the oldest has waited. */
  relay: Record<ResourceKind, RelayHealth>;
  webhooks: WebhookHealth[];
  streams: StreamMetrics[];
}

export interface RelayHealth {
  backlog: number;
  oldestPendingSeconds: number | null;
}

export interface WebhookHealth {
  name: string;
  backlog: number;
  oldestUndeliveredSeconds: number | null;
  /** Why the oldest undelivered event's last attempt failed, as a class (never a URL or an address). */
  lastError?: string;
}

export interface DeliveryHealthReader {
  /** Rejects when the engine cannot be read (or takes longer than the time limit). */
  read(): Promise<DeliveryHealth>;
}

export const DELIVERY_HEALTH_CACHE_MS = 5_000;
/** A probe or a scrape must answer even while the engine hangs. */
export const DELIVERY_HEALTH_TIMEOUT_MS = 2_000;

function ageSeconds(since: Date | null, now: Date): number | null {
  return since ? Math.max(0, Math.floor((now.getTime() - since.getTime()) / 1000)) : null;
}

/**
 * The worker records a failure as `HTTP <status>`, `no response within <n> ms`, `webhook is not
 * configured`, or the network error (which may name hosts and addresses): /readyz is
 * unauthenticated, so only the class is shown; the log line of the attempt has the whole text.
 */
export function failureClass(error: string): string {
  if (/^HTTP \d{3}$/.test(error)) return error;
  if (error.startsWith('no response within')) return 'timeout';
  if (error === 'webhook is not configured') return error;
  return 'connection failed';
}

export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createDeliveryHealth(storage: Storage, webhookNames: readonly string[], options: { cacheMs?: number; now?: () => Date } = {}): DeliveryHealthReader {
  const cacheMs = options.cacheMs ?? DELIVERY_HEALTH_CACHE_MS;
  const now = options.now ?? (() => new Date());
  let cached: { at: number; value: Promise<DeliveryHealth> } | undefined;

  async function readNow(): Promise<DeliveryHealth> {
    const at = now();
    const [users, groups, webhooks, streams] = await Promise.all([
      storage.users.pendingBacklog(),
      storage.groups.pendingBacklog(),
      Promise.all(webhookNames.map(async (name) => ({ name, backlog: await storage.events.webhookBacklog(name) }))),
      streamMetrics(storage, at),
    ]);
    const relay = ({ documents, oldestWrittenAt }: RelayBacklog): RelayHealth => ({ backlog: documents, oldestPendingSeconds: ageSeconds(oldestWrittenAt, at) });
    return {
      relay: { User: relay(users), Group: relay(groups) },
      webhooks: webhooks.map(({ name, backlog }) => ({
        name,
        backlog: backlog.pending,
        oldestUndeliveredSeconds: ageSeconds(backlog.oldestOccurredAt, at),
        ...(backlog.oldestLastError !== undefined ? { lastError: failureClass(backlog.oldestLastError) } : {}),
      })),
      streams,
    };
  }

  return {
    read() {
      const at = Date.now();
      if (!cached || at - cached.at >= cacheMs) {
        const value = withTimeout(readNow(), DELIVERY_HEALTH_TIMEOUT_MS, 'delivery health');
        cached = { at, value };
        // A failed read is not kept: the next caller asks the engine again.
        value.catch(() => {
          if (cached?.value === value) cached = undefined;
        });
      }
      return cached.value;
    },
  };
}
