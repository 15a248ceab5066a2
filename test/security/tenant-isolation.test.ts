import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type supertest from 'supertest';
import { assertScimError, GROUP_SCHEMA, startTestApp, user, type TestApp } from '../support/app.js';
import { bulk, clientFor, issueToken, patchOp, search, type Json, type TokenClient } from './helpers.js';

const A = 'tenant-a';
const B = 'tenant-b';
const SHARED_NAME = 'shared@example.com';

const group = (displayName: string, members: string[] = []) => ({ schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })) });
const filter = (expression: string) => `filter=${encodeURIComponent(expression)}`;
const idsOf = (response: supertest.Response) => ((response.body as Json)['Resources'] as Json[]).map((resource) => String(resource['id']));

/**
 * A token belongs to one tenant and every read and write is scoped to it. With tenant A's token,
 * nothing of tenant B can be read, found, changed, referenced or deleted, even with B's real ids;
 * B's state is checked afterwards through B's own token.
 */
describe('tenant isolation: a token of tenant A never reaches tenant B', () => {
  let t: TestApp;
  let a: TokenClient;
  let b: TokenClient;
  const ids = { aUser: '', aGroup: '', bUser: '', bOnly: '', bGroup: '' };
  let bSnapshot: Json[];

  async function created(response: supertest.Test): Promise<string> {
    const done = await response;
    assert.equal(done.status, 201, JSON.stringify(done.body));
    return String(done.body.id);
  }

  /** What B sees of its own resources: must not change whatever A does. */
  async function bState(): Promise<Json[]> {
    const responses = await Promise.all([
      b.get(`/Users/${ids.bUser}`),
      b.get(`/Users/${ids.bOnly}`),
      b.get(`/Groups/${ids.bGroup}`),
      b.get('/Users?sortBy=userName'),
      b.get('/Groups'),
    ]);
    for (const response of responses) assert.equal(response.status, 200, JSON.stringify(response.body));
    return responses.map((response) => ({ body: response.body as Json, etag: response.headers['etag'] }));
  }

  before(async () => {
    // A fixed base URL: locations must compare equal across requests on different ports.
    t = await startTestApp('security-tenant-isolation', { PUBLIC_BASE_URL: 'https://scim.example.test/scim/v2' });
    a = clientFor(t.app, await issueToken(t.storage.credentials, A, 'okta-a', ['scim:read', 'scim:write']));
    b = clientFor(t.app, await issueToken(t.storage.credentials, B, 'okta-b', ['scim:read', 'scim:write']));
    ids.bUser = await created(b.post('/Users', user(SHARED_NAME)));
    ids.bOnly = await created(b.post('/Users', user('b.only@example.com')));
    ids.bGroup = await created(b.post('/Groups', group('Team', [ids.bUser])));
    // Uniqueness is per tenant: A may use the userName and displayName B already uses.
    ids.aUser = await created(a.post('/Users', user(SHARED_NAME)));
    ids.aGroup = await created(a.post('/Groups', group('Team', [ids.aUser])));
    bSnapshot = await bState();
  });

  afterEach(async () => {
    assert.deepEqual(await bState(), bSnapshot, "tenant B's data changed");
  });

  after(() => t.close());

  it("reading B's user or group by its real id: 404", async () => {
    assertScimError(await a.get(`/Users/${ids.bUser}`), 404);
    assertScimError(await a.get(`/Users/${ids.bOnly}?attributes=userName`), 404);
    assertScimError(await a.get(`/Groups/${ids.bGroup}`), 404);
  });

  it("lists hold only A's resources", async () => {
    assert.deepEqual(idsOf(await a.get('/Users')), [ids.aUser]);
    assert.deepEqual(idsOf(await a.get('/Groups')), [ids.aGroup]);
    assert.deepEqual(idsOf(await a.get('/Users?count=0')), []);
    assert.equal((await a.get('/Users?count=0')).body.totalResults, 1);
  });

  it("filters by B's ids or userNames find nothing; a shared userName finds only A's user", async () => {
    for (const expression of [`id eq "${ids.bUser}"`, `id eq "${ids.bOnly}"`, 'userName eq "b.only@example.com"', `groups.value eq "${ids.bGroup}"`, `id eq "${ids.bUser}" or id eq "${ids.bOnly}"`]) {
      const response = await a.get(`/Users?${filter(expression)}`);
      assert.equal(response.status, 200, expression);
      assert.equal(response.body.totalResults, 0, expression);
    }
    assert.deepEqual(idsOf(await a.get(`/Users?${filter(`userName eq "${SHARED_NAME}"`)}`)), [ids.aUser]);
    assert.equal((await a.get(`/Groups?${filter(`id eq "${ids.bGroup}"`)}`)).body.totalResults, 0);
    // Filtering groups by member may be refused (400); it must never reveal B's group.
    const byMember = await a.get(`/Groups?${filter(`members.value eq "${ids.bUser}"`)}`);
    if (byMember.status === 200) assert.equal(byMember.body.totalResults, 0);
    else assertScimError(byMember, 400);
    assert.deepEqual(idsOf(await a.get(`/Groups?${filter('displayName eq "Team"')}`)), [ids.aGroup]);
  });

  it('.search at the root and per type finds nothing of B', async () => {
    assert.deepEqual(idsOf(await a.post('/.search', search())).sort(), [ids.aUser, ids.aGroup].sort());
    assert.equal((await a.post('/.search', search({ filter: `id eq "${ids.bUser}" or id eq "${ids.bGroup}"` }))).body.totalResults, 0);
    assert.equal((await a.post('/.search', search({ filter: 'userName eq "b.only@example.com"' }))).body.totalResults, 0);
    assert.equal((await a.post('/Users/.search', search({ filter: `id eq "${ids.bUser}"` }))).body.totalResults, 0);
    assert.deepEqual(idsOf(await a.post('/Users/.search', search({ filter: `userName eq "${SHARED_NAME}"` }))), [ids.aUser]);
    assert.equal((await a.post('/Groups/.search', search({ filter: `id eq "${ids.bGroup}"` }))).body.totalResults, 0);
  });

  it("replacing, patching or deleting B's resources by their real ids: 404", async () => {
    assertScimError(await a.put(`/Users/${ids.bUser}`, user(SHARED_NAME, { title: 'Hijacked' })), 404);
    assertScimError(await a.patch(`/Users/${ids.bUser}`, patchOp({ op: 'replace', path: 'active', value: false })), 404);
    assertScimError(await a.delete(`/Users/${ids.bOnly}`), 404);
    assertScimError(await a.put(`/Groups/${ids.bGroup}`, group('Hijacked', [ids.aUser])), 404);
    assertScimError(await a.patch(`/Groups/${ids.bGroup}`, patchOp({ op: 'add', path: 'members', value: [{ value: ids.aUser }] })), 404);
    assertScimError(await a.patch(`/Groups/${ids.bGroup}`, patchOp({ op: 'remove', path: 'members' })), 404);
    assertScimError(await a.delete(`/Groups/${ids.bGroup}`), 404);
  });

  it("B's user or group as a member of A's group: 400, exactly as for an id that does not exist", async () => {
    const unknown = await a.patch(`/Groups/${ids.aGroup}`, patchOp({ op: 'add', path: 'members', value: [{ value: randomUUID() }] }));
    assert.equal(unknown.status, 400);
    const scimType = String(unknown.body.scimType);
    for (const foreign of [ids.bUser, ids.bGroup]) {
      assertScimError(await a.patch(`/Groups/${ids.aGroup}`, patchOp({ op: 'add', path: 'members', value: [{ value: foreign }] })), 400, scimType);
      assertScimError(await a.put(`/Groups/${ids.aGroup}`, group('Team', [ids.aUser, foreign])), 400, scimType);
      assertScimError(await a.post('/Groups', group(`Foreign ${foreign}`, [foreign])), 400, scimType);
    }
    const members = await a.get(`/Groups/${ids.aGroup}`);
    assert.deepEqual((members.body.members as Json[]).map((member) => member['value']), [ids.aUser]);
  });

  it("Bulk operations naming B's ids fail one by one like unknown ids", async () => {
    const response = await a.post(
      '/Bulk',
      bulk(
        { method: 'PATCH', path: `/Users/${ids.bUser}`, data: patchOp({ op: 'replace', path: 'active', value: false }) },
        { method: 'PUT', path: `/Users/${ids.bOnly}`, data: user('b.only@example.com', { title: 'Hijacked' }) },
        { method: 'DELETE', path: `/Groups/${ids.bGroup}` },
        { method: 'DELETE', path: `/Users/${ids.bUser}` },
        { method: 'POST', path: '/Groups', bulkId: 'g', data: group('With B', [ids.bUser]) },
        { method: 'PATCH', path: `/Groups/${ids.aGroup}`, data: patchOp({ op: 'add', path: 'members', value: [{ value: ids.bOnly }] }) },
      ),
    );
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const statuses = (response.body.Operations as Json[]).map((operation) => operation['status']);
    assert.deepEqual(statuses, ['404', '404', '404', '404', '400', '400']);
  });

  it("a cursor from B's listing, replayed by A, yields only A's resources", async () => {
    const first = await b.get('/Users?cursor=&count=1&sortBy=userName');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const cursor = String(first.body.nextCursor);
    for (const replay of [() => a.get(`/Users?cursor=${encodeURIComponent(cursor)}&count=1&sortBy=userName`), () => a.post('/Users/.search', search({ cursor, count: 1, sortBy: 'userName' }))]) {
      const response = await replay();
      if (response.status === 200) {
        for (const id of idsOf(response)) assert.equal(id, ids.aUser);
      } else {
        assertScimError(response, 400);
      }
    }
  });

  it("B's token cannot see A's resources either", async () => {
    assertScimError(await b.get(`/Users/${ids.aUser}`), 404);
    assertScimError(await b.get(`/Groups/${ids.aGroup}`), 404);
    assert.deepEqual(idsOf(await b.get(`/Users?${filter(`userName eq "${SHARED_NAME}"`)}`)), [ids.bUser]);
  });
});
