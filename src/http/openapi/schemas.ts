import { SCOPE_NAMES, SCOPES } from '../../auth/scopes.js';
import { SCIM_ERROR_SCHEMA } from '../../errors/scim-error.js';
import { EVENT_TYPES } from '../../lifecycle/types.js';
import { LIST_RESPONSE_SCHEMA } from '../scim-response.js';

/**
 * JSON Schemas (2020-12, OpenAPI 3.1's dialect) of the bodies the server sends and takes, as
 * OpenAPI components. They describe what the handlers really send: tests validate real responses
 * against them (test/http/openapi.test.ts), so a change of a body that is not made here fails there.
 * SCIM resources are described at the level a client needs (core attributes; extensions are
 * members named by their schema URN, described by GET /Schemas).
 */

type Schema = Record<string, unknown>;

const string: Schema = { type: 'string' };
const dateTime: Schema = { type: 'string', format: 'date-time' };
const uri: Schema = { type: 'string', format: 'uri' };
const integer: Schema = { type: 'integer', minimum: 0 };
const boolean: Schema = { type: 'boolean' };
const nullable = (schema: Schema): Schema => ({ ...schema, type: [schema['type'], 'null'] });
const arrayOf = (items: Schema): Schema => ({ type: 'array', items });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
/** Every listed member present, no others. */
const closed = (properties: Record<string, Schema>, optional: readonly string[] = []): Schema => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties).filter((name) => !optional.includes(name)),
  properties,
});
const urnList = (urn: string): Schema => ({ type: 'array', items: string, contains: { const: urn } });

const multiValued: Schema = {
  type: 'object',
  properties: { value: string, display: string, type: string, primary: boolean, $ref: uri },
};

const meta: Schema = {
  type: 'object',
  required: ['resourceType'],
  properties: { resourceType: string, created: dateTime, lastModified: dateTime, location: uri, version: string },
};

const grant: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'name', 'source'],
  properties: { kind: { enum: ['role', 'permission'] }, name: string, source: { enum: ['policy', 'direct'] }, rules: arrayOf(string) },
};

const tokenProperties: Record<string, Schema> = {
  name: string,
  tenant: string,
  scopes: arrayOf({ enum: [...SCOPES] }),
  createdAt: dateTime,
  expiresAt: nullable(dateTime),
  revokedAt: nullable(dateTime),
  lastUsedAt: nullable(dateTime),
  status: { enum: ['active', 'expired', 'revoked'] },
  stream: nullable(string),
  reviewer: nullable({ type: 'string', description: 'A reviewer credential (campaigns:review): the user id of its reviewer.' }),
};

const campaignScope: Schema = {
  oneOf: [
    closed({ kind: { const: 'all' } }),
    closed({ kind: { const: 'role' }, role: string }),
    closed({ kind: { const: 'group' }, groupId: string }),
    closed({ kind: { const: 'department' }, department: string }),
  ],
};

const campaignReviewers: Schema = {
  oneOf: [closed({ kind: { const: 'manager' }, fallback: arrayOf(string) }, ['fallback']), closed({ kind: { const: 'named' }, users: { type: 'array', minItems: 1, items: string } })],
};

const campaignProperties: Record<string, Schema> = {
  id: string,
  name: string,
  state: { enum: ['draft', 'active', 'closed'] },
  scope: campaignScope,
  reviewers: campaignReviewers,
  dueAt: dateTime,
  undecided: { enum: ['keep', 'revoke'] },
  createdAt: dateTime,
  createdBy: string,
  activatedAt: nullable(dateTime),
  closedAt: nullable(dateTime),
  items: nullable(integer),
  remindedAt: nullable(dateTime),
};

const itemProperties: Record<string, Schema> = {
  id: string,
  campaignId: string,
  userId: string,
  userName: string,
  grant: closed({ kind: { enum: ['role', 'permission'] }, name: string, source: { enum: ['policy', 'direct'] } }),
  reviewers: arrayOf(string),
  decision: { enum: ['keep', 'revoke', null] },
  decidedBy: { ...nullable(string), description: 'The reviewer\'s user id, or "campaign" for an item the close decided.' },
  comment: nullable(string),
  decidedAt: nullable(dateTime),
  exceptionExpiresAt: nullable(dateTime),
};

