import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TRANSITION_KINDS, type TransitionKind } from '../lifecycle/transition-kind.js';
import { unknownAttributeCounts } from '../http/unknown-attribute-counts.js';
import type { DeliveryHealthReader } from '../services/delivery-health.js';

/**
 * The Prometheus metrics of one server process (docs/monitoring.md). Counters count what this
 * process did since it started; gauges of backlogs and ages are read from the database when
 * scraped (through the delivery-health cache), and the engine is pinged on every scrape. A scrape
 * never fails because the engine is down: `scim_engine_up` is 0 then and the backlog gauges are
 * left out.
 */
export interface Metrics {
  /** One HTTP request answered (`status`), or whose connection closed before its answer was sent. */
  httpRequest(method: string, route: string, status: number | 'aborted', seconds: number): void;
  /** A request answered with an error of the catalogue (src/errors/catalogue.ts). */
  httpError(status: number, code: string): void;
  /** A stored change to a user, and how many grants it took away. */
  userTransition(kind: TransitionKind, grantsRevoked: number): void;
  /** One delivery attempt to a webhook and its outcome. */
  webhookAttempt(webhook: string, outcome: 'delivered' | 'failed'): void;
  /** One poll of an event stream: SETs returned, events acknowledged, errors the receiver reported. */
  streamPoll(tenant: string, stream: string, counts: { delivered: number; acknowledged: number; errorsReported: number }): void;
  /** The exposition text and its content type, after refreshing what is read on scrape. */
  scrape(): Promise<{ contentType: string; text: string }>;
}

