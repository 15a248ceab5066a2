import express, { type Express } from 'express';
import type { Authenticator } from './auth/authenticator.js';
import type { Config } from './config.js';
import { ScimError } from './errors/scim-error.js';
import { groupEndpoint } from './http/endpoints/groups.js';
import { userEndpoint } from './http/endpoints/users.js';
import { authenticate } from './http/middleware/authenticate.js';
import { authoriseScimRequest } from './http/middleware/authorise.js';
import { assignRequestId } from './http/middleware/request-context.js';
import { recordRouteTemplate } from './http/middleware/route-template.js';
import { acceptTraceContext } from './http/middleware/trace-context.js';
import { errorHandler } from './http/middleware/error-handler.js';
import { bodyErrorToScim, jsonBodyParser, requireJsonContentType } from './http/middleware/json-body.js';
import { rejectMalformedPath } from './http/middleware/path-encoding.js';
import { rateLimit } from './http/middleware/rate-limit.js';
import { readBudget } from './http/middleware/read-budget.js';
import { requestLog } from './http/middleware/request-log.js';
import { securityHeaders } from './http/middleware/security-headers.js';
import { createLogger, logTo, type Log } from './http/logging.js';
import { queryPathLimits, withPatchLimits } from './http/request-limits.js';
import { createUnknownAttributeReporter, withUnknownAttributes } from './http/unknown-attributes.js';
import { discoveryRoutes } from './http/routes/discovery.js';
import { healthRoutes } from './http/routes/health.js';
import { resourceRoutes } from './http/routes/resource-routes.js';
import { rootSearchRoutes } from './http/routes/root-search.js';
import { bulkRoutes } from './http/routes/bulk.js';
import { adminRoutes } from './http/routes/admin.js';
import { streamPollRoutes } from './http/routes/stream-poll.js';
import { unsupportedRoutes } from './http/routes/unsupported.js';
import { SCIM_BASE_PATH } from './http/scim-response.js';
import { createEventStreamService } from './services/event-streams.js';
import { createDeliveryHealth, type DeliveryHealthReader } from './services/delivery-health.js';
import { openApiRoutes } from './http/routes/openapi.js';
import { CONSOLE_BASE } from './console/layout.js';
import { consoleRoutes } from './console/routes.js';
import type { Metrics } from './metrics/metrics.js';
import { transitionMetricsHook } from './metrics/lifecycle-hook.js';
import { DEFAULT_ISSUER } from './lifecycle/webhooks/payload.js';
import { CURSOR_SECRET, createCursorCodec } from './scim/cursor.js';
import type { Storage } from './store/contract.js';
import type { Policy } from './lifecycle/policy/types.js';
import type { LifecycleEvent } from './lifecycle/types.js';
import type { LifecycleHooks } from './services/lifecycle.js';
import { createServices } from './services/wiring.js';

export interface AppDeps {
  config: Config;
  storage: Storage;
  authenticator: Authenticator;
  policy: Policy;
  /** The webhooks subscribed to an event; none by default. */
  webhooksFor?: (event: LifecycleEvent) => string[];
  /** Wakes the delivery worker after events are stored. */
  onEvents?: () => void;
  hooks?: Partial<LifecycleHooks>;
  /** Structured log entries (pino JSON lines on stderr by default); tests pass a collector. */
  log?: Log;
  /** Aborted when the process begins to stop: event-stream polls held waiting answer at once. */
  shutdown?: AbortSignal;
  /** Counts requests, lifecycle transitions and stream polls; none by default. */
  metrics?: Metrics;
  /** What /readyz reports of deliveries; by default read from `storage` for the configured webhooks. */
  health?: DeliveryHealthReader;
}

/** Builds the HTTP application without listening, so tests run it in-process. */
export function createApp(deps: AppDeps): Express {
  const { config, storage, authenticator, policy, webhooksFor = () => [], onEvents, hooks = {}, log = logTo(createLogger()), shutdown = new AbortController().signal, metrics } = deps;
  const health = deps.health ?? createDeliveryHealth(storage, config.webhooks.map((webhook) => webhook.name));
  const streams = createEventStreamService({
    storage,
    issuer: config.publicBaseUrl ?? DEFAULT_ISSUER,
    longPollMs: config.eventStreamLongPollMs,
    log,
    ...(metrics ? { onPoll: (stream, counts) => metrics.streamPoll(stream.tenant, stream.name, counts) } : {}),
  });
  const eventsStored = () => {
    streams.notify();
    onEvents?.();
  };
  const postPersist = [...(metrics ? [transitionMetricsHook(metrics)] : []), ...(hooks.postPersist ?? [])];
  const { users, groups } = createServices({ storage, policy, webhooksFor, hooks: { ...hooks, postPersist }, log, onEvents: eventsStored });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(securityHeaders);
  app.use(assignRequestId);
  app.use(acceptTraceContext);
  app.use(recordRouteTemplate);
  app.use(requestLog(log, metrics));
  app.use(rejectMalformedPath);
  app.use(healthRoutes(storage, health));
  app.use(openApiRoutes());

  const { limits } = config;
  const scim = express.Router();
  scim.use(authenticate(authenticator));
  scim.use(rateLimit(config.rateLimit));
  scim.use(readBudget({ ...config.requestBounds, maxFilterCandidates: limits.maxFilterCandidates }));
  scim.use(authoriseScimRequest);
  scim.use(requireJsonContentType);
  // Bulk accepts a larger body than other endpoints; it is parsed first, so the general parser skips it.
  scim.use('/Bulk', jsonBodyParser(limits.maxBulkPayloadBytes));
  scim.use(jsonBodyParser(limits.maxBodyBytes), bodyErrorToScim);
  scim.use(queryPathLimits(limits));
  scim.use(discoveryRoutes(config));
  scim.use(unsupportedRoutes());
  const unknownAttributes = createUnknownAttributeReporter(log, config.unknownAttributes);
  const endpoints = [userEndpoint(users), groupEndpoint(groups)].map((endpoint) => withPatchLimits(withUnknownAttributes(endpoint, config.unknownAttributes, unknownAttributes), limits));
  scim.use(rootSearchRoutes(config, endpoints));
  scim.use(bulkRoutes(config, endpoints));
  const cursorKey = () => storage.secrets.get(CURSOR_SECRET);
  // Read (or created) at start, so that the first cursor request need not wait for it.
  cursorKey().catch(() => undefined);
  for (const endpoint of endpoints) scim.use(resourceRoutes(config, endpoint, cursorKey));
  app.use(SCIM_BASE_PATH, scim);
  app.use('/admin', adminRoutes(storage, policy, authenticator, streams));
  app.use('/streams', streamPollRoutes({ config, authenticator, streams, shutdown }));
  app.use(CONSOLE_BASE, consoleRoutes({ config, storage, policy, services: { users, groups }, streams, health, log, cursors: async () => createCursorCodec(await cursorKey()), onEvents }, authenticator));

  app.use(() => {
    throw new ScimError('notFound', 'No such endpoint');
  });
  app.use(errorHandler(log));
  return app;
}
