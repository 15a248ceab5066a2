import { Router } from 'express';
import { ScimError } from '../../errors/scim-error.js';

/** Endpoints of RFC 7644 we do not offer yet answer 501 rather than 404, so clients can tell. */
export function unsupportedRoutes(): Router {
  const router = Router();
  router.all('/Me', () => {
    throw new ScimError('notImplemented', '/Me is not supported: tokens are not mapped to users');
  });
  return router;
}