export interface MetricsSources {
  /** Resolves true when the engine answers (within a bounded time). */
  engineUp(): Promise<boolean>;
  health: DeliveryHealthReader;
  /** The configured webhooks: their counters start at 0. */
  webhookNames: readonly string[];
  /** Node process metrics (CPU, memory, event loop, GC); off in tests that build several apps. */
  processMetrics?: boolean;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Long polls (up to EVENT_STREAM_LONG_POLL_SECONDS) and REQUEST_TIMEOUT_MS (30 s) fit in the top buckets. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  if (sources.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({ name: 'scim_http_requests_total', help: 'HTTP requests by method, route pattern and status ("aborted": the connection closed before the answer was sent).', labelNames: ['method', 'route', 'status'], registers });
  const latency = new Histogram({ name: 'scim_http_request_duration_seconds', help: 'Time from receiving a request to finishing its answer, by method, route pattern and status.', labelNames: ['method', 'route', 'status'], buckets: LATENCY_BUCKETS, registers });
  const errors = new Counter({ name: 'scim_http_errors_total', help: 'Requests answered with an error, by status and error code (src/errors/catalogue.ts): 401 unauthorized, 403 insufficientScope, 412 preconditionFailed, 429 tooManyRequests, 503 unavailable/deadlineExceeded/expensiveQueriesBusy.', labelNames: ['status', 'code'], registers });
  const transitions = new Counter({ name: 'scim_lifecycle_transitions_total', help: 'Stored changes to users by lifecycle moment: joiner, mover, leaver, rehire, delete.', labelNames: ['kind'], registers });
  const revoked = new Counter({ name: 'scim_lifecycle_grants_revoked_total', help: 'Grants (roles and permissions) taken away from users, by the lifecycle moment that took them.', labelNames: ['kind'], registers });
  const relayBacklog = new Gauge({ name: 'scim_relay_backlog_documents', help: 'Users and groups holding audit entries and events not yet relayed to the audit trail and event log, by resource type.', labelNames: ['resource'], registers });
  const relayAge = new Gauge({ name: 'scim_relay_oldest_pending_seconds', help: 'Age of the oldest change whose entries are not yet relayed, by resource type (0 when none waits).', labelNames: ['resource'], registers });
  const deliveries = new Counter({ name: 'scim_webhook_deliveries_total', help: 'Webhook delivery attempts made by this process, by webhook and outcome (delivered, failed).', labelNames: ['webhook', 'outcome'], registers });
  const webhookBacklog = new Gauge({ name: 'scim_webhook_backlog', help: 'Events not yet delivered to each configured webhook.', labelNames: ['webhook'], registers });
  const webhookAge = new Gauge({ name: 'scim_webhook_oldest_undelivered_seconds', help: 'Age of the oldest event not yet delivered to each configured webhook (0 when none waits).', labelNames: ['webhook'], registers });
  const streamDelivered = new Counter({ name: 'scim_stream_sets_delivered_total', help: 'Security Event Tokens returned by event-stream polls answered by this process.', labelNames: ['tenant', 'stream'], registers });
  const streamAcks = new Counter({ name: 'scim_stream_acknowledgements_total', help: 'Events acknowledged by event-stream receivers through this process.', labelNames: ['tenant', 'stream'], registers });
  const streamErrors = new Counter({ name: 'scim_stream_errors_reported_total', help: 'Events event-stream receivers reported as errors (setErrs) through this process.', labelNames: ['tenant', 'stream'], registers });
  const streamBacklog = new Gauge({ name: 'scim_stream_backlog', help: 'Events not yet acknowledged in each event stream.', labelNames: ['tenant', 'stream'], registers });
  const streamAge = new Gauge({ name: 'scim_stream_oldest_unacknowledged_seconds', help: 'Age of the oldest unacknowledged event in each event stream (0 when none waits).', labelNames: ['tenant', 'stream'], registers });
  const unknownAttributes = new Counter({ name: 'scim_unknown_attributes_total', help: 'Attributes no registered schema defines, ignored (or refused, with UNKNOWN_ATTRIBUTES=reject) by this process, by resource type and path.', labelNames: ['resource', 'path'], registers });
  const engineUp = new Gauge({ name: 'scim_engine_up', help: 'Whether the database engine answered a ping during this scrape (1) or not (0).', registers });

  // Series that exist from the start, so that a rate over them is defined before the first event.
  for (const kind of TRANSITION_KINDS) {
    transitions.inc({ kind }, 0);
    revoked.inc({ kind }, 0);
  }
  for (const webhook of sources.webhookNames) for (const outcome of ['delivered', 'failed']) deliveries.inc({ webhook, outcome }, 0);

  let scraping: Promise<unknown> = Promise.resolve();

  async function refresh(): Promise<void> {
    unknownAttributes.reset();
    for (const { resource, path, count } of unknownAttributeCounts()) unknownAttributes.inc({ resource, path }, count);
    const up = await sources.engineUp();
    engineUp.set(up ? 1 : 0);
    for (const gauge of [relayBacklog, relayAge, webhookBacklog, webhookAge, streamBacklog, streamAge]) gauge.reset();
    if (!up) return;
    const health = await sources.health.read().catch(() => undefined);
    if (!health) return;
    for (const [resource, relay] of Object.entries(health.relay)) {
      relayBacklog.set({ resource }, relay.backlog);
      relayAge.set({ resource }, relay.oldestPendingSeconds ?? 0);
    }
    for (const webhook of health.webhooks) {
      webhookBacklog.set({ webhook: webhook.name }, webhook.backlog);
      webhookAge.set({ webhook: webhook.name }, webhook.oldestUndeliveredSeconds ?? 0);
    }
    for (const stream of health.streams) {
      const labels = { tenant: stream.tenant, stream: stream.name };
      streamBacklog.set(labels, stream.backlog);
      streamAge.set(labels, stream.oldestUnacknowledgedAgeSeconds ?? 0);
    }
  }

  return {
    httpRequest(method, route, status, seconds) {
      const labels = { method: METHODS.has(method) ? method : 'OTHER', route, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
    httpError(status, code) {
      errors.inc({ status: String(status), code });
    },
    userTransition(kind, grantsRevoked) {
      transitions.inc({ kind });
      if (grantsRevoked > 0) revoked.inc({ kind }, grantsRevoked);
    },
    webhookAttempt(webhook, outcome) {
      deliveries.inc({ webhook, outcome });
    },
    streamPoll(tenant, stream, counts) {
      const labels = { tenant, stream };
      streamDelivered.inc(labels, counts.delivered);
      streamAcks.inc(labels, counts.acknowledged);
      streamErrors.inc(labels, counts.errorsReported);
    },
    scrape() {
      // One at a time: a refresh resets the gauges it sets, which a concurrent scrape must not see.
      const run = scraping.then(async () => {
        await refresh();
        return { contentType: registry.contentType, text: await registry.metrics() };
      });
      scraping = run.catch(() => undefined);
      return run;
    },
  };
}
