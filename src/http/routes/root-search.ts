import { Router } from 'express';
import type { Config } from '../../config.js';
import { ScimError } from '../../errors/scim-error.js';
import { parseListRequest } from '../../scim/list-request.js';
import { applyProjection } from '../../scim/projection.js';
import type { ScimResource } from '../../scim/representation.js';
import { searchRequestToParameters } from '../../scim/search-request.js';
import { checkListParameterPaths } from '../request-limits.js';
import type { ResourceEndpoint } from '../endpoints/endpoint.js';
import { contextOf } from '../middleware/request-context.js';
import type { RequestContext } from '../../services/context.js';
import { baseUrlOf, listResponse, sendScim } from '../scim-response.js';

interface TypeTotal {
  endpoint: ResourceEndpoint;
  total: number;
}

/**
 * POST /.search (RFC 7644 §3.4.3) across every resource type. Results are the types in order
 * (Users, then Groups), each sorted and paged in the database; a type whose schema lacks an
 * attribute the filter names contributes nothing, and a filter no type understands is invalid.
 */
export function rootSearchRoutes(config: Config, endpoints: ResourceEndpoint[]): Router {
  const router = Router();

  async function totals(ctx: RequestContext, parameters: Record<string, unknown>, baseUrl: string): Promise<TypeTotal[]> {
    const results: TypeTotal[] = [];
    let lastError: ScimError | undefined;
    for (const endpoint of endpoints) {
      try {
        const request = parseListRequest(endpoint.definition, { ...parameters, startIndex: '1', count: '0' }, config.limits);
        results.push({ endpoint, total: (await endpoint.list(ctx, request, baseUrl)).total });
      } catch (error) {
        if (!(error instanceof ScimError) || error.code !== 'invalidFilter') throw error;
        lastError = error;
      }
    }
    if (results.length === 0 && lastError) throw lastError;
    return results;
  }

  router.post('/.search', async (req, res) => {
    const ctx = contextOf(res);
    const baseUrl = baseUrlOf(config, req);
    const parameters = searchRequestToParameters(req.body);
    checkListParameterPaths(parameters, config.limits);
    if (Object.keys(parameters).some((key) => key.toLowerCase() === 'cursor')) {
      throw new ScimError('invalidValue', 'Cursor paging is offered per resource type (/Users/.search, /Groups/.search), not at the root');
    }
    const bounds = parseListRequest(endpoints[0]!.definition, { ...parameters, attributes: undefined, excludedAttributes: undefined }, config.limits).query;
    const typeTotals = await totals(ctx, parameters, baseUrl);
    const resources: ScimResource[] = [];
    let skip = bounds.startIndex - 1;
    for (const { endpoint, total } of typeTotals) {
      const wanted = bounds.count - resources.length;
      if (wanted > 0 && skip < total) {
        const request = parseListRequest(endpoint.definition, { ...parameters, startIndex: String(skip + 1), count: String(wanted) }, config.limits);
        const page = await endpoint.list(ctx, request, baseUrl);
        resources.push(...page.resources.map((resource) => applyProjection(endpoint.definition, resource, request.projection)));
      }
      skip = Math.max(0, skip - total);
    }
    const totalResults = typeTotals.reduce((sum, { total }) => sum + total, 0);
    sendScim(res, 200, listResponse(totalResults, bounds.startIndex, resources));
  });

  return router;
}
