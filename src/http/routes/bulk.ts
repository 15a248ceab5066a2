import { Router } from 'express';
import type { Config } from '../../config.js';
import { ScimError } from '../../errors/scim-error.js';
import {
  BULK_RESPONSE_SCHEMA,
  parseBulkRequest,
  referencedBulkIds,
  resolveBulkIds,
  type BulkOperation,
} from '../../scim/bulk-request.js';
import type { Rendered, ResourceEndpoint } from '../endpoints/endpoint.js';
import { toScimError } from '../middleware/error-handler.js';
import { contextOf } from '../middleware/request-context.js';
import { versionFromEtag } from '../preconditions.js';
import { baseUrlOf, sendScim } from '../scim-response.js';

interface OperationResult {
  method: string;
  bulkId?: string;
  location?: string;
  version?: string;
  status: string;
  response?: unknown;
}

interface Target {
  endpoint: ResourceEndpoint;
  id: string | undefined;
}

function findTarget(endpoints: readonly ResourceEndpoint[], path: string): Target | undefined {
  const match = /^\/?([^/]+)(?:\/([^/]+))?$/.exec(path);
  const endpoint = match && endpoints.find((candidate) => candidate.definition.endpoint.toLowerCase() === `/${match[1]!.toLowerCase()}`);
  return match && endpoint ? { endpoint, id: match[2] } : undefined;
}

function targetOf(endpoints: readonly ResourceEndpoint[], path: string): Target {
  const target = findTarget(endpoints, path);
  if (!target) throw new ScimError('invalidPath', `"${path}" is not a resource path`);
  return target;
}

/** Consecutive creates batched into one service call: one insert per collection instead of one each. */
const MAX_CREATE_BATCH = 200;

interface CreateBatch {
  endpoint: ResourceEndpoint;
  operations: BulkOperation[];
}

/**
 * The run of POSTs starting at `start` that can be created together: same batching endpoint, and
 * no operation refers to another of the run by bulkId (those must exist first, so they run alone).
 * Capped by what is left of failOnErrors, so that even if all of them fail, none runs past it.
 */
function createBatchAt(endpoints: readonly ResourceEndpoint[], operations: readonly BulkOperation[], start: number, max: number, created: ReadonlyMap<string, string>): CreateBatch | undefined {
  const batch: BulkOperation[] = [];
  let endpoint: ResourceEndpoint | undefined;
  for (const operation of operations.slice(start, start + max)) {
    if (operation.method !== 'POST' || !referencedBulkIds(operation).every((bulkId) => created.has(bulkId))) break;
    // An operation with a bad path runs alone, which answers it with its error.
    const target = findTarget(endpoints, operation.path);
    if (!target?.endpoint.createMany || target.id !== undefined || (endpoint && target.endpoint !== endpoint)) break;
    endpoint = target.endpoint;
    batch.push(operation);
  }
  return endpoint && batch.length > 1 ? { endpoint, operations: batch } : undefined;
}

const notPerformed = () => new ScimError('unavailable', 'Not performed: the identity store became unavailable during this bulk request; retry it');

/**
 * RFC 7644 §3.7: operations run in order through the same endpoints as single requests. When the
 * engine fails, the request stops there and every operation still gets its own answer: those done
 * keep theirs, the failing one (or each resource of a failing batch of creates) says whether it was
 * stored, and those after it are "not performed" (503); the response carries Retry-After.
 */
