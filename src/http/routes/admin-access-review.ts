import { Router } from 'express';
import type { Policy } from '../../lifecycle/policy/types.js';
import { accessReviewCsv, accessReviewJson } from '../../services/access-review.js';
import type { Storage } from '../../store/contract.js';
import { principalOf } from '../middleware/authenticate.js';
import { queryParameters } from '../query-parameters.js';
import { sendStreamed } from '../streamed-response.js';

const DEFAULT_STALE_DAYS = 90;

/**
 * GET /admin/access-review?staleDays=&format=json|csv (mounted behind audit:read): see
 * services/access-review.ts. Streamed as it is computed; CSV also for `Accept: text/csv`.
 */
export function accessReviewRoutes(storage: Storage, policy: Policy): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const parameters = queryParameters(req.query, ['staleDays', 'format']);
    const request = { tenant: principalOf(res).tenant, staleDays: parameters.wholeNumber('staleDays', DEFAULT_STALE_DAYS, 0, 36_500) };
    const format = parameters.oneOf('format', ['json', 'csv']) ?? (req.accepts(['application/json', 'text/csv']) === 'text/csv' ? 'csv' : 'json');
    if (format === 'csv') {
      await sendStreamed(res, 200, 'text/csv; charset=utf-8', accessReviewCsv(storage, policy, request), { 'Content-Disposition': 'attachment; filename="access-review.csv"' });
      return;
    }
    await sendStreamed(res, 200, 'application/json; charset=utf-8', accessReviewJson(storage, policy, request));
  });
  return router;
}
