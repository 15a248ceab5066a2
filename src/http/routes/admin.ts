import express, { Router } from 'express';
import type { Authenticator } from '../../auth/authenticator.js';
import { ScimError } from '../../errors/scim-error.js';
import type { Policy } from '../../lifecycle/policy/types.js';
import type { CampaignService } from '../../services/campaigns.js';
import type { EventStreamService } from '../../services/event-streams.js';
import type { Storage } from '../../store/contract.js';
import { authenticate, requireScope } from '../middleware/authenticate.js';
import { bodyErrorToScim } from '../middleware/json-body.js';
import { accessReviewRoutes } from './admin-access-review.js';
import { auditRoutes } from './admin-audit.js';
import { policyExceptionRoutes } from './admin-policy-exceptions.js';
import { policyWhatIfRoutes } from './admin-policy-what-if.js';
import { campaignRoutes, reviewRoutes } from './admin-campaigns.js';
import { streamAdminRoutes } from './admin-streams.js';
import { tokenRoutes } from './admin-tokens.js';

/**
 * Everything here concerns the credential's own tenant only; a SCIM connector's token
 * (scim:read/scim:write) must not read the audit trail or manage tokens. The scope is checked
 * before a body is read.
 * /admin/audit (audit:read): the audit trail, see admin-audit.ts. Read-only: nothing here or in
 * SCIM can change or delete an entry.
 * /admin/access-review (audit:read): see admin-access-review.ts.
 * /admin/policy/what-if (audit:read: it reads who holds what, and writes nothing): see admin-policy-what-if.ts.
 * /admin/policy/exceptions (audit:read): the roles access reviews withheld, see admin-policy-exceptions.ts.
 * /admin/tokens (tokens:manage): see admin-tokens.ts.
 * /admin/streams (tokens:manage: a stream is read through the credentials bound to it): see admin-streams.ts.
 * /admin/campaigns (campaigns:manage) and /admin/reviews (campaigns:review): see admin-campaigns.ts.
 */
export function adminRoutes(storage: Storage, policy: Policy, authenticator: Authenticator, streams: EventStreamService, campaigns: CampaignService): Router {
  const router = Router();
  router.use(authenticate(authenticator));

  router.use('/audit', requireScope('audit:read'), auditRoutes(storage));
  router.use('/access-review', requireScope('audit:read'), accessReviewRoutes(storage, policy));
  router.use('/policy', requireScope('audit:read'), policyWhatIfRoutes(storage, policy), policyExceptionRoutes(storage));
  router.use('/tokens', requireScope('tokens:manage'), express.json({ limit: 1024 }), bodyErrorToScim, tokenRoutes(storage.credentials, streams));
  router.use('/streams', requireScope('tokens:manage'), express.json({ limit: 4096 }), bodyErrorToScim, streamAdminRoutes(streams));
  router.use('/campaigns', requireScope('campaigns:manage'), campaignRoutes(campaigns, storage.credentials));
  router.use('/reviews', requireScope('campaigns:review'), reviewRoutes(campaigns));

  router.all('/{*rest}', () => {
    throw new ScimError('notFound', 'No such admin endpoint');
  });
  return router;
}
