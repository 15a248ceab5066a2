import { SCIM_BASE_PATH } from '../scim-response.js';
import { SCHEMAS } from './schemas.js';

/**
 * The OpenAPI 3.1 description of the HTTP API, served at GET /openapi.json: the SCIM endpoints
 * (discovery, Users, Groups, search, Bulk), the admin API, the event-stream poll and the probes.
 * Built from code so that names shared with the handlers (base path, event types, scopes) cannot
 * drift; tests check real responses against it (test/http/openapi.test.ts).
 */

type Json = Record<string, unknown>;

const SCIM = 'application/scim+json';
const JSON_TYPE = 'application/json';

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const response = (ref: string): Json => ({ $ref: `#/components/responses/${ref}` });
const content = (schema: string, mediaType = SCIM): Json => ({ [mediaType]: { schema: ref(schema) } });
const ok = (description: string, schema: string, mediaType = SCIM, headers?: Json): Json => ({ description, content: content(schema, mediaType), ...(headers ? { headers } : {}) });
const noContent = (description: string): Json => ({ description });
const requestBody = (schema: string, mediaType = SCIM, required = true): Json => ({ required, content: { [mediaType]: { schema: ref(schema) }, ...(mediaType === SCIM ? { [JSON_TYPE]: { schema: ref(schema) } } : {}) } });

const ERROR_RESPONSES: Record<number, [string, string]> = {
  400: ['BadRequest', 'The request is malformed or a value is invalid (`scimType` says which: invalidFilter, invalidSyntax, invalidPath, invalidValue, tooMany, …).'],
  401: ['Unauthorized', 'No bearer token, or one that is unknown, expired or revoked (`WWW-Authenticate` says which).'],
  403: ['Forbidden', 'The token lacks the scope this endpoint needs (`WWW-Authenticate: … error="insufficient_scope"`), or the request names another tenant.'],
  404: ['NotFound', 'No such resource (in the credential’s tenant), or no such endpoint.'],
  405: ['MethodNotAllowed', 'The method is not supported here (`Allow` lists those that are).'],
  409: ['Conflict', 'A uniqueness conflict (`scimType: uniqueness`), or a member reference that does not resolve.'],
  412: ['PreconditionFailed', 'If-Match names a version that is no longer current.'],
  413: ['PayloadTooLarge', 'The body (or the number of Bulk operations or PATCH member values) exceeds a limit.'],
  415: ['UnsupportedMediaType', 'The body is not application/scim+json or application/json.'],
  429: ['TooManyRequests', 'The credential’s rate limit is exhausted; `Retry-After` says when to try again.'],
  501: ['NotImplemented', 'An RFC 7644 endpoint this server does not offer.'],
  503: ['Unavailable', 'The identity store is unreachable, or the request’s deadline or expensive-query slots ran out; `Retry-After` says when to try again.'],
};

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'string' } } };

function errors(...statuses: number[]): Json {
  return Object.fromEntries(statuses.map((status) => [String(status), response((ERROR_RESPONSES[status] as [string, string])[0])]));
}

const READ_ERRORS = [400, 401, 403, 429, 503];
const WRITE_ERRORS = [400, 401, 403, 413, 415, 429, 503];

const param = (name: string, where: 'query' | 'path' | 'header', description: string, schema: Json = { type: 'string' }, required = where === 'path'): Json => ({ name, in: where, required, description, schema });

const LIST_PARAMETERS = [
  param('filter', 'query', 'RFC 7644 §3.4.2.2 filter, e.g. userName eq "bjensen".'),
  param('attributes', 'query', 'Comma-separated attributes to return.'),
  param('excludedAttributes', 'query', 'Comma-separated attributes to leave out.'),
  param('sortBy', 'query', 'Attribute to sort by.'),
  param('sortOrder', 'query', 'ascending (default) or descending.', { enum: ['ascending', 'descending'] }),
  param('startIndex', 'query', '1-based index paging.', { type: 'string', pattern: '^-?[0-9]+$' }),
  param('count', 'query', 'Page size (capped to MAX_RESULTS).', { type: 'string', pattern: '^-?[0-9]+$' }),
  param('cursor', 'query', 'Cursor paging (RFC 9865): empty for the first page, then nextCursor or previousCursor.'),
];
const PROJECTION_PARAMETERS = LIST_PARAMETERS.slice(1, 3);
const ID = param('id', 'path', 'The resource id.');
const IF_MATCH = param('If-Match', 'header', 'The ETag (meta.version) the change expects; 412 when it is no longer current.');
const IF_NONE_MATCH = param('If-None-Match', 'header', 'An ETag; 304 when it is still current.');
const ETAG = { ETag: { description: 'The resource version (weak ETag).', schema: { type: 'string' } } };