export function bulkRoutes(config: Config, endpoints: readonly ResourceEndpoint[]): Router {
  const router = Router();

  router.post('/Bulk', async (req, res) => {
    const request = parseBulkRequest(req.body, config.limits);
    const ctx = contextOf(res);
    const baseUrl = baseUrlOf(config, req);
    const createdIds = new Map<string, string>();

    async function run(operation: BulkOperation): Promise<OperationResult> {
      const unresolved = referencedBulkIds(operation).filter((bulkId) => !createdIds.has(bulkId));
      if (unresolved.length > 0) throw new ScimError('unresolvedReference', `bulkId ${unresolved.join(', ')} does not name a resource created earlier in this request`);
      const resolved = resolveBulkIds(operation, createdIds);
      const { endpoint, id } = targetOf(endpoints, resolved.path);
      const expected = versionFromEtag(resolved.version);
      if (resolved.method === 'POST') {
        if (id !== undefined) throw new ScimError('invalidPath', 'POST targets a resource type endpoint such as /Users');
        const created = await endpoint.create(ctx, resolved.data, baseUrl);
        createdIds.set(resolved.bulkId!, created.location.slice(created.location.lastIndexOf('/') + 1));
        return { method: 'POST', status: '201', location: created.location, version: created.etag };
      }
      if (id === undefined) throw new ScimError('invalidPath', `${resolved.method} targets one resource such as /Users/{id}`);
      if (resolved.method === 'DELETE') {
        await endpoint.delete(ctx, id, expected);
        return { method: 'DELETE', status: '204' };
      }
      if (resolved.method === 'PATCH') {
        const patched = await endpoint.patch(ctx, id, resolved.data, expected, baseUrl);
        return { method: 'PATCH', status: endpoint.patchReturnsResource ? '200' : '204', location: patched.location, version: patched.etag };
      }
      const replaced = await endpoint.replace(ctx, id, resolved.data, expected, baseUrl);
      return { method: 'PUT', status: '200', location: replaced.location, version: replaced.etag };
    }

    const results: OperationResult[] = [];
    let errors = 0;
    let engineFailed = false;
    const budget = () => (request.failOnErrors === undefined ? MAX_CREATE_BATCH : request.failOnErrors - errors);

    /** An operation's own failure; an engine failure also stops the request. Any other 5xx is a bug and fails the whole request. */
    function failed(operation: BulkOperation, error: unknown): OperationResult {
      const scimError = toScimError(error);
      if (scimError.code === 'unavailable') engineFailed = true;
      else if (scimError.status >= 500) throw error;
      errors += 1;
      return { method: operation.method, ...(operation.bulkId ? { bulkId: operation.bulkId } : {}), status: String(scimError.status), response: scimError.toBody() };
    }

    async function runBatch({ endpoint, operations }: CreateBatch): Promise<OperationResult[]> {
      let outcomes: (Rendered | ScimError)[];
      try {
        outcomes = await endpoint.createMany!(ctx, operations.map((operation) => resolveBulkIds(operation, createdIds).data), baseUrl);
      } catch (error) {
        // The store answers an engine failure per resource; one thrown means the batch failed before anything was stored.
        if (toScimError(error).code !== 'unavailable') throw error;
        return operations.map((operation) => failed(operation, notPerformed()));
      }
      return operations.map((operation, index) => {
        const outcome = outcomes[index]!;
        if (outcome instanceof ScimError) return failed(operation, outcome);
        createdIds.set(operation.bulkId!, outcome.location.slice(outcome.location.lastIndexOf('/') + 1));
        return { method: 'POST', bulkId: operation.bulkId!, status: '201', location: outcome.location, version: outcome.etag };
      });
    }

    let next = 0;
    while (next < request.operations.length && budget() > 0 && !engineFailed) {
      const batch = createBatchAt(endpoints, request.operations, next, Math.min(MAX_CREATE_BATCH, budget()), createdIds);
      if (batch) {
        results.push(...(await runBatch(batch)));
        next += batch.operations.length;
        continue;
      }
      const operation = request.operations[next] as BulkOperation;
      next += 1;
      try {
        results.push({ ...(await run(operation)), ...(operation.bulkId ? { bulkId: operation.bulkId } : {}) });
      } catch (error) {
        results.push(failed(operation, error));
      }
    }
    if (engineFailed) {
      for (const operation of request.operations.slice(next)) results.push(failed(operation, notPerformed()));
      res.set('Retry-After', '5');
    }
    sendScim(res, 200, { schemas: [BULK_RESPONSE_SCHEMA], Operations: results });
  });

  return router;
}
