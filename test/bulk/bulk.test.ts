import { strict as assert } from 'node:assert';
import { assertScimError, GROUP_SCHEMA, startTestApp, user, type TestApp } from '../support/app.js';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

interface BulkResult {
  method: string;
  bulkId?: string;
  location?: string;
  version?: string;
  status: string;
  response?: { scimType?: string; status: string };
}

function bulk(operations: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [BULK_REQUEST], Operations: operations, ...extra };
}

const idOf = (result: BulkResult) => String(result.location).split('/').pop();

describe('POST /Bulk (RFC 7644 §3.7)', function () {
  this.timeout(120_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp('bulk');
  });
  after(async () => {
    await t.close();
  });

  it('is advertised with its limits', async () => {
    const config = (await t.scim.get('/ServiceProviderConfig')).body;
    assert.deepEqual(config.bulk, { supported: true, maxOperations: 1000, maxPayloadSize: 4 * 1024 * 1024 });
  });

  describe('§3.7.1 operations and bulkId references', () => {
    it('creates users and a group whose members refer to them by bulkId, then PUTs a bulkId path', async () => {
      const response = await t.scim.post('/Bulk').send(
        bulk([
          { method: 'POST', path: '/Users', bulkId: 'u1', data: user('bulk-one') },
          { method: 'POST', path: '/Users', bulkId: 'u2', data: user('bulk-two') },
          { method: 'POST', path: '/Groups', bulkId: 'g1', data: { schemas: [GROUP_SCHEMA], displayName: 'bulk-group', members: [{ value: 'bulkId:u1' }, { value: 'bulkId:u2' }] } },
          { method: 'PUT', path: '/Users/bulkId:u2', data: user('bulk-two', { title: 'Renamed by bulk' }) },
        ]),
      );
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.schemas, [BULK_RESPONSE]);
      const results = response.body.Operations as BulkResult[];
      assert.deepEqual(results.map((result) => [result.method, result.bulkId, result.status]), [
        ['POST', 'u1', '201'],
        ['POST', 'u2', '201'],
        ['POST', 'g1', '201'],
        ['PUT', undefined, '200'],
      ]);
      assert.match(String(results[0]!.version), /^W\/"\d+"$/);
      const groupId = idOf(results[2]!);
      const members = (await t.scim.get(`/Groups/${groupId}`)).body.members.map((member: { value: string }) => member.value).sort();
      assert.deepEqual(members, [idOf(results[0]!), idOf(results[1]!)].sort());
      const two = (await t.scim.get(`/Users/${idOf(results[1]!)}`)).body;
      assert.equal(two.title, 'Renamed by bulk');
    });

    it('answers 409 invalidValue for a bulkId that names nothing created before it', async () => {
      const response = await t.scim.post('/Bulk').send(bulk([{ method: 'PUT', path: '/Users/bulkId:nope', data: user('x') }]));
      const [result] = response.body.Operations as BulkResult[];
      assert.equal(result!.status, '409');
      assert.equal(result!.response!.scimType, 'invalidValue');
    });

    it('reports each failed operation in place and carries on', async () => {
      const response = await t.scim.post('/Bulk').send(
        bulk([
          { method: 'POST', path: '/Users', bulkId: 'a', data: user('dup-in-bulk') },
          { method: 'POST', path: '/Users', bulkId: 'b', data: user('DUP-IN-BULK') },
          { method: 'DELETE', path: '/Users/does-not-exist' },
          { method: 'POST', path: '/Users', bulkId: 'c', data: user('after-errors') },
        ]),
      );
      const statuses = (response.body.Operations as BulkResult[]).map((result) => result.status);
      assert.deepEqual(statuses, ['201', '409', '404', '201']);
      assert.equal((response.body.Operations as BulkResult[])[1]!.response!.scimType, 'uniqueness');
    });

    it('stops after failOnErrors errors', async () => {
      const response = await t.scim.post('/Bulk').send(
        bulk(
          [
            { method: 'DELETE', path: '/Users/missing-1' },
            { method: 'DELETE', path: '/Users/missing-2' },
            { method: 'POST', path: '/Users', bulkId: 'never', data: user('never-created') },
          ],
          { failOnErrors: 2 },
        ),
      );
      assert.equal((response.body.Operations as BulkResult[]).length, 2);
      assert.equal((await t.scim.get('/Users?filter=userName eq "never-created"')).body.totalResults, 0);
    });

    it('deletes with DELETE and honours a stale version with 412', async () => {
      const created = await t.scim.post('/Users').send(user('bulk-delete'));
      await t.scim.put(`/Users/${created.body.id}`).send(user('bulk-delete', { title: 'changed' }));
      const response = await t.scim.post('/Bulk').send(
        bulk([
          { method: 'DELETE', path: `/Users/${created.body.id}`, version: created.headers['etag'] },
          { method: 'DELETE', path: `/Users/${created.body.id}` },
        ]),
      );
      assert.deepEqual((response.body.Operations as BulkResult[]).map((result) => result.status), ['412', '204']);
      assertScimError(await t.scim.get(`/Users/${created.body.id}`), 404);
    });
  });

  describe('limits (§3.7.4)', () => {
    // maxOperations; on both engines since the patched embedded engine writes by _id in O(1) (docs/benchmarks.md).
    const BULK_CREATES = 1000;

    it(`creates ${BULK_CREATES} users in one request`, async function () {
      this.timeout(600_000);
      const operations = Array.from({ length: BULK_CREATES }, (_, i) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `k${i}`,
        data: user(`bulk-user-${i}@example.com`, { name: { givenName: 'Bulk', familyName: `User ${i}` }, emails: [{ value: `bulk-user-${i}@example.com`, type: 'work', primary: true }] }),
      }));
      const response = await t.scim.post('/Bulk').send(bulk(operations));
      assert.equal(response.status, 200);
      const results = response.body.Operations as BulkResult[];
      assert.equal(results.length, BULK_CREATES);
      assert.ok(results.every((result) => result.status === '201'));
      assert.equal((await t.scim.get('/Users?filter=userName sw "bulk-user-"&count=0')).body.totalResults, BULK_CREATES);
    });

    it('answers 413 for more than maxOperations operations and creates nothing', async () => {
      const operations = Array.from({ length: 1001 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `x${i}`, data: user(`too-many-${i}`) }));
      assertScimError(await t.scim.post('/Bulk').send(bulk(operations)), 413);
      assert.equal((await t.scim.get('/Users?filter=userName sw "too-many-"&count=0')).body.totalResults, 0);
    });

    it('answers 413 for a payload over maxPayloadSize', async () => {
      const operations = [{ method: 'POST', path: '/Users', bulkId: 'big', data: user('big', { nickName: 'x'.repeat(4 * 1024 * 1024) }) }];
      assertScimError(await t.scim.post('/Bulk').send(bulk(operations)), 413);
    });

    const malformed: [string, unknown][] = [
      ['no schemas', { Operations: [{ method: 'DELETE', path: '/Users/x' }] }],
      ['no operations', { schemas: [BULK_REQUEST], Operations: [] }],
      ['an unknown method', bulk([{ method: 'GET', path: '/Users' }])],
      ['a POST without bulkId', bulk([{ method: 'POST', path: '/Users', data: user('nobulkid') }])],
      ['duplicate bulkIds', bulk([{ method: 'POST', path: '/Users', bulkId: 'same', data: user('s1') }, { method: 'POST', path: '/Users', bulkId: 'same', data: user('s2') }])],
      ['failOnErrors zero', bulk([{ method: 'DELETE', path: '/Users/x' }], { failOnErrors: 0 })],
    ];
    for (const [what, body] of malformed) {
      it(`answers 400 invalidSyntax for ${what} and runs nothing`, async () => {
        assertScimError(await t.scim.post('/Bulk').send(body as object), 400, 'invalidSyntax');
        assert.equal((await t.scim.get('/Users?filter=userName eq "s1" or userName eq "nobulkid"&count=0')).body.totalResults, 0);
      });
    }
  });
});
