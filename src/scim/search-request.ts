import { ScimError } from '../errors/scim-error.js';

export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

const LIST_PARAMETERS = ['filter', 'startIndex', 'count', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes', 'cursor'];

/**
 * RFC 7644 §3.4.3: a POST /.search body carries the query parameters as JSON. It is turned into the
 * same raw parameter map a GET query string gives, so both go through one parser.
 */
export function searchRequestToParameters(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ScimError('invalidSyntax', 'A search request body must be a JSON object');
  }
  const request = body as Record<string, unknown>;
  const schemas = request['schemas'];
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.includes(SEARCH_REQUEST_SCHEMA))) {
    throw new ScimError('invalidSyntax', `"schemas" must contain ${SEARCH_REQUEST_SCHEMA}`);
  }
  const parameters: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request)) {
    if (!LIST_PARAMETERS.some((name) => name.toLowerCase() === key.toLowerCase())) continue;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) parameters[key] = value.join(',');
    else if (typeof value === 'number') parameters[key] = String(value);
    else parameters[key] = value;
  }
  return parameters;
}