export const SCHEMAS: Record<string, Schema> = {
  ScimError: {
    description: 'RFC 7644 §3.12 error body.',
    type: 'object',
    required: ['schemas', 'status'],
    properties: {
      schemas: { type: 'array', prefixItems: [{ const: SCIM_ERROR_SCHEMA }], minItems: 1 },
      status: { type: 'string', pattern: '^[1-5][0-9]{2}$' },
      scimType: string,
      detail: string,
    },
  },
  PollError: {
    description: 'RFC 8935 §2.3 error body, which the RFC 8936 poll shares.',
    type: 'object',
    required: ['err'],
    properties: { err: { enum: ['invalid_request', 'authentication_failed', 'access_denied'] }, description: string },
  },
  Meta: meta,
  User: {
    description: 'RFC 7643 §4.1 User; members named by an extension schema URN hold that extension (the enterprise User, the lifecycle extension, custom ones). With `attributes` or `excludedAttributes`, only `schemas` and `id` are always returned.',
    type: 'object',
    required: ['schemas', 'id'],
    properties: {
      schemas: arrayOf(string),
      id: string,
      externalId: string,
      userName: string,
      name: { type: 'object', properties: { formatted: string, familyName: string, givenName: string, middleName: string, honorificPrefix: string, honorificSuffix: string } },
      displayName: string,
      nickName: string,
      profileUrl: string,
      title: string,
      userType: string,
      preferredLanguage: string,
      locale: string,
      timezone: string,
      active: boolean,
      emails: arrayOf(multiValued),
      phoneNumbers: arrayOf(multiValued),
      ims: arrayOf(multiValued),
      photos: arrayOf(multiValued),
      addresses: arrayOf({ type: 'object' }),
      groups: arrayOf(multiValued),
      entitlements: arrayOf(multiValued),
      roles: arrayOf(multiValued),
      x509Certificates: arrayOf(multiValued),
      meta: ref('Meta'),
    },
  },
  Group: {
    description: 'RFC 7643 §4.2 Group. With `attributes` or `excludedAttributes`, only `schemas` and `id` are always returned.',
    type: 'object',
    required: ['schemas', 'id'],
    properties: {
      schemas: arrayOf(string),
      id: string,
      externalId: string,
      displayName: string,
      members: arrayOf({ type: 'object', required: ['value'], properties: { value: string, display: string, type: { enum: ['User', 'Group'] }, $ref: uri } }),
      meta: ref('Meta'),
    },
  },
  ListResponse: {
    description: 'RFC 7644 §3.4.2 list response; with cursor paging (RFC 9865) nextCursor/previousCursor instead of startIndex.',
    type: 'object',
    required: ['schemas', 'totalResults', 'Resources'],
    properties: {
      schemas: { type: 'array', prefixItems: [{ const: LIST_RESPONSE_SCHEMA }], minItems: 1 },
      totalResults: integer,
      startIndex: { type: 'integer', minimum: 1 },
      itemsPerPage: integer,
      nextCursor: string,
      previousCursor: string,
      Resources: arrayOf({ type: 'object' }),
    },
  },
  UserList: { allOf: [ref('ListResponse'), { properties: { Resources: arrayOf(ref('User')) } }] },
  GroupList: { allOf: [ref('ListResponse'), { properties: { Resources: arrayOf(ref('Group')) } }] },
  SearchRequest: {
    description: 'RFC 7644 §3.4.3 query by POST.',
    type: 'object',
    properties: {
      schemas: urnList('urn:ietf:params:scim:api:messages:2.0:SearchRequest'),
      filter: string,
      attributes: { oneOf: [arrayOf(string), string] },
      excludedAttributes: { oneOf: [arrayOf(string), string] },
      sortBy: string,
      sortOrder: { enum: ['ascending', 'descending'] },
      startIndex: { type: 'integer' },
      count: { type: 'integer' },
      cursor: string,
    },
  },
  PatchOp: {
    description: 'RFC 7644 §3.5.2 PATCH request.',
    type: 'object',
    required: ['schemas', 'Operations'],
    properties: {
      schemas: urnList('urn:ietf:params:scim:api:messages:2.0:PatchOp'),
      Operations: arrayOf({ type: 'object', required: ['op'], properties: { op: string, path: string, value: {} } }),
    },
  },
  BulkRequest: {
    description: 'RFC 7644 §3.7 bulk request.',
    type: 'object',
    required: ['schemas', 'Operations'],
    properties: {
      schemas: urnList('urn:ietf:params:scim:api:messages:2.0:BulkRequest'),
      failOnErrors: { type: 'integer' },
      Operations: arrayOf({ type: 'object', required: ['method', 'path'], properties: { method: { enum: ['POST', 'PUT', 'PATCH', 'DELETE'] }, path: string, bulkId: string, version: string, data: {} } }),
    },
  },
  BulkResponse: {
    description: 'RFC 7644 §3.7 bulk response: one entry per operation performed (or refused).',
    type: 'object',
    required: ['schemas', 'Operations'],
    properties: {
      schemas: { type: 'array', prefixItems: [{ const: 'urn:ietf:params:scim:api:messages:2.0:BulkResponse' }], minItems: 1 },
      Operations: arrayOf({
        type: 'object',
        required: ['method', 'status'],
        properties: { method: string, bulkId: string, version: string, location: uri, status: { type: 'string', pattern: '^[1-5][0-9]{2}$' }, response: { type: 'object' } },
      }),
    },
  },
  ServiceProviderConfig: {
    description: 'RFC 7643 §5.',
    type: 'object',
    required: ['schemas', 'patch', 'bulk', 'filter', 'changePassword', 'sort', 'etag', 'authenticationSchemes'],
    properties: {
      schemas: arrayOf(string),
      patch: { type: 'object', required: ['supported'], properties: { supported: boolean } },
      bulk: { type: 'object', required: ['supported', 'maxOperations', 'maxPayloadSize'], properties: { supported: boolean, maxOperations: integer, maxPayloadSize: integer } },
      filter: { type: 'object', required: ['supported', 'maxResults'], properties: { supported: boolean, maxResults: integer } },
      pagination: { type: 'object', description: 'RFC 9865 §4.', properties: { cursor: boolean, index: boolean, defaultPaginationMethod: { enum: ['cursor', 'index'] }, defaultPageSize: integer, maxPageSize: integer, cursorTimeout: integer } },
      changePassword: { type: 'object', required: ['supported'], properties: { supported: boolean } },
      sort: { type: 'object', required: ['supported'], properties: { supported: boolean } },
      etag: { type: 'object', required: ['supported'], properties: { supported: boolean } },
      authenticationSchemes: arrayOf({ type: 'object', required: ['type', 'name', 'description'], properties: { type: string, name: string, description: string, specUri: uri, primary: boolean } }),
      meta: ref('Meta'),
    },
  },
  SchemaResource: {
    description: 'RFC 7643 §7 schema.',
    type: 'object',
    required: ['id', 'attributes'],
    properties: { schemas: arrayOf(string), id: string, name: string, description: string, attributes: arrayOf({ type: 'object', required: ['name', 'type'], properties: { name: string, type: string } }), meta: ref('Meta') },
  },
  ResourceType: {
    description: 'RFC 7643 §6 resource type.',
    type: 'object',
    required: ['schemas', 'id', 'name', 'endpoint', 'schema'],
    properties: {
      schemas: arrayOf(string),
      id: string,
      name: string,
      endpoint: string,
      description: string,
      schema: string,
      schemaExtensions: arrayOf({ type: 'object', required: ['schema', 'required'], properties: { schema: string, required: boolean } }),
      meta: ref('Meta'),
    },
  },
  SchemaList: { allOf: [ref('ListResponse'), { properties: { Resources: arrayOf(ref('SchemaResource')) } }] },
  ResourceTypeList: { allOf: [ref('ListResponse'), { properties: { Resources: arrayOf(ref('ResourceType')) } }] },

  Grant: grant,
  AuditEntry: closed(
    {
      id: string,
      at: dateTime,
      tenant: string,
      actor: { type: 'string', description: 'The credential name (never a token), or cli:…/server:… for the operator.' },
      requestId: string,
      operation: { enum: ['create', 'replace', 'patch', 'delete', 'membership', 'bulk', 'reevaluate', 'rotate', 'revoke', 'review', 'activate', 'close'] },
      resourceType: { enum: ['User', 'Group', 'Token', 'Campaign'] },
      resourceId: string,
      before: nullable({ type: 'object' }),
      after: nullable({ type: 'object' }),
      grantsAdded: arrayOf(grant),
      grantsRevoked: arrayOf(grant),
      refused: closed({ roles: arrayOf(string), entitlements: arrayOf(string) }),
      blocked: arrayOf(ref('BlockedGrant')),
      events: arrayOf({ enum: [...EVENT_TYPES] }),
    },
    ['refused', 'blocked'],
  ),
  BlockedGrant: {
    description: 'A grant a separation-of-duties block conflict kept from the user: the conflict, the members already held, and why.',
    ...closed({ grant, conflict: string, heldWith: arrayOf(string), reason: string }),
  },
  AuditPage: closed({ tenant: string, count: integer, entries: arrayOf(ref('AuditEntry')), nextCursor: string }, ['nextCursor']),
  AccessReview: closed({
    generatedAt: dateTime,
    tenant: string,
    policyFingerprint: string,
    staleDays: integer,
    summary: closed({ users: integer, active: integer, inactive: integer, grants: integer, inactiveWithAccess: integer, drift: integer, stale: integer, sodConflicts: integer }),
    holders: arrayOf(closed({ userId: string, userName: string, active: boolean, type: { enum: ['role', 'permission'] }, value: string, source: { enum: ['policy', 'direct'] }, rules: arrayOf(string) })),
    inactiveWithAccess: arrayOf(closed({ userId: string, userName: string, grants: arrayOf(string), permissions: arrayOf(string) })),
    drift: arrayOf(closed({ userId: string, userName: string, missing: arrayOf(string), unexpected: arrayOf(string), evaluatedWith: string }, ['evaluatedWith'])),
    stale: arrayOf(closed({ userId: string, userName: string, lastModified: dateTime, daysSinceUpdate: integer })),
    sodConflicts: arrayOf(closed({ userId: string, userName: string, conflict: string, mode: { enum: ['flag', 'block'] }, members: arrayOf(string), grants: arrayOf(string) })),
  }),
  PolicyDraft: { description: 'A policy file as POLICY_FILE holds it (schemas/policy.schema.json): roles, rules, deactivation.', type: 'object', required: ['roles', 'rules'], properties: { roles: { type: 'object' }, rules: arrayOf({ type: 'object' }), deactivation: { type: 'object' } } },
  PolicyWhatIf: closed({
    generatedAt: dateTime,
    tenant: string,
    currentFingerprint: string,
    draftFingerprint: string,
    limit: integer,
    summary: closed({ users: integer, active: integer, usersAffected: integer, usersGaining: integer, usersLosing: integer, gains: integer, losses: integer }),
    roles: arrayOf(
      closed({
        role: string,
        permissions: closed({ current: nullable(arrayOf(string)), draft: nullable(arrayOf(string)), added: arrayOf(string), removed: arrayOf(string) }),
        holders: closed({ current: integer, draft: integer }),
        gained: ref('PolicyWhatIfSide'),
        lost: ref('PolicyWhatIfSide'),
      }),
    ),
    draftRules: arrayOf(closed({ rule: string, users: integer })),
  }),
  PolicyWhatIfSide: closed({
    count: integer,
    rules: { type: 'object', description: 'Users per responsible rule.', additionalProperties: integer },
    direct: { ...integer, description: "Users for whom the IdP's roles attribute is responsible." },
    users: arrayOf(closed({ userId: string, userName: string, rules: arrayOf(string), direct: boolean })),
    truncated: { ...boolean, description: 'More users than listed; format=csv lists them all.' },
  }),
  PolicyException: closed({
    userId: string,
    role: string,
    reason: string,
    expiresAt: nullable(dateTime),
    inForce: boolean,
    createdBy: string,
    createdAt: dateTime,
    campaignId: string,
    itemId: string,
  }),
  PolicyExceptionList: closed({ exceptions: arrayOf(ref('PolicyException')) }),
  Campaign: closed(campaignProperties),
  CampaignList: closed({ campaigns: arrayOf(ref('Campaign')) }),
  CampaignDetail: closed({ ...campaignProperties, itemList: arrayOf(ref('CampaignItem')) }),
  CampaignItem: closed(itemProperties),
  NewCampaign: {
    type: 'object',
    required: ['name', 'scope', 'reviewers', 'dueAt'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      scope: campaignScope,
      reviewers: campaignReviewers,
      dueAt: { ...dateTime, description: 'In the future, with a time zone.' },
      undecided: { enum: ['keep', 'revoke'], description: 'What the close does with undecided items (default keep).' },
    },
  },
  ReviewerTokenRequest: {
    type: 'object',
    required: ['reviewer'],
    properties: { reviewer: { type: 'string', description: 'The user id of the reviewer.' }, expiresIn: { type: 'string', pattern: '^[0-9]+[smhd]$' } },
  },
  ReviewList: closed({ reviewer: string, items: arrayOf(closed({ ...itemProperties, campaignName: nullable(string), dueAt: nullable(dateTime) })) }),
  ReviewDecision: {
    type: 'object',
    required: ['decision'],
    additionalProperties: false,
    properties: {
      decision: { enum: ['keep', 'revoke'] },
      comment: { type: 'string', minLength: 1, maxLength: 2000, description: 'Required to revoke.' },
      exceptionExpiresAt: { ...dateTime, description: 'Revoking a policy grant: when its exception stops applying (default: never).' },
    },
  },
  Token: closed(tokenProperties),
  TokenList: closed({ tokens: arrayOf(ref('Token')) }),
  IssuedToken: { description: 'The token is shown only in this response; only its hash is stored.', ...closed({ ...tokenProperties, token: string }) },
  NewToken: {
    type: 'object',
    required: ['name', 'scopes'],
    properties: {
      name: string,
      scopes: { type: 'array', minItems: 1, items: { enum: [...SCOPE_NAMES] } },
      expiresIn: { type: 'string', pattern: '^[0-9]+[smhd]$', description: 'e.g. 90d' },
      tenant: { type: 'string', description: "The caller's own tenant (any other: 403)." },
      stream: { type: 'string', description: 'Binds the token to this event stream of the tenant, which it may then poll.' },
    },
  },
  TokenRotation: {
    type: 'object',
    properties: { gracePeriod: { type: 'string', pattern: '^[0-9]+[smhd]$' }, expiresIn: { type: 'string', pattern: '^[0-9]+[smhd]$' } },
  },
  Stream: closed(
    {
      name: string,
      tenant: string,
      events: nullable(arrayOf({ enum: [...EVENT_TYPES] })),
      createdAt: dateTime,
      updatedAt: dateTime,
      pollPath: string,
      backlog: closed({ pending: integer, failed: integer, oldestPendingAt: nullable(dateTime), oldestPendingAgeSeconds: nullable(integer) }),
      recentErrors: arrayOf(closed({ jti: string, err: string, description: string, reportedAt: dateTime }, ['description'])),
    },
    ['recentErrors'],
  ),
  StreamList: closed({ streams: arrayOf(ref('Stream')) }),
  NewStream: { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z0-9_-]{1,64}$' }, events: nullable(arrayOf({ enum: [...EVENT_TYPES] })) } },
  StreamEvents: { type: 'object', required: ['events'], properties: { events: nullable(arrayOf({ enum: [...EVENT_TYPES] })) } },
  PollRequest: {
    description: 'RFC 8936 §2.2.',
    type: 'object',
    properties: {
      maxEvents: integer,
      returnImmediately: boolean,
      ack: arrayOf(string),
      setErrs: { type: 'object', additionalProperties: { type: 'object', required: ['err'], properties: { err: string, description: string } } },
    },
  },
  PollResponse: {
    description: 'RFC 8936 §2.3: SETs (RFC 9967 SCIM events, unsigned JWTs) by jti.',
    ...closed({ sets: { type: 'object', additionalProperties: { type: 'string', pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.$' } }, moreAvailable: boolean }),
  },

  Liveness: closed({ status: { const: 'ok' } }),
  Readiness: {
    description: 'Ready: the engine answers. What is still owed is reported, never a tenant, user or stream name (the endpoint is unauthenticated).',
    type: 'object',
    additionalProperties: false,
    required: ['status', 'engine'],
    properties: {
      status: { const: 'ready' },
      engine: { const: 'up' },
      relay: closed({ backlog: integer, oldestPendingSeconds: nullable(integer) }),
      webhooks: arrayOf(closed({ name: string, backlog: integer, oldestUndeliveredSeconds: nullable(integer), lastError: string }, ['lastError'])),
      streams: closed({ count: integer, backlog: integer, oldestUnacknowledgedSeconds: nullable(integer) }),
      details: { const: 'unavailable', description: 'The delivery figures could not be read this time.' },
    },
  },
  NotReady: closed({ status: { const: 'unavailable' }, engine: { const: 'down' }, detail: string }),
};
