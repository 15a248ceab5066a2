import { Router } from 'express';
import { DELIVERY_HEALTH_TIMEOUT_MS, withTimeout, type DeliveryHealth, type DeliveryHealthReader } from '../../services/delivery-health.js';
import type { Storage } from '../../store/contract.js';

/**
 * What /readyz shows of the delivery health. The endpoint is unauthenticated, so nothing names a
 * tenant, a user or a stream (stream names are chosen per tenant): the streams are summed up, and
 * webhooks (named by the operator in WEBHOOKS) show only counts, ages and a class of failure.
 */
function oldest(ages: (number | null)[]): number | null {
  const known = ages.filter((age): age is number => age !== null);
  return known.length > 0 ? Math.max(...known) : null;
}

function publicView(health: DeliveryHealth) {
  const relays = Object.values(health.relay);
  return {
    relay: { backlog: relays.reduce((sum, relay) => sum + relay.backlog, 0), oldestPendingSeconds: oldest(relays.map((relay) => relay.oldestPendingSeconds)) },
    webhooks: health.webhooks,
    streams: {
      count: health.streams.length,
      backlog: health.streams.reduce((sum, stream) => sum + stream.backlog, 0),
      oldestUnacknowledgedSeconds: oldest(health.streams.map((stream) => stream.oldestUnacknowledgedAgeSeconds)),
    },
  };
}

/**
 * Probes for orchestrators: liveness says the process answers, readiness that the engine does
 * (200, else 503). A ready answer also says what is still owed (relay backlog, webhook deliveries,
 * event streams: docs/monitoring.md), read through a cache shared with the metrics, so probes
 * every few seconds cost the engine one cheap read per few seconds. A backlog never makes the
 * server unready: it serves requests either way, and restarting it would not deliver anything.
 */
export function healthRoutes(storage: Storage, health: DeliveryHealthReader): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await withTimeout(storage.ping(), DELIVERY_HEALTH_TIMEOUT_MS, 'engine ping');
    } catch {
      res.status(503).set('Retry-After', '5').json({ status: 'unavailable', engine: 'down', detail: 'the identity store is not reachable' });
      return;
    }
    const details = await health.read().then(publicView, () => ({ details: 'unavailable' as const }));
    res.set('Cache-Control', 'no-store').json({ status: 'ready', engine: 'up', ...details });
  });
  return router;
}