function resourcePaths(kind: 'User' | 'Group', collection: string): Json {
  const list = `${kind}List`;
  const tag = `${kind}s`;
  const patched = kind === 'User' ? { '200': ok(`The ${kind} as changed.`, kind, SCIM, ETAG) } : { '204': { description: 'Changed (the members are not sent back unless `attributes` asks for them).', headers: ETAG }, '200': ok('Changed, with the attributes asked for.', kind, SCIM, ETAG) };
  return {
    [`${SCIM_BASE_PATH}${collection}`]: {
      get: { tags: [tag], summary: `List or filter ${tag}`, operationId: `list${tag}`, parameters: LIST_PARAMETERS, responses: { '200': ok('A page.', list), ...errors(...READ_ERRORS) } },
      post: {
        tags: [tag],
        summary: `Create a ${kind}`,
        operationId: `create${kind}`,
        requestBody: requestBody(kind),
        responses: { '201': ok('Created.', kind, SCIM, { ...ETAG, Location: { description: 'meta.location', schema: { type: 'string' } } }), ...errors(...WRITE_ERRORS, 409) },
      },
    },
    [`${SCIM_BASE_PATH}${collection}/.search`]: {
      post: { tags: [tag], summary: `Search ${tag} (query by POST)`, operationId: `search${tag}`, requestBody: requestBody('SearchRequest'), responses: { '200': ok('A page.', list), ...errors(...READ_ERRORS) } },
    },
    [`${SCIM_BASE_PATH}${collection}/{id}`]: {
      parameters: [ID],
      get: {
        tags: [tag],
        summary: `Read a ${kind}`,
        operationId: `get${kind}`,
        parameters: [...PROJECTION_PARAMETERS, IF_NONE_MATCH],
        responses: { '200': ok(`The ${kind}.`, kind, SCIM, ETAG), '304': { description: 'Not modified since the ETag sent.' }, ...errors(...READ_ERRORS, 404) },
      },
      put: { tags: [tag], summary: `Replace a ${kind}`, operationId: `replace${kind}`, parameters: [IF_MATCH], requestBody: requestBody(kind), responses: { '200': ok(`The ${kind} as replaced.`, kind, SCIM, ETAG), ...errors(...WRITE_ERRORS, 404, 409, 412) } },
      patch: { tags: [tag], summary: `Change a ${kind} (RFC 7644 §3.5.2)`, operationId: `patch${kind}`, parameters: [IF_MATCH, ...PROJECTION_PARAMETERS], requestBody: requestBody('PatchOp'), responses: { ...patched, ...errors(...WRITE_ERRORS, 404, 409, 412) } },
      delete: { tags: [tag], summary: `Delete a ${kind}`, operationId: `delete${kind}`, parameters: [IF_MATCH], responses: { '204': noContent('Deleted.'), ...errors(401, 403, 404, 412, 429, 503) } },
    },
  };
}

