import assert from 'node:assert/strict';
import { assertScimError, startTestApp, USER_SCHEMA, type TestApp } from '../support/app.js';
import {
  assertEmptyList,
  assertScimJsonType,
  context,
  expectStatus,
  hasKeyDeep,
  ids,
  listOf,
  oktaClient,
  passwordMatches,
  patchOp,
  qs,
  seedUsers,
  storedPasswordHash,
  storedUser,
  storedUserCount,
  type Body,
  type Client,
} from './interop-helpers.js';

/**
 * Okta's OIN SCIM 2.0 connector pushing one user through its lifecycle, then importing. Each step
 * uses what earlier steps returned, as Okta does: it keeps the id from the POST response.
 */
describe('interop: Okta OIN user push (assign → update → deactivate → reactivate → password → import)', () => {
  let t: TestApp;
  let okta: Client;
  let userId: string;
  let created: Body;
  const USER_NAME = 'Isaac.Brock@example.com';
  const PASSWORD = 't1meMa7ch!-initial';
  const NEW_PASSWORD = 'n3w-Pa55word!-synced';

  /** Okta's create body (developer.okta.com SCIM 2.0 reference), with groups:[] and a password. */
  const oktaCreateBody = (userName: string, externalId: string): Body => ({
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: 'Isaac', familyName: 'Brock' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Isaac Brock',
    locale: 'en-US',
    externalId,
    groups: [],
    password: PASSWORD,
    active: true,
  });

  before(async () => {
    t = await startTestApp('interop-okta-oin-user');
    okta = oktaClient(t);
  });

  after(async () => {
    await t.close();
  });

  it('test connection: GET /Users?startIndex=1&count=2 and GET /Groups?startIndex=1&count=100 answer 200 ListResponses', async () => {
    const users = listOf(await okta.get('/Users?startIndex=1&count=2'));
    assertEmptyList(users);
    const groups = listOf(await okta.get('/Groups?startIndex=1&count=100'));
    assertEmptyList(groups);
  });

  it('assign: the userName lookup for an absent user is 200 with an empty ListResponse', async () => {
    const body = listOf(await okta.get(`/Users${qs({ filter: `userName eq "${USER_NAME}"`, startIndex: 1, count: 100 })}`));
    assertEmptyList(body);
  });

  it('assign: POST /Users with password and groups:[] (application/json) → 201 with the full user and no password', async () => {
    const response = await okta.post('/Users', oktaCreateBody(USER_NAME, '00ujl29u0le5T6Aj10h7'));
    assert.equal(response.status, 201, context(response));
    assertScimJsonType(response);
    created = response.body as Body;
    userId = String(created['id']);
    assert.ok(userId.length > 0);
    assert.equal(created['userName'], USER_NAME);
    assert.deepEqual(created['name'], { givenName: 'Isaac', familyName: 'Brock' });
    assert.deepEqual(created['emails'], [{ primary: true, value: USER_NAME, type: 'work' }]);
    assert.equal(created['displayName'], 'Isaac Brock');
    assert.equal(created['locale'], 'en-US');
    assert.equal(created['externalId'], '00ujl29u0le5T6Aj10h7');
    assert.equal(created['active'], true);
    assert.equal(created['schemas'][0], USER_SCHEMA);
    assert.ok(!created['schemas'].includes('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'), 'no enterprise values, so no enterprise URN');
    assert.equal(created['meta']?.['resourceType'], 'User');
    assert.ok(created['meta']?.['created'] && created['meta']?.['lastModified'] && created['meta']?.['version']);
    assert.ok(String(response.headers['location']).endsWith(`/scim/v2/Users/${userId}`), `Location: ${response.headers['location']}`);
    assert.equal(created['meta']?.['location'], response.headers['location']);
    assert.equal(hasKeyDeep(created, 'password'), false, 'password must never be returned');
    assert.ok(!response.text.includes(PASSWORD));
    // groups is readOnly: the empty list sent by Okta is ignored, and a user in no group has none.
    assert.ok(created['groups'] === undefined || (Array.isArray(created['groups']) && created['groups'].length === 0));

    const stored = await storedUser(t, userId);
    assert.ok(stored, 'the user is stored');
    assert.equal(stored.attributes['userName'], USER_NAME);
    assert.equal(stored.attributes['externalId'], '00ujl29u0le5T6Aj10h7');
    assert.equal(stored.attributes['active'], true);
    assert.equal(hasKeyDeep(stored.attributes, 'password'), false);
    assert.equal('groups' in stored.attributes, false);
    assert.deepEqual(stored.groupIds, []);
    assert.ok(await passwordMatches(await storedPasswordHash(t, userId), PASSWORD), 'the password is stored as a hash that verifies');
  });

  it('assign again: a duplicate POST is 409 with a SCIM Error body, and nothing new is stored', async () => {
    const before = await storedUserCount(t);
    assertScimError(await okta.post('/Users', oktaCreateBody(USER_NAME, '00ujl29u0le5T6Aj10h7')), 409, 'uniqueness');
    // userName is caseExact false (RFC 7643 §4.1.1): a case variant is the same userName.
    assertScimError(await okta.post('/Users', oktaCreateBody(USER_NAME.toUpperCase(), '00uOTHER')), 409, 'uniqueness');
    assert.equal(await storedUserCount(t), before);
  });

  it('lookup with an upper-cased userName finds the user and returns its stored spelling', async () => {
    const body = listOf(await okta.get(`/Users${qs({ filter: `userName eq "${USER_NAME.toUpperCase()}"`, startIndex: 1, count: 100 })}`));
    assert.equal(body.totalResults, 1);
    assert.deepEqual(ids(body.Resources), [userId]);
    assert.equal(body.Resources[0]?.['userName'], USER_NAME);
    assert.equal(hasKeyDeep(body.Resources, 'password'), false);
  });

  it('update: GET /Users/{id}, then PUT the whole object back (id, meta, groups:[] included) → 200 full user', async () => {
    const got = await okta.get(`/Users/${userId}`);
    assert.equal(got.status, 200, context(got));
    const current = got.body as Body;
    assert.equal(current['id'], userId);
    const versionBefore = current['meta']['version'];

    const updated: Body = {
      ...current,
      name: { givenName: 'Isaac', familyName: 'Brock-Smith' },
      displayName: 'Isaac Brock-Smith',
      emails: [{ primary: true, value: USER_NAME, type: 'work' }, { value: 'isaac@home.example', type: 'home' }],
      title: 'Lead',
      groups: [],
    };
    const response = await okta.put(`/Users/${userId}`, updated);
    assert.equal(response.status, 200, context(response));
    assertScimJsonType(response);
    const body = response.body as Body;
    assert.equal(body['id'], userId);
    assert.equal(body['userName'], USER_NAME);
    assert.deepEqual(body['name'], { givenName: 'Isaac', familyName: 'Brock-Smith' });
    assert.equal(body['displayName'], 'Isaac Brock-Smith');
    assert.equal(body['title'], 'Lead');
    assert.equal((body['emails'] as unknown[]).length, 2);
    assert.equal(body['active'], true);
    assert.equal(body['meta']['created'], current['meta']['created'], 'PUT must not change meta.created');
    assert.notEqual(body['meta']['version'], versionBefore);
    assert.equal(hasKeyDeep(body, 'password'), false);

    const stored = await storedUser(t, userId);
    assert.ok(stored);
    assert.deepEqual(stored.attributes['name'], { givenName: 'Isaac', familyName: 'Brock-Smith' });
    assert.equal(stored.attributes['title'], 'Lead');
    assert.equal('groups' in stored.attributes, false);
    assert.equal('meta' in stored.attributes, false);
    assert.equal('id' in stored.attributes, false);
    // A PUT without a password keeps the one Okta set at creation.
    assert.ok(await passwordMatches(await storedPasswordHash(t, userId), PASSWORD));
  });

  it('deactivate: path-less PATCH replace {active:false} → 200/204; stored inactive; still returned by GET and by lists', async () => {
    const response = await okta.patch(`/Users/${userId}`, patchOp({ op: 'replace', value: { active: false } }));
    expectStatus(response, 200, 204);
    if (response.status === 200) {
      assert.equal(response.body['active'], false);
      assert.equal(response.body['id'], userId);
    }
    const stored = await storedUser(t, userId);
    assert.ok(stored, 'Okta never deletes: the user must still exist');
    assert.equal(stored.attributes['active'], false);
    assert.equal(stored.attributes['displayName'], 'Isaac Brock-Smith', 'other attributes are untouched');

    const got = await okta.get(`/Users/${userId}`);
    assert.equal(got.status, 200, context(got));
    assert.equal(got.body['active'], false);

    const lookup = listOf(await okta.get(`/Users${qs({ filter: `userName eq "${USER_NAME}"`, startIndex: 1, count: 100 })}`));
    assert.deepEqual(ids(lookup.Resources), [userId]);
    assert.equal(lookup.Resources[0]?.['active'], false);

    const all = listOf(await okta.get('/Users?startIndex=1&count=100'));
    assert.ok(ids(all.Resources).includes(userId), 'a deactivated user is still listed');
  });

  it('reactivate: path-less PATCH replace {active:true} → 200/204 and stored active', async () => {
    const response = await okta.patch(`/Users/${userId}`, patchOp({ op: 'replace', value: { active: true } }));
    expectStatus(response, 200, 204);
    if (response.status === 200) assert.equal(response.body['active'], true);
    assert.equal((await storedUser(t, userId))?.attributes['active'], true);
    assert.equal((await okta.get(`/Users/${userId}`)).body['active'], true);
  });

  it('password sync: path-less PATCH replace {password} → 200/204, the new password verifies, nothing is echoed', async () => {
    const before = await storedUser(t, userId);
    const response = await okta.patch(`/Users/${userId}`, patchOp({ op: 'replace', value: { password: NEW_PASSWORD } }));
    expectStatus(response, 200, 204);
    assert.equal(hasKeyDeep(response.body, 'password'), false);
    assert.ok(!response.text.includes(NEW_PASSWORD));
    const hash = await storedPasswordHash(t, userId);
    assert.ok(await passwordMatches(hash, NEW_PASSWORD), 'the synced password is stored');
    assert.equal(await passwordMatches(hash, PASSWORD), false, 'the old password no longer verifies');
    const after = await storedUser(t, userId);
    assert.ok(before && after);
    assert.deepEqual(after.attributes, before.attributes, 'a password change leaves the SCIM attributes alone');
    assert.equal(hasKeyDeep(after, 'password'), false);
  });

  describe('import: GET /Users?startIndex=1&count=100, then startIndex=101, over 150 users', () => {
    const TOTAL = 150;
    let allIds: string[];

    before(async function () {
      this.timeout(120_000);
      // Import reads the users the application holds: 149 more, created in the application itself.
      await seedUsers(t, Array.from({ length: TOTAL - 1 }, (_, n) => `import.${String(n + 1).padStart(3, '0')}@example.com`));
      assert.equal(await storedUserCount(t), TOTAL);
      const page = await t.storage.users.list(t.config.defaultTenant, { descending: false, startIndex: 1, count: 1000 });
      allIds = page.items.map((record) => record.id);
    });

    it('two pages with exact totalResults, integer paging values, every user exactly once', async () => {
      const first = listOf(await okta.get('/Users?startIndex=1&count=100'));
      assert.equal(first.totalResults, TOTAL);
      assert.equal(first.startIndex, 1);
      assert.equal(first.itemsPerPage, 100);
      const second = listOf(await okta.get('/Users?startIndex=101&count=100'));
      assert.equal(second.totalResults, TOTAL);
      assert.equal(second.startIndex, 101);
      assert.equal(second.itemsPerPage, TOTAL - 100);
      const seen = [...ids(first.Resources), ...ids(second.Resources)];
      assert.equal(new Set(seen).size, TOTAL, 'no user appears twice');
      assert.deepEqual([...seen].sort(), [...allIds].sort(), 'every stored user is imported');
      assert.ok(seen.includes(userId));
      assert.equal(hasKeyDeep([first.Resources, second.Resources], 'password'), false);
    });

    it('the order is stable: repeating the pages returns the same ids in the same order', async () => {
      const firstA = ids(listOf(await okta.get('/Users?startIndex=1&count=100')).Resources);
      const secondA = ids(listOf(await okta.get('/Users?startIndex=101&count=100')).Resources);
      const firstB = ids(listOf(await okta.get('/Users?startIndex=1&count=100')).Resources);
      const secondB = ids(listOf(await okta.get('/Users?startIndex=101&count=100')).Resources);
      assert.deepEqual(firstB, firstA);
      assert.deepEqual(secondB, secondA);
      // Overlapping windows agree with the pages: items 51–150 are the last 50 of page 1 and all of page 2.
      const middle = ids(listOf(await okta.get('/Users?startIndex=51&count=100')).Resources);
      assert.deepEqual(middle, [...firstA.slice(50), ...secondA]);
    });

    it('a page past the end is 200 with no Resources and the same totalResults', async () => {
      const body = listOf(await okta.get('/Users?startIndex=201&count=100'));
      assert.equal(body.totalResults, TOTAL);
      assert.equal(body.startIndex, 201);
      assert.deepEqual(body.Resources, []);
    });
  });
});
