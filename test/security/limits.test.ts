import assert from 'node:assert/strict';
import { DEFAULT_RATE_LIMIT, DEFAULT_REQUEST_BOUNDS, loadConfig } from '../../src/config.js';
import { DEFAULT_LIMITS } from '../../src/scim/limits.js';
import { assertScimError, group, GROUP_SCHEMA, startTestApp, user, type TestApp } from '../support/app.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

const TINY = {
  PUBLIC_BASE_URL: 'https://scim.example.com/scim/v2',
  MAX_RESULTS: '5',
  MAX_BODY_BYTES: '2048',
  MAX_FILTER_LENGTH: '64',
  MAX_FILTER_DEPTH: '3',
  MAX_BULK_OPERATIONS: '3',
  MAX_BULK_PAYLOAD_BYTES: '65536',
  MAX_PATCH_OPERATIONS: '3',
  MAX_PATCH_MEMBERS: '3',
  MAX_ATTRIBUTE_PATH_LENGTH: '64',
};

const patchOp = (...operations: unknown[]) => ({ schemas: [PATCH_OP], Operations: operations });

describe('limits: configured, advertised and enforced', function () {
  this.timeout(60_000);

  describe('configuration', () => {
    it('defaults to the documented limits and rate limit', () => {
      const config = loadConfig({});
      assert.deepEqual(config.limits, DEFAULT_LIMITS);
      assert.deepEqual(config.rateLimit, DEFAULT_RATE_LIMIT);
      assert.deepEqual(config.requestBounds, DEFAULT_REQUEST_BOUNDS);
      assert.equal(config.shutdownGraceMs, 30_000);
      assert.ok(Object.isFrozen(config.limits) && Object.isFrozen(config.rateLimit) && Object.isFrozen(config.requestBounds));
    });

    const bad: [string, string][] = [
      ['MAX_BODY_BYTES', 'lots'],
      ['MAX_BODY_BYTES', '10'],
      ['MAX_FILTER_DEPTH', '0'],
      ['MAX_PATCH_MEMBERS', '-1'],
      ['RATE_LIMIT_BURST', '0'],
      ['RATE_LIMIT_PER_SECOND', '1.5'],
      ['MAX_FILTER_CANDIDATES', '0'],
      ['REQUEST_TIMEOUT_MS', '0'],
      ['REQUEST_TIMEOUT_MS', '30s'],
      ['MAX_EXPENSIVE_QUERIES_PER_CREDENTIAL', '0'],
      ['SHUTDOWN_GRACE_MS', '-1'],
    ];
    for (const [name, value] of bad) {
      it(`refuses ${name}=${value}, naming the variable`, () => {
        assert.throws(() => loadConfig({ [name]: value }), new RegExp(name));
      });
    }
  });

  describe('with tiny limits', () => {
    let t: TestApp;
    const ids: string[] = [];
    let groupId: string;

    before(async () => {
      t = await startTestApp('security-limits', TINY);
      for (const name of ['a', 'b', 'c', 'd']) {
        const created = await t.scim.post('/Users').send(user(`limit-${name}@example.com`));
        assert.equal(created.status, 201);
        ids.push(String(created.body.id));
      }
      const created = await t.scim.post('/Groups').send(group('Limited'));
      assert.equal(created.status, 201);
      groupId = String(created.body.id);
    });
    after(() => t.close());

    const groupSnapshot = async () => JSON.stringify((await t.scim.get(`/Groups/${groupId}`)).body);

    it('advertises the configured bulk and filter limits in /ServiceProviderConfig', async () => {
      const { body } = await t.scim.get('/ServiceProviderConfig');
      assert.deepEqual(body.bulk, { supported: true, maxOperations: 3, maxPayloadSize: 65536 });
      assert.deepEqual(body.filter, { supported: true, maxResults: 5 });
      assert.equal(body.pagination.maxPageSize, 5);
    });

    it('caps count at maxResults', async () => {
      const { body } = await t.scim.get('/Users?count=1000');
      assert.equal(body.itemsPerPage, 4);
      assert.equal((await t.scim.get('/Users?count=1000')).body.Resources.length, 4);
      await t.scim.post('/Users').send(user('limit-e@example.com')).expect(201);
      await t.scim.post('/Users').send(user('limit-f@example.com')).expect(201);
      assert.equal((await t.scim.get('/Users?count=1000')).body.Resources.length, 5);
    });

    it('answers 413 with a SCIM body for a non-bulk body over maxBodyBytes, and stores nothing', async () => {
      const response = await t.scim.post('/Users').send(user('big@example.com', { nickName: 'x'.repeat(2100) }));
      assertScimError(response, 413);
      assert.equal((await t.scim.get('/Users?filter=userName eq "big@example.com"')).body.totalResults, 0);
    });

    it('accepts a bulk body above maxBodyBytes but under maxPayloadSize', async () => {
      const operations = [{ method: 'POST', path: '/Users', bulkId: 'b', data: user('bulk-big@example.com', { nickName: 'x'.repeat(3000) }) }];
      const response = await t.scim.post('/Bulk').send({ schemas: [BULK], Operations: operations });
      assert.equal(response.status, 200);
      assert.equal(response.body.Operations[0].status, '201');
    });

    it('answers 413 for more bulk operations than maxOperations', async () => {
      const operations = Array.from({ length: 4 }, (_, i) => ({ method: 'DELETE', path: `/Users/${ids[0]}-${i}` }));
      assertScimError(await t.scim.post('/Bulk').send({ schemas: [BULK], Operations: operations }), 413);
    });

    const filters: [string, string][] = [
      ['longer than maxFilterLength', `userName eq "${'x'.repeat(60)}"`],
      ['nested deeper than maxFilterDepth', '((((userName eq "a"))))'],
      ['with value filters nested too deep', 'emails[value eq "a" and not (not (not (type eq "b")))]'],
    ];
    for (const [what, filter] of filters) {
      it(`answers 400 invalidFilter for a filter ${what}, on GET and on /.search`, async () => {
        assertScimError(await t.scim.get(`/Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter');
        assertScimError(await t.scim.post('/Users/.search').send({ schemas: [SEARCH], filter }), 400, 'invalidFilter');
        assertScimError(await t.scim.post('/.search').send({ schemas: [SEARCH], filter }), 400, 'invalidFilter');
      });
    }

    it('accepts a filter at the limits', async () => {
      const response = await t.scim.get(`/Users?filter=${encodeURIComponent('((userName eq "limit-a@example.com"))')}`);
      assert.equal(response.status, 200);
      assert.equal(response.body.totalResults, 1);
    });

    it('answers 400 tooMany for more PATCH operations than maxPatchOperations, changing nothing', async () => {
      const before = JSON.stringify((await t.scim.get(`/Users/${ids[0]}`)).body);
      const operations = Array.from({ length: 4 }, (_, i) => ({ op: 'replace', path: 'title', value: `t${i}` }));
      assertScimError(await t.scim.patch(`/Users/${ids[0]}`).send(patchOp(...operations)), 400, 'tooMany');
      assert.equal(JSON.stringify((await t.scim.get(`/Users/${ids[0]}`)).body), before);
    });

    const values = () => ids.map((value) => ({ value }));
    const memberPatches: [string, () => unknown][] = [
      ['one add with 4 members', () => patchOp({ op: 'add', path: 'members', value: values() })],
      ['a path-less add with 4 members', () => patchOp({ op: 'Add', value: { members: values() } })],
      ['members spread over operations', () => patchOp({ op: 'add', path: 'members', value: values().slice(0, 2) }, { op: 'remove', path: `members[value eq "${ids[2]}"]` }, { op: 'remove', path: 'members', value: values().slice(3) })],
      ['a URN-prefixed members path', () => patchOp({ op: 'replace', path: `${GROUP_SCHEMA}:members`, value: values() })],
    ];
    for (const [what, body] of memberPatches) {
      it(`answers 413 for ${what} over maxPatchMembers, changing nothing`, async () => {
        const before = await groupSnapshot();
        assertScimError(await t.scim.patch(`/Groups/${groupId}`).send(body() as object), 413);
        assert.equal(await groupSnapshot(), before);
      });
    }

    it('accepts maxPatchMembers members in one PATCH, and applies the limit to bulk PATCH operations', async () => {
      const add = patchOp({ op: 'add', path: 'members', value: ids.slice(0, 3).map((value) => ({ value })) });
      assert.equal((await t.scim.patch(`/Groups/${groupId}`).send(add)).status, 204);
      const tooMany = patchOp({ op: 'remove', path: 'members', value: ids.map((value) => ({ value })) });
      const bulk = await t.scim.post('/Bulk').send({ schemas: [BULK], Operations: [{ method: 'PATCH', path: `/Groups/${groupId}`, data: tooMany }] });
      assert.equal(bulk.status, 200);
      assert.equal(bulk.body.Operations[0].status, '413');
      assert.equal((await t.scim.get(`/Groups/${groupId}`)).body.members.length, 3);
    });

    it('answers 400 invalidPath for attribute paths longer than maxAttributePathLength', async () => {
      const long = `name.${'g'.repeat(70)}`;
      assertScimError(await t.scim.patch(`/Users/${ids[0]}`).send(patchOp({ op: 'replace', path: long, value: 'x' })), 400, 'invalidPath');
      assertScimError(await t.scim.patch(`/Users/${ids[0]}`).send(patchOp({ op: 'replace', value: { [long]: 'x' } })), 400, 'invalidPath');
      assertScimError(await t.scim.get(`/Users?attributes=userName,${long}`), 400, 'invalidPath');
      assertScimError(await t.scim.get(`/Users/${ids[0]}?excludedAttributes=${long}`), 400, 'invalidPath');
      assertScimError(await t.scim.get(`/Users?sortBy=${long}`), 400, 'invalidPath');
      assertScimError(await t.scim.post('/Users/.search').send({ schemas: [SEARCH], attributes: ['userName', long] }), 400, 'invalidPath');
      assertScimError(await t.scim.post('/.search').send({ schemas: [SEARCH], sortBy: long }), 400, 'invalidPath');
    });
  });
});
