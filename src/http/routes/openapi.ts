import { Router } from 'express';
import { openApiDocument } from '../openapi/document.js';

/**
 * GET /openapi.json: the API description, unauthenticated like the probes. It describes endpoints
 * and bodies, never data: no tenant, extension attribute or limit value of this deployment.
 */
export function openApiRoutes(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(openApiDocument());
  });
  return router;
}
