import express, { Router } from 'express';
import { ScimError } from '../../errors/scim-error.js';
import type { Policy } from '../../lifecycle/policy/types.js';
import { MAX_JSON_DEPTH } from '../../scim/limits.js';
import { draftJson, draftPolicy, policyWhatIf, policyWhatIfCsv } from '../../services/policy-what-if.js';
import type { Storage } from '../../store/contract.js';
import { bodyErrorToScim, JSON_TYPES, nestedDeeperThan, requireJsonContentType } from '../middleware/json-body.js';
import { principalOf } from '../middleware/authenticate.js';
import { queryParameters } from '../query-parameters.js';
import { sendStreamed } from '../streamed-response.js';

/** A policy of thousands of rules fits; a draft is an operator's file, not a bulk upload. */
const MAX_DRAFT_BYTES = 1024 * 1024;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1000;

/**
 * POST /admin/policy/what-if?limit=&format=json|csv (mounted behind audit:read), body = a draft
 * policy file: see services/policy-what-if.ts. Nothing is written. The body is read as text and
 * parsed by the policy loader, so a draft is judged exactly as POLICY_FILE is at start-up (a
 * syntax error names its line and column).
 */
export function policyWhatIfRoutes(storage: Storage, policy: Policy): Router {
  const router = Router();
  router.use('/what-if', requireJsonContentType, express.text({ type: JSON_TYPES, limit: MAX_DRAFT_BYTES }), bodyErrorToScim);
  router.post('/what-if', async (req, res) => {
    const parameters = queryParameters(req.query, ['limit', 'format']);
    const limit = parameters.wholeNumber('limit', DEFAULT_LIMIT, 0, MAX_LIMIT);
    const format = parameters.oneOf('format', ['json', 'csv']) ?? (req.accepts(['application/json', 'text/csv']) === 'text/csv' ? 'csv' : 'json');
    const json = draftJson(typeof req.body === 'string' ? req.body : '');
    // The validator walks conditions recursively: a body nested without end must not reach it.
    if (nestedDeeperThan(json, MAX_JSON_DEPTH)) throw new ScimError('invalidSyntax', `The draft policy nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`);
    const draft = draftPolicy(json);
    const tenant = principalOf(res).tenant;
    if (format === 'csv') {
      await sendStreamed(res, 200, 'text/csv; charset=utf-8', policyWhatIfCsv(storage, draft, tenant), { 'Content-Disposition': 'attachment; filename="policy-what-if.csv"' });
      return;
    }
    res.status(200).json(await policyWhatIf(storage, policy, draft, { tenant, limit }));
  });
  return router;
}
