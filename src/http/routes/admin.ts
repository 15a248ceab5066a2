import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { tokensEqual } from '../../auth/tokens.js';
import type { Config } from '../../config.js';
import { ScimError } from '../../errors/scim-error.js';
import type { Policy } from '../../lifecycle/policy/types.js';
import { accessReview, accessReviewCsv } from '../../services/access-review.js';
import type { Storage } from '../../store/contract.js';

const MAX_AUDIT_ENTRIES = 1000;
const DEFAULT_STALE_DAYS = 90;

/** The admin API has a token of its own: a SCIM connector's token must not read the audit trail. */
function requireAdmin(config: Config) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!config.adminToken) {
      next(new ScimError('notFound', 'The admin API is disabled: set ADMIN_TOKEN to enable it'));
      return;
    }
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1] || !tokensEqual(match[1], config.adminToken)) {
      next(new ScimError('unauthorized', 'An admin bearer token is required', { 'WWW-Authenticate': 'Bearer realm="admin"' }));
      return;
    }
    next();
  };
}

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
 * GET /admin/audit?resource=&since=&limit= : the audit trail, oldest first. Read-only: nothing
 * here or in SCIM can change or delete an entry.
 * GET /admin/access-review?staleDays=&format=json|csv : see services/access-review.ts.
 */
export function adminRoutes(config: Config, storage: Storage, policy: Policy): Router {
  const router = Router();
  router.use(requireAdmin(config));
  router.use(express.json({ limit: 1024 }));

  router.get('/audit', async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const entries = await storage.audit.query({
      tenant: config.defaultTenant,
      resourceId: optionalText(query['resource'], 'resource'),
      since: optionalDate(query['since'], 'since'),
      limit: positiveInteger(query['limit'], 'limit', 100, MAX_AUDIT_ENTRIES),
    });
    res.json({ tenant: config.defaultTenant, count: entries.length, entries });
  });

  router.get('/access-review', async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const staleDays = positiveInteger(query['staleDays'], 'staleDays', DEFAULT_STALE_DAYS, 36_500);
    const format = optionalText(query['format'], 'format') ?? (req.accepts(['application/json', 'text/csv']) === 'text/csv' ? 'csv' : 'json');
    if (format !== 'json' && format !== 'csv') throw new ScimError('invalidValue', '"format" must be "json" or "csv"');
    const review = await accessReview(storage, policy, config.defaultTenant, staleDays);
    if (format === 'csv') {
      res.type('text/csv; charset=utf-8').set('Content-Disposition', 'attachment; filename="access-review.csv"').send(accessReviewCsv(review));
      return;
    }
    res.json(review);
  });

  router.all('/{*rest}', () => {
    throw new ScimError('notFound', 'No such admin endpoint');
  });
  return router;
}