function scimPaths(): Json {
  const discovery = (path: string, summary: string, operationId: string, schema: string, byId = false): Json => ({
    [`${SCIM_BASE_PATH}${path}`]: {
      ...(byId ? { parameters: [param('id', 'path', 'The schema URN or resource type name.')] } : {}),
      get: { tags: ['Discovery'], summary, operationId, description: 'Any valid token may read it.', responses: { '200': ok(summary, schema), ...errors(401, 429, ...(byId ? [404] : [])) } },
    },
  });
  return {
    ...discovery('/ServiceProviderConfig', 'Service provider configuration', 'getServiceProviderConfig', 'ServiceProviderConfig'),
    ...discovery('/Schemas', 'Schemas (core, enterprise, lifecycle and custom extensions)', 'listSchemas', 'SchemaList'),
    ...discovery('/Schemas/{id}', 'One schema', 'getSchema', 'SchemaResource', true),
    ...discovery('/ResourceTypes', 'Resource types', 'listResourceTypes', 'ResourceTypeList'),
    ...discovery('/ResourceTypes/{id}', 'One resource type', 'getResourceType', 'ResourceType', true),
    ...resourcePaths('User', '/Users'),
    ...resourcePaths('Group', '/Groups'),
    [`${SCIM_BASE_PATH}/.search`]: {
      post: { tags: ['Search'], summary: 'Search Users and Groups together', operationId: 'searchAll', requestBody: requestBody('SearchRequest'), responses: { '200': ok('A page of Users and Groups.', 'ListResponse'), ...errors(...READ_ERRORS) } },
    },
    [`${SCIM_BASE_PATH}/Bulk`]: {
      post: {
        tags: ['Bulk'],
        summary: 'Several writes in one request (RFC 7644 §3.7)',
        operationId: 'bulk',
        requestBody: requestBody('BulkRequest'),
        responses: { '200': ok('An answer per operation; operations after an engine failure are "not performed" (503).', 'BulkResponse'), ...errors(...WRITE_ERRORS) },
      },
    },
    [`${SCIM_BASE_PATH}/Me`]: {
      get: { tags: ['Discovery'], summary: 'Not offered: tokens are not mapped to users', operationId: 'getMe', responses: errors(401, 501) },
    },
  };
}

