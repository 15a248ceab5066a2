import assert from 'node:assert/strict';
import supertest from 'supertest';
import { tokenHash } from '../../src/auth/tokens.js';
import { ENTERPRISE, GROUP_SCHEMA, startTestApp, USER_SCHEMA, type TestApp } from '../support/app.js';
import { operatorKeys, storedState } from './state.js';

const OTHER_TOKEN = 'injection-other-tenant-token-0123';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const ENCODED_OPERATOR_ID = encodeURIComponent('{"$gt":""}');

type Json = Record<string, unknown>;

/** Literal user names full of regex metacharacters, and their innocent look-alikes. */
const NAMES = ['a.b@example.com', 'axb@example.com', '.*star@example.com', '^caret@example.com', 'dollar$', 'paren(1)@example.com', 'back\\slash@example.com', 'plus+1@example.com'];

describe('NoSQL injection: user input never reaches a query as an operator', function () {
  this.timeout(60_000);
  let t: TestApp;
  let other: ReturnType<typeof supertest>;
  const ids = new Map<string, string>();
  let groupId: string;

  const asOther = (test: supertest.Test) => test.set('Authorization', `Bearer ${OTHER_TOKEN}`);

  before(async () => {
    t = await startTestApp('security-injection', { PUBLIC_BASE_URL: 'https://scim.example.com/scim/v2' });
    assert.ok(await t.storage.credentials.insertIfAbsent({ hash: tokenHash(OTHER_TOKEN), tenant: 'other-tenant', name: 'other', scopes: ['scim:read', 'scim:write'], createdAt: new Date() }));
    other = supertest(t.app);
    for (const userName of NAMES) {
      const created = await t.scim.post('/Users').send({ schemas: [USER_SCHEMA], userName, externalId: `ext-${userName}` });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      ids.set(userName, String(created.body.id));
    }
    const foreign = await asOther(other.post('/scim/v2/Users')).send({ schemas: [USER_SCHEMA], userName: 'foreign@example.com' });
    assert.equal(foreign.status, 201);
    const created = await t.scim.post('/Groups').send({ schemas: [GROUP_SCHEMA], displayName: 'Target', members: [{ value: ids.get(NAMES[0]!) }] });
    assert.equal(created.status, 201);
    groupId = String(created.body.id);
  });
  after(() => t.close());

  /** A hostile request must be a 4xx SCIM error that changes nothing, or a 2xx that stores no operator key. */
  async function assertHarmless(send: () => supertest.Test | Promise<supertest.Response>, label: string): Promise<supertest.Response> {
    const before = await storedState(t);
    const response = await send();
    assert.ok(response.status < 500, `${label}: ${response.status} ${JSON.stringify(response.body)}`);
    if (response.status >= 400) {
      assert.equal(response.body.schemas?.[0], 'urn:ietf:params:scim:api:messages:2.0:Error', label);
      assert.equal(await storedState(t), before, `${label}: a rejected request changed stored state`);
    }
    assert.deepEqual(operatorKeys(JSON.parse(await storedState(t))), [], `${label}: an operator key was stored`);
    assert.equal(({} as Json)['polluted'], undefined, `${label}: Object.prototype was polluted`);
    assert.doesNotMatch(JSON.stringify(response.body), /foreign@example\.com/, `${label}: another tenant's data leaked`);
    return response;
  }

  describe('filter values match literally (regex metacharacters are escaped)', () => {
    const cases: [string, string[]][] = [
      ['userName sw "a.b"', ['a.b@example.com']],
      ['userName sw ".*"', ['.*star@example.com']],
      ['userName co ".*"', ['.*star@example.com']],
      ['userName co "^"', ['^caret@example.com']],
      ['userName sw "^"', ['^caret@example.com']],
      ['userName ew "$"', ['dollar$']],
      ['userName co "$"', ['dollar$']],
      ['userName eq ".*"', []],
      ['userName eq "a.b@example.com"', ['a.b@example.com']],
      ['userName co "(1)"', ['paren(1)@example.com']],
      ['userName co "("', ['paren(1)@example.com']],
      ['userName co "["', []],
      ['userName co "\\\\"', ['back\\slash@example.com']],
      ['userName co "+1"', ['plus+1@example.com']],
      ['userName co "|"', []],
      ['externalId sw "ext-.*"', ['.*star@example.com']],
      ['userName co "foreign"', []],
      ['userName pr', NAMES],
    ];
    for (const [filter, expected] of cases) {
      it(`${filter} → ${expected.length === NAMES.length ? 'all of this tenant' : JSON.stringify(expected)}`, async () => {
        for (const send of [
          () => t.scim.get(`/Users?filter=${encodeURIComponent(filter)}`),
          () => t.scim.post('/Users/.search').send({ schemas: [SEARCH], filter }),
        ]) {
          const response = await send();
          assert.equal(response.status, 200, JSON.stringify(response.body));
          const names = (response.body.Resources as Json[]).map((resource) => resource['userName']).sort();
          assert.deepEqual(names, [...expected].sort());
        }
      });
    }
  });

  describe('operators and prototype keys in bodies', () => {
    const userBodies: [string, Json][] = [
      ['userName as {"$ne": null}', { userName: { $ne: null } }],
      ['userName as {"$gt": ""}', { userName: { $gt: '' } }],
      ['userName as {"$regex": ".*"}', { userName: { $regex: '.*' } }],
      ['userName as an array', { userName: ['a.b@example.com'] }],
      ['a top-level $where', { userName: 'where@example.com', $where: 'sleep(100) || true' }],
      ['a $set in a complex attribute', { userName: 'set@example.com', name: { givenName: 'A', $set: { userName: 'x' } } }],
      ['an operator as a sub-attribute value', { userName: 'sub@example.com', name: { givenName: { $ne: null } } }],
      ['an operator in a multi-valued attribute', { userName: 'mv@example.com', emails: [{ value: { $regex: '.*' }, type: 'work' }] }],
      ['a $-key element in a multi-valued attribute', { userName: 'mv2@example.com', emails: [{ $where: '1', value: 'x@example.com' }] }],
      ['an operator in the enterprise extension', { userName: 'ent@example.com', schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { department: { $ne: null } } }],
      ['a $-key in the enterprise manager', { userName: 'mgr@example.com', schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { manager: { value: { $gt: '' }, $where: '1' } } }],
      ['a $-key inside the enterprise extension', { userName: 'ent2@example.com', schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { $set: { department: 'x' } } }],
      ['externalId as {"$ne": null}', { userName: 'ext@example.com', externalId: { $ne: null } }],
      ['active as {"$ne": false}', { userName: 'act@example.com', active: { $ne: false } }],
      ['id as {"$gt": ""}', { userName: 'id@example.com', id: { $gt: '' } }],
      ['meta with operators', { userName: 'meta@example.com', meta: { $set: { created: 'x' } } }],
      ['groups with an operator value', { userName: 'grp@example.com', groups: [{ value: { $ne: null } }] }],
      ['a constructor.prototype key', { userName: 'ctor@example.com', constructor: { prototype: { polluted: true } } }],
      ['a dotted $ key', { userName: 'dot@example.com', 'name.$where': '1' }],
    ];
    for (const [what, extra] of userBodies) {
      it(`POST /Users with ${what}`, async () => {
        await assertHarmless(() => t.scim.post('/Users').send({ schemas: [USER_SCHEMA], ...extra }), what);
      });
      it(`PUT /Users/{id} with ${what}`, async () => {
        const id = ids.get('axb@example.com')!;
        await assertHarmless(() => t.scim.put(`/Users/${id}`).send({ schemas: [USER_SCHEMA], userName: 'axb@example.com', ...extra }), what);
      });
    }

    it('POST /Users with a raw __proto__ key', async () => {
      const raw = `{"schemas":["${USER_SCHEMA}"],"userName":"proto@example.com","__proto__":{"polluted":true},"name":{"__proto__":{"polluted":true},"givenName":"P"}}`;
      await assertHarmless(() => t.scim.post('/Users').set('Content-Type', 'application/scim+json').send(raw), '__proto__');
    });

    const patches: [string, Json[]][] = [
      ['a $where path', [{ op: 'add', path: '$where', value: 'sleep(1)' }]],
      ['a $set value at userName', [{ op: 'replace', path: 'userName', value: { $set: { userName: 'x' } } }]],
      ['an operator value at userName', [{ op: 'replace', path: 'userName', value: { $ne: null } }]],
      ['a path-less $set', [{ op: 'replace', value: { $set: { userName: 'x' } } }]],
      ['a path-less $-key in a complex value', [{ op: 'replace', value: { name: { $rename: { givenName: 'x' } } } }]],
      ['a $ sub-attribute path', [{ op: 'replace', path: 'name.$where', value: 'x' }]],
      ['a value filter with an operator attribute', [{ op: 'replace', path: 'emails[$where eq "1"].value', value: 'x' }]],
      ['a value filter with an operator value', [{ op: 'remove', path: 'emails[value eq {"$ne":null}]' }]],
      ['a __proto__ path', [{ op: 'add', path: '__proto__.polluted', value: true }]],
      ['a constructor.prototype path', [{ op: 'add', path: 'constructor.prototype.polluted', value: true }]],
      ['an extension path ending in $', [{ op: 'add', path: `${ENTERPRISE}:$where`, value: 'x' }]],
      ['an extension value with operators', [{ op: 'add', path: ENTERPRISE, value: { department: { $ne: null } } }]],
      ['a path given as an object', [{ op: 'add', path: { $ne: null }, value: 'x' }]],
      ['an op given as an object', [{ op: { $ne: null }, path: 'title', value: 'x' }]],
    ];
    for (const [what, operations] of patches) {
      it(`PATCH /Users/{id} with ${what}`, async () => {
        const id = ids.get('axb@example.com')!;
        await assertHarmless(() => t.scim.patch(`/Users/${id}`).send({ schemas: [PATCH_OP], Operations: operations }), what);
      });
    }

    const groupBodies: [string, () => supertest.Test][] = [
      ['POST /Groups with an operator member value', () => t.scim.post('/Groups').send({ schemas: [GROUP_SCHEMA], displayName: 'G1', members: [{ value: { $ne: null } }] })],
      ['POST /Groups with an operator displayName', () => t.scim.post('/Groups').send({ schemas: [GROUP_SCHEMA], displayName: { $gt: '' } })],
      ['PATCH /Groups add operator members', () => t.scim.patch(`/Groups/${groupId}`).send({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: { $ne: null } }] }] })],
      ['PATCH /Groups remove members by an operator', () => t.scim.patch(`/Groups/${groupId}`).send({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members', value: [{ value: { $ne: null } }] }] })],
      ['PATCH /Groups remove members by a regex-like filter', () => t.scim.patch(`/Groups/${groupId}`).send({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members[value sw ".*"]' }] })],
      ['PUT /Groups with a $-key member', () => t.scim.put(`/Groups/${groupId}`).send({ schemas: [GROUP_SCHEMA], displayName: 'Target', members: [{ value: ids.get(NAMES[0]!), $where: '1' }] })],
    ];
    for (const [what, send] of groupBodies) {
      it(what, async () => {
        await assertHarmless(send, what);
        const members = ((await t.scim.get(`/Groups/${groupId}`)).body.members as Json[]).map((member) => member['value']);
        assert.deepEqual(members, [ids.get(NAMES[0]!)], 'the group keeps exactly its member');
      });
    }
  });

  describe('operators in ids and query parameters', () => {
    const idPaths = [ENCODED_OPERATOR_ID, '%24where', '%24ne', encodeURIComponent('{"$ne":null}'), '.*', '%00', encodeURIComponent('a.b@example.com')];
    for (const id of idPaths) {
      it(`/Users/${id} is a plain unknown id: 404 on every method`, async () => {
        for (const send of [
          () => t.scim.get(`/Users/${id}`),
          () => t.scim.put(`/Users/${id}`).send({ schemas: [USER_SCHEMA], userName: 'x@example.com' }),
          () => t.scim.patch(`/Users/${id}`).send({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'x' }] }),
          () => t.scim.delete(`/Users/${id}`),
          () => t.scim.delete(`/Groups/${id}`),
        ]) {
          const response = await assertHarmless(send, id);
          assert.equal(response.status, 404, `${id}: ${JSON.stringify(response.body)}`);
        }
      });
    }

    const queries: [string, number | undefined][] = [
      ['filter=userName eq "a"&filter=userName eq "b"', 400],
      ['count[$gt]=1', 200],
      ['count=1&count=2', 400],
      ['startIndex[$gt]=0', 200],
      ['attributes=$where', 200],
      ['attributes[$ne]=x', 200],
      ['attributes=userName&attributes=id', 400],
      ['excludedAttributes=$where,__proto__', 200],
      ['sortBy=$where', undefined],
      ['sortBy=__proto__', undefined],
      ['sortOrder[$ne]=x', 200],
      ['filter=$where eq "1"', 400],
      ['filter=userName[$ne] eq "1"', 400],
      ['filter=userName eq {"$ne":null}', 400],
      ['filter[$ne]=null', 200],
      ['filter=__proto__ eq "x"', undefined],
      ['filter=constructor pr', undefined],
    ];
    for (const [query, status] of queries) {
      it(`GET /Users?${query} → ${status ?? '2xx or 4xx'}, nothing leaked`, async () => {
        const url = `/Users?${query.split('&').map((pair) => pair.split('=').map(encodeURIComponent).join('=')).join('&')}`;
        const response = await assertHarmless(() => t.scim.get(url), query);
        if (status !== undefined) assert.equal(response.status, status, JSON.stringify(response.body));
      });
    }

    const searches: Json[] = [
      { filter: { $ne: null } },
      { filter: ['userName pr'] },
      { count: { $gt: 1 } },
      { startIndex: ['1'] },
      { sortBy: { $ne: null } },
      { attributes: [{ $ne: null }] },
      { excludedAttributes: '$where' },
    ];
    for (const search of searches) {
      it(`POST /.search with ${JSON.stringify(search)}`, async () => {
        for (const path of ['/Users/.search', '/.search']) {
          await assertHarmless(() => t.scim.post(path).send({ schemas: [SEARCH], ...search }), JSON.stringify(search));
        }
      });
    }

    it('bulk operations with operator paths and data', async () => {
      const operations = [
        { method: 'DELETE', path: `/Users/{"$gt":""}` },
        { method: 'PATCH', path: '/Users/$where', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'x' }] } },
        { method: 'POST', path: '/Users', bulkId: 'b1', data: { schemas: [USER_SCHEMA], userName: { $ne: null } } },
        { method: 'PUT', path: `/Users/${ids.get('axb@example.com')}`, data: { schemas: [USER_SCHEMA], userName: { $gt: '' } } },
      ];
      const before = await storedState(t);
      const response = await t.scim.post('/Bulk').send({ schemas: [BULK], Operations: operations });
      assert.equal(response.status, 200);
      const statuses = (response.body.Operations as Json[]).map((operation) => Number(operation['status']));
      assert.ok(statuses.every((status) => status >= 400 && status < 500), JSON.stringify(response.body));
      assert.equal(await storedState(t), before);
    });
  });

  it('the other tenant still sees only its own user', async () => {
    const response = await asOther(other.get('/scim/v2/Users'));
    assert.deepEqual((response.body.Resources as Json[]).map((resource) => resource['userName']), ['foreign@example.com']);
  });
});
