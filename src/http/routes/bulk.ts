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
import type { ResourceEndpoint } from '../endpoints/endpoint.js';
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

function targetOf(endpoints: readonly ResourceEndpoint[], path: string): Target {
  const match = /^\/?([^/]+)(?:\/([^/]+))?$/.exec(path);
  const endpoint = match && endpoints.find((candidate) => candidate.definition.endpoint.toLowerCase() === `/${match[1]!.toLowerCase()}`);
  if (!match || !endpoint) throw new ScimError('invalidPath', `"${path}" is not a resource path`);
  return { endpoint, id: match[2] };
}

/** RFC 7644 §3.7: operations run in order through the same endpoints as single requests. */
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
    for (const operation of request.operations) {
      if (request.failOnErrors !== undefined && errors >= request.failOnErrors) break;
      try {
        results.push({ ...(await run(operation)), ...(operation.bulkId ? { bulkId: operation.bulkId } : {}) });
      } catch (error) {
        if (!(error instanceof ScimError) || error.status >= 500) throw error;
        errors += 1;
        results.push({ method: operation.method, ...(operation.bulkId ? { bulkId: operation.bulkId } : {}), status: String(error.status), response: error.toBody() });
      }
    }
    sendScim(res, 200, { schemas: [BULK_RESPONSE_SCHEMA], Operations: results });
  });

  return router;
}