function adminPaths(): Json {
  const admin = (scope: string) => `Needs \`${scope}\`; works on the credential's own tenant.`;
  const name = param('name', 'path', 'The token or stream name.');
  const campaignId = param('id', 'path', 'The campaign id.');
  return {
    '/admin/audit': {
      get: {
        tags: ['Admin'],
        summary: 'The audit trail: filtered pages, or the whole selection streamed as NDJSON or CSV',
        operationId: 'readAudit',
        description: `${admin('audit:read')} Every filter is served by an index. JSON answers a page (oldest first unless order=newest) with nextCursor while more follow; format=ndjson or csv (or Accept) streams every selected entry.`,
        parameters: [
          param('resource', 'query', 'Only entries about this resource id (or token name).'),
          param('actor', 'query', 'Only entries written by this actor (credential name, cli:…, server:…).'),
          param('operation', 'query', 'Only entries of this operation (create, replace, patch, delete, …).'),
          param('resourceType', 'query', 'Only entries about this resource type (User, Group, Token).'),
          param('since', 'query', 'Only entries at or after this ISO 8601 time.', { type: 'string' }),
          param('until', 'query', 'Only entries before this ISO 8601 time (later than since).', { type: 'string' }),
          param('order', 'query', 'oldest (default) or newest first.', { enum: ['oldest', 'newest'] }),
          param('limit', 'query', 'Entries per JSON page (default 100, at most 1000).', { type: 'string', pattern: '^[0-9]{1,9}$' }),
          param('cursor', 'query', 'The nextCursor of the page before, with the same filters and order (JSON only).'),
          param('format', 'query', 'json (default), ndjson or csv.', { enum: ['json', 'ndjson', 'csv'] }),
        ],
        responses: {
          '200': { description: 'A page of entries, or every entry selected.', content: { [JSON_TYPE]: { schema: ref('AuditPage') }, 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } } },
          ...errors(400, 401, 403, 503),
        },
      },
    },
    '/admin/access-review': {
      get: {
        tags: ['Admin'],
        summary: 'Who holds which role and permission, and why',
        operationId: 'accessReview',
        description: `${admin('audit:read')} JSON, or CSV with format=csv or Accept: text/csv.`,
        parameters: [
          param('staleDays', 'query', 'Users not changed for this many days are listed as stale (default 90).', { type: 'string', pattern: '^[0-9]{1,9}$' }),
          param('format', 'query', 'json (default) or csv.', { enum: ['json', 'csv'] }),
        ],
        responses: {
          '200': { description: 'The review.', content: { [JSON_TYPE]: { schema: ref('AccessReview') }, 'text/csv': { schema: { type: 'string' } } } },
          ...errors(400, 401, 403, 503),
        },
      },
    },
    '/admin/policy/what-if': {
      post: {
        tags: ['Admin'],
        summary: 'What a draft policy would change: per role, who would gain and lose it, and the rules responsible',
        operationId: 'policyWhatIf',
        description:
          `${admin('audit:read')} Writes nothing. The body is a draft policy file (schemas/policy.schema.json), validated exactly as POLICY_FILE is at start-up: ` +
          'a bad draft is 400 invalidValue whose detail names every problem, one per line. JSON: counts and the rules responsible per role, and at most `limit` users per role and direction; ' +
          'format=csv (or Accept: text/csv) streams every change, one row per user and role.',
        parameters: [
          param('limit', 'query', 'Users listed per role and direction (default 20, at most 1000).', { type: 'string', pattern: '^[0-9]{1,9}$' }),
          param('format', 'query', 'json (default) or csv.', { enum: ['json', 'csv'] }),
        ],
        requestBody: requestBody('PolicyDraft', JSON_TYPE),
        responses: {
          '200': { description: 'The what-if report.', content: { [JSON_TYPE]: { schema: ref('PolicyWhatIf') }, 'text/csv': { schema: { type: 'string' } } } },
          ...errors(400, 401, 403, 413, 415, 503),
        },
      },
    },
    '/admin/policy/exceptions': {
      get: {
        tags: ['Admin'],
        summary: 'Roles policy does not grant back because an access review revoked them',
        operationId: 'listPolicyExceptions',
        description: `${admin('audit:read')} By user and role; expired exceptions are listed with inForce false.`,
        parameters: [param('userId', 'query', "Only this user's exceptions.")],
        responses: { '200': ok('Exceptions.', 'PolicyExceptionList', JSON_TYPE), ...errors(400, 401, 403, 503) },
      },
    },
    '/admin/tokens': {
      get: { tags: ['Tokens'], summary: 'List tokens (never a token or its hash)', operationId: 'listTokens', description: admin('tokens:manage'), responses: { '200': ok('Tokens.', 'TokenList', JSON_TYPE), ...errors(401, 403, 503) } },
      post: {
        tags: ['Tokens'],
        summary: 'Create a token',
        operationId: 'createToken',
        description: `${admin('tokens:manage')} A credential grants only scopes it holds.`,
        requestBody: requestBody('NewToken', JSON_TYPE),
        responses: { '201': ok('Created; the token is shown only here.', 'IssuedToken', JSON_TYPE), ...errors(400, 401, 403, 409, 415, 503) },
      },
    },
    '/admin/tokens/{name}/rotate': {
      parameters: [name],
      post: {
        tags: ['Tokens'],
        summary: 'Rotate a token (the old one stays valid for the grace period)',
        operationId: 'rotateToken',
        description: admin('tokens:manage'),
        requestBody: requestBody('TokenRotation', JSON_TYPE, false),
        responses: { '200': ok('The new token, shown only here.', 'IssuedToken', JSON_TYPE), ...errors(400, 401, 403, 404, 503) },
      },
    },
    '/admin/tokens/{name}': {
      parameters: [name],
      delete: { tags: ['Tokens'], summary: 'Revoke every token of the name', operationId: 'revokeToken', description: admin('tokens:manage'), responses: { '204': noContent('Revoked.'), ...errors(401, 403, 404, 503) } },
    },
    '/admin/streams': {
      get: { tags: ['Event streams'], summary: 'List event streams with their backlog', operationId: 'listStreams', description: admin('tokens:manage'), responses: { '200': ok('Streams.', 'StreamList', JSON_TYPE), ...errors(401, 403, 503) } },
      post: {
        tags: ['Event streams'],
        summary: 'Create an event stream',
        operationId: 'createStream',
        description: admin('tokens:manage'),
        requestBody: requestBody('NewStream', JSON_TYPE),
        responses: { '201': ok('Created.', 'Stream', JSON_TYPE), ...errors(400, 401, 403, 409, 415, 503) },
      },
    },
    '/admin/streams/{name}': {
      parameters: [name],
      get: { tags: ['Event streams'], summary: 'One stream, with the latest errors its receiver reported', operationId: 'getStream', description: admin('tokens:manage'), responses: { '200': ok('The stream.', 'Stream', JSON_TYPE), ...errors(401, 403, 404, 503) } },
      patch: {
        tags: ['Event streams'],
        summary: 'Change the event types it takes from now on',
        operationId: 'setStreamEvents',
        description: admin('tokens:manage'),
        requestBody: requestBody('StreamEvents', JSON_TYPE),
        responses: { '200': ok('The stream.', 'Stream', JSON_TYPE), ...errors(400, 401, 403, 404, 415, 503) },
      },
      delete: { tags: ['Event streams'], summary: 'Delete a stream and what is queued in it', operationId: 'deleteStream', description: admin('tokens:manage'), responses: { '204': noContent('Deleted.'), ...errors(401, 403, 404, 503) } },
    },
    '/admin/campaigns': {
      get: { tags: ['Campaigns'], summary: 'List access certification campaigns, newest first', operationId: 'listCampaigns', description: admin('campaigns:manage'), responses: { '200': ok('Campaigns.', 'CampaignList', JSON_TYPE), ...errors(401, 403, 503) } },
      post: {
        tags: ['Campaigns'],
        summary: 'Open a campaign (as a draft)',
        operationId: 'createCampaign',
        description: `${admin('campaigns:manage')} Named and fallback reviewers must be users of the tenant.`,
        requestBody: requestBody('NewCampaign', JSON_TYPE),
        responses: { '201': ok('Created, in state draft.', 'Campaign', JSON_TYPE), ...errors(400, 401, 403, 415, 503) },
      },
    },
    '/admin/campaigns/reviewer-tokens': {
      post: {
        tags: ['Campaigns'],
        summary: "Mint (or replace) a reviewer's personal campaigns:review credential",
        operationId: 'createReviewerToken',
        description: `${admin('campaigns:manage')} The credential is named reviewer:<user id>; minting it again replaces the old token at once.`,
        requestBody: requestBody('ReviewerTokenRequest', JSON_TYPE),
        responses: { '201': ok('The token, shown only here.', 'IssuedToken', JSON_TYPE), ...errors(400, 401, 403, 415, 503) },
      },
    },
    '/admin/campaigns/{id}': {
      parameters: [campaignId],
      get: { tags: ['Campaigns'], summary: 'A campaign with its items', operationId: 'getCampaign', description: admin('campaigns:manage'), responses: { '200': ok('The campaign.', 'CampaignDetail', JSON_TYPE), ...errors(401, 403, 404, 503) } },
    },
    '/admin/campaigns/{id}/activate': {
      parameters: [campaignId],
      post: {
        tags: ['Campaigns'],
        summary: 'Activate a draft: snapshot one item per grant of each user in scope',
        operationId: 'activateCampaign',
        description: `${admin('campaigns:manage')} 409 (scimType mutability) unless the campaign is a draft.`,
        responses: { '200': ok('Active.', 'Campaign', JSON_TYPE), ...errors(401, 403, 404, 409, 503) },
      },
    },
    '/admin/campaigns/{id}/close': {
      parameters: [campaignId],
      post: {
        tags: ['Campaigns'],
        summary: "Close an active campaign; undecided items follow its setting",
        operationId: 'closeCampaign',
        description: `${admin('campaigns:manage')} 409 (scimType mutability) unless the campaign is active.`,
        responses: { '200': ok('Closed.', 'Campaign', JSON_TYPE), ...errors(401, 403, 404, 409, 503) },
      },
    },
    '/admin/campaigns/{id}/report': {
      parameters: [campaignId],
      get: {
        tags: ['Campaigns'],
        summary: 'The report: every item with its decision, reviewer, comment and time (CSV)',
        operationId: 'campaignReport',
        description: admin('campaigns:manage'),
        responses: { '200': { description: 'CSV, one line per item.', content: { 'text/csv': { schema: { type: 'string' } } } }, ...errors(401, 403, 404, 503) },
      },
    },
    '/admin/reviews': {
      get: {
        tags: ['Campaigns'],
        summary: "The caller's review items in active campaigns",
        operationId: 'listReviews',
        description: 'Needs `campaigns:review` and a credential bound to a reviewer (403 otherwise).',
        responses: { '200': ok('Items.', 'ReviewList', JSON_TYPE), ...errors(401, 403, 503) },
      },
    },
    '/admin/reviews/{itemId}': {
      parameters: [param('itemId', 'path', 'A review item of the caller (any other: 404).')],
      post: {
        tags: ['Campaigns'],
        summary: 'Keep or revoke one item',
        operationId: 'decideReview',
        description: 'Needs `campaigns:review`. Revoking a direct grant removes it from the user; revoking a policy grant records a policy exception. 409 (mutability) when the item is decided or its campaign is no longer active.',
        requestBody: requestBody('ReviewDecision', JSON_TYPE),
        responses: { '200': ok('The item as decided.', 'CampaignItem', JSON_TYPE), ...errors(400, 401, 403, 404, 409, 415, 503) },
      },
    },
    '/streams/{name}/poll': {
      parameters: [param('name', 'path', 'The stream the token is bound to.')],
      post: {
        tags: ['Event streams'],
        summary: 'Poll for SCIM events (RFC 8936), acknowledging earlier ones',
        operationId: 'pollStream',
        description: 'Needs `scim:read` and a token bound to this stream. Without returnImmediately, waits up to EVENT_STREAM_LONG_POLL_SECONDS for events.',
        requestBody: requestBody('PollRequest', JSON_TYPE, false),
        responses: {
          '200': ok('SETs by jti.', 'PollResponse', JSON_TYPE),
          ...Object.fromEntries([400, 401, 403, 404, 413, 415].map((status) => [String(status), { description: (ERROR_RESPONSES[status] as [string, string])[1], content: content('PollError', JSON_TYPE) }])),
          ...errors(429, 503),
        },
      },
    },
  };
}

