import { Router } from 'express';
import type { PolicyException, Storage } from '../../store/contract.js';
import { principalOf } from '../middleware/authenticate.js';
import { queryParameters } from '../query-parameters.js';

export function policyExceptionView(exception: PolicyException, now: Date): Record<string, unknown> {
  return {
    userId: exception.userId,
    role: exception.role,
    reason: exception.reason,
    expiresAt: exception.expiresAt?.toISOString() ?? null,
    inForce: !exception.expiresAt || exception.expiresAt.getTime() > now.getTime(),
    createdBy: exception.createdBy,
    createdAt: exception.createdAt.toISOString(),
    campaignId: exception.campaignId,
    itemId: exception.itemId,
  };
}

/**
 * GET /admin/policy/exceptions[?userId=] (mounted behind audit:read): the roles policy does not
 * grant back because an access review revoked them (docs/governance.md), by user and role, expired
 * ones included with `inForce: false`. An auditor needs them to read the access review: a role the
 * rules give but the user does not hold is either drift or one of these.
 */
export function policyExceptionRoutes(storage: Storage): Router {
  const router = Router();
  router.get('/exceptions', async (req, res) => {
    const userId = queryParameters(req.query, ['userId']).text('userId');
    const tenant = principalOf(res).tenant;
    const exceptions = userId === undefined ? await storage.policyExceptions.list(tenant) : await storage.policyExceptions.ofUser(tenant, userId);
    const now = new Date();
    res.set('Cache-Control', 'no-store').json({ exceptions: exceptions.map((exception) => policyExceptionView(exception, now)) });
  });
  return router;
}
