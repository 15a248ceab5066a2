import express, { Router } from 'express';
import type { Authenticator } from '../../auth/authenticator.js';
import { ScimError } from '../../errors/scim-error.js';
import type { Policy } from '../../lifecycle/policy/types.js';
import { accessReview, accessReviewCsv } from '../../services/access-review.js';
import type { EventStreamService } from '../../services/event-streams.js';
import type { Storage } from '../../store/contract.js';
import { authenticate, principalOf, requireScope } from '../middleware/authenticate.js';
import { bodyErrorToScim } from '../middleware/json-body.js';
import { streamAdminRoutes } from './admin-streams.js';
import { tokenRoutes } from './admin-tokens.js';

const MAX_AUDIT_ENTRIES = 1000;
const DEFAULT_STALE_DAYS = 90;

function positiveInteger(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) throw new ScimError('invalidValue', `"${name}" must be a whole number`);
  return Math.min(max, Number(value));
}

function optionalDate(value: unknown, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new ScimError('invalidValue', `"${name}" must be an ISO 8601 date-time`);
  return new Date(time);
}

function optionalText(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) throw new ScimError('invalidValue', `"${name}" must be a non-empty string`);
  return value;
}

/**
 * Everything here concerns the credential's own tenant only; a SCIM connector's token
 * (scim:read/scim:write) must not read the audit trail or manage tokens. The scope is checked
 * before a body is read.
 * GET /admin/audit?resource=&since=&limit= (audit:read): the audit trail, oldest first. Read-only:
 * nothing here or in SCIM can change or delete an entry.
 * GET /admin/access-review?staleDays=&format=json|csv (audit:read): see services/access-review.ts.
 * /admin/tokens (tokens:manage): see admin-tokens.ts.
 * /admin/streams (tokens:manage: a stream is read through the credentials bound to it): see admin-streams.ts.
 */
export function adminRoutes(storage: Storage, policy: Policy, authenticator: Authenticator, streams: EventStreamService): Router {
  const router = Router();
  router.use(authenticate(authenticator));

  router.get('/audit', requireScope('audit:read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const { tenant } = principalOf(res);
    const entries = await storage.audit.query({
      tenant,
      resourceId: optionalText(query['resource'], 'resource'),
      since: optionalDate(query['since'], 'since'),
      limit: positiveInteger(query['limit'], 'limit', 100, MAX_AUDIT_ENTRIES),
    });
    res.json({ tenant, count: entries.length, entries });
  });

  router.get('/access-review', requireScope('audit:read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const staleDays = positiveInteger(query['staleDays'], 'staleDays', DEFAULT_STALE_DAYS, 36_500);
    const format = optionalText(query['format'], 'format') ?? (req.accepts(['application/json', 'text/csv']) === 'text/csv' ? 'csv' : 'json');
    if (format !== 'json' && format !== 'csv') throw new ScimError('invalidValue', '"format" must be "json" or "csv"');
    const review = await accessReview(storage, policy, principalOf(res).tenant, staleDays);
    if (format === 'csv') {
      res.type('text/csv; charset=utf-8').set('Content-Disposition', 'attachment; filename="access-review.csv"').send(accessReviewCsv(review));
      return;
    }
    res.json(review);
  });

  router.use('/tokens', requireScope('tokens:manage'), express.json({ limit: 1024 }), bodyErrorToScim, tokenRoutes(storage.credentials, streams));
  router.use('/streams', requireScope('tokens:manage'), express.json({ limit: 4096 }), bodyErrorToScim, streamAdminRoutes(streams));

  router.all('/{*rest}', () => {
    throw new ScimError('notFound', 'No such admin endpoint');
  });
  return router;
}