function operationalPaths(): Json {
  return {
    '/healthz': { get: { tags: ['Probes'], summary: 'Liveness', operationId: 'liveness', security: [], responses: { '200': ok('The process answers.', 'Liveness', JSON_TYPE) } } },
    '/readyz': {
      get: {
        tags: ['Probes'],
        summary: 'Readiness, with what is still owed to receivers',
        operationId: 'readiness',
        security: [],
        responses: { '200': ok('The engine answers.', 'Readiness', JSON_TYPE), '503': { description: 'The engine does not answer.', headers: RETRY_AFTER, content: content('NotReady', JSON_TYPE) } },
      },
    },
    '/openapi.json': {
      get: { tags: ['Probes'], summary: 'This description', operationId: 'openapi', security: [], responses: { '200': { description: 'OpenAPI 3.1.', content: { [JSON_TYPE]: { schema: { type: 'object', required: ['openapi', 'paths'] } } } } } },
    },
  };
}

function componentResponses(): Json {
  return Object.fromEntries(
    Object.entries(ERROR_RESPONSES).map(([status, [name, description]]) => {
      const headers = status === '429' || status === '503' ? RETRY_AFTER : status === '401' || status === '403' ? { 'WWW-Authenticate': { description: 'RFC 6750 §3 challenge.', schema: { type: 'string' } } } : undefined;
      return [name, { description, ...(headers ? { headers } : {}), content: content('ScimError') }];
    }),
  );
}

let built: Json | undefined;

export function openApiDocument(): Json {
  built ??= {
    openapi: '3.1.0',
    info: {
      title: 'SCIM identity server',
      version: '0.1.0',
      description:
        'SCIM 2.0 (RFC 7643, 7644) for identity providers and pulling apps, with an identity lifecycle (policy grants, audit trail, webhooks, RFC 8936 event streams) and an admin API. Metrics are served on a separate listener (METRICS_PORT), not here.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: ['Discovery', 'Users', 'Groups', 'Search', 'Bulk', 'Admin', 'Tokens', 'Event streams', 'Campaigns', 'Probes'].map((name) => ({ name })),
    paths: { ...scimPaths(), ...adminPaths(), ...operationalPaths() },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token (npm run tokens) or, when configured, an OAuth 2.0 JWT. Scopes: scim:read, scim:write, audit:read, tokens:manage, campaigns:manage, campaigns:review (admin = audit:read tokens:manage).' } },
      schemas: SCHEMAS,
      responses: componentResponses(),
    },
  };
  return built;
}
