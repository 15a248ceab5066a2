import { strict as assert } from 'node:assert';
import { ENTERPRISE, startTestApp, user, USER_SCHEMA, type TestApp } from '../support/app.js';
import { withRawUsers } from '../users/helpers.js';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

interface BulkResult {
  method: string;
  bulkId?: string;
  location?: string;
  status: string;
  response?: { scimType?: string; status: string };
}

const bulk = (operations: unknown[], extra: Record<string, unknown> = {}) => ({ schemas: [BULK_REQUEST], Operations: operations, ...extra });
const create = (bulkId: string, data: unknown) => ({ method: 'POST', path: '/Users', bulkId, data });
const idOf = (result: BulkResult | undefined) => String(result?.location).split('/').pop() as string;

/**
 * Consecutive POST /Users operations of a Bulk request are created together (one insert per
 * collection). Each must still answer, store and record exactly what a POST /Users would.
 */
describe('POST /Bulk: consecutive user creates run as one batch (RFC 7644 §3.7)', function () {
  this.timeout(120_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp('bulk-batched');
  });
  after(() => t.close());

  const send = async (operations: unknown[], extra: Record<string, unknown> = {}) => {
    const response = await t.scim.post('/Bulk').send(bulk(operations, extra));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.Operations as BulkResult[];
  };

  it('creates every user with its own id, audit entry and user.provisioned event, and leaves nothing pending', async () => {
    const results = await send(Array.from({ length: 50 }, (_, i) => create(`b${i}`, user(`batch-${i}@example.com`, { externalId: `ext-batch-${i}` }))));
    assert.deepEqual(results.map((result) => result.status), Array(50).fill('201'));
    const ids = results.map(idOf);
    assert.equal(new Set(ids).size, 50);
    for (const [i, id] of ids.entries()) {
      const stored = await t.scim.get(`/Users/${id}`);
      assert.equal(stored.body.userName, `batch-${i}@example.com`);
      const found = await t.scim.get(`/Users?filter=${encodeURIComponent(`externalId eq "ext-batch-${i}"`)}`);
      assert.deepEqual(found.body.Resources.map((resource: { id: string }) => resource.id), [id]);
      const audit = await t.storage.audit.query({ tenant: 'default', resourceId: id, limit: 10 });
      assert.deepEqual(audit.map((entry) => entry.operation), ['create']);
      const events = await t.storage.events.forSubject('default', id);
      assert.ok(events.some((event) => event.type === 'user.provisioned'), `user.provisioned for ${id}`);
    }
    const leftovers = await withRawUsers(t, (users) => users.countDocuments({ _id: { $in: ids }, hasPending: true }));
    assert.equal(leftovers, 0);
  });

  it('fails only the operations that fail, in place: invalid body, a name already stored, the same name twice in the run', async () => {
    await t.scim.post('/Users').send(user('taken-before@example.com'));
    const results = await send([
      create('ok1', user('run-ok-1@example.com')),
      create('bad', { schemas: [USER_SCHEMA], userName: 'run-bad@example.com', active: 'maybe' }),
      create('taken', user('TAKEN-BEFORE@example.com')),
      create('first', user('twice@example.com')),
      create('second', user('Twice@example.com')),
      create('ok2', user('run-ok-2@example.com')),
    ]);
    assert.deepEqual(results.map((result) => [result.bulkId, result.status]), [['ok1', '201'], ['bad', '400'], ['taken', '409'], ['first', '201'], ['second', '409'], ['ok2', '201']]);
    assert.equal(results[2]!.response!.scimType, 'uniqueness');
    assert.equal(results[4]!.response!.scimType, 'uniqueness');
    assert.equal((await t.scim.get(`/Users?filter=${encodeURIComponent('userName eq "run-bad@example.com"')}`)).body.totalResults, 0, 'the invalid body stored nothing');
    const twice = await t.scim.get(`/Users?filter=${encodeURIComponent('userName eq "twice@example.com"')}`);
    assert.deepEqual(twice.body.Resources.map((resource: { id: string }) => resource.id), [idOf(results[3])]);
  });

  it('answers a bad path inside a run of creates with its SCIM error and stores nothing for it, the creates around it succeeding', async () => {
    const results = await send([
      create('before', user('path-before@example.com')),
      { method: 'POST', path: '/Nope', bulkId: 'nope', data: user('path-nope@example.com') },
      { method: 'POST', path: '/Users/some-id', bulkId: 'withId', data: user('path-with-id@example.com') },
      create('after', user('path-after@example.com')),
      create('last', user('path-last@example.com')),
    ]);
    assert.deepEqual(results.map((result) => [result.bulkId, result.status, result.response?.scimType]), [
      ['before', '201', undefined],
      ['nope', '400', 'invalidPath'],
      ['withId', '400', 'invalidPath'],
      ['after', '201', undefined],
      ['last', '201', undefined],
    ]);
    for (const name of ['path-nope@example.com', 'path-with-id@example.com']) {
      const found = await t.scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}`);
      assert.equal(found.body.totalResults, 0, `${name} stored nothing`);
    }
  });

  it('frees nothing it did not take: a failed create in the run leaves the stored holder of the name untouched', async () => {
    const holder = await t.scim.post('/Users').send(user('holder@example.com', { title: 'holder' }));
    await send([create('h1', user('holder@example.com')), create('h2', user('other-in-run@example.com'))]);
    const again = await t.scim.post('/Users').send(user('holder@example.com'));
    assert.equal(again.status, 409, 'the name is still claimed by its holder');
    assert.equal((await t.scim.get(`/Users/${holder.body.id}`)).body.title, 'holder');
  });

  it('stops at failOnErrors inside a run of creates: nothing after the last counted error is created', async () => {
    await t.scim.post('/Users').send(user('fail-a@example.com'));
    await t.scim.post('/Users').send(user('fail-b@example.com'));
    const results = await send([create('a', user('fail-a@example.com')), create('b', user('fail-b@example.com')), create('c', user('after-fail@example.com'))], { failOnErrors: 2 });
    assert.deepEqual(results.map((result) => result.status), ['409', '409']);
    assert.equal((await t.scim.get(`/Users?filter=${encodeURIComponent('userName eq "after-fail@example.com"')}`)).body.totalResults, 0);
  });

  it('runs a create that refers to another create of the same run by bulkId after it, with the reference resolved', async () => {
    const results = await send([
      create('boss', user('boss@example.com')),
      create('report', user('report@example.com', { schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'bulkId:boss' } } })),
      create('peer', user('peer@example.com')),
    ]);
    assert.deepEqual(results.map((result) => result.status), ['201', '201', '201']);
    const report = await t.scim.get(`/Users/${idOf(results[1])}`);
    assert.equal(report.body[ENTERPRISE].manager.value, idOf(results[0]));
  });
});

describe('relay of audit entries and events (group commit)', function () {
  this.timeout(120_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp('relay-group-commit');
  });
  after(() => t.close());

  it('stores the audit entry of each of 30 concurrent PATCHes and clears every pending entry', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1) ids.push(String((await t.scim.post('/Users').send(user(`relay-${i}@example.com`))).body.id));
    const patch = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'relayed' }] };
    const responses = await Promise.all(ids.map((id) => t.scim.patch(`/Users/${id}`).send(patch)));
    assert.ok(responses.every((response) => response.status === 200));
    for (const id of ids) {
      const audit = await t.storage.audit.query({ tenant: 'default', resourceId: id, limit: 10 });
      assert.deepEqual(audit.map((entry) => entry.operation), ['create', 'patch'], id);
    }
    const leftovers = await withRawUsers(t, (users) => users.countDocuments({ _id: { $in: ids }, hasPending: true }));
    assert.equal(leftovers, 0);
  });
});
