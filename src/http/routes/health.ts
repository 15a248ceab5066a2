import { Router } from 'express';
import type { Storage } from '../../store/contract.js';

/** Probes for orchestrators: liveness says the process answers, readiness that the engine does. */
export function healthRoutes(storage: Storage): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await storage.ping();
      res.json({ status: 'ready' });
    } catch {
      res.status(503).set('Retry-After', '5').json({ status: 'unavailable', detail: 'the identity store is not reachable' });
    }
  });
  return router;
}
