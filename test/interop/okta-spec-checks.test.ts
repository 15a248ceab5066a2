import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import supertest from 'supertest';
import { assertScimError, GROUP_SCHEMA, startTestApp, USER_SCHEMA, type TestApp } from '../support/app.js';
import {
  assertEmptyList,
  context,
  hasKeyDeep,
  ids,
  listOf,
  oktaClient,
  qs,
  storedUser,
  storedUserCount,
  type Client,
} from './interop-helpers.js';

/**
 * Okta's SCIM 2.0 spec test (the Runscope suite run before OIN submission), in its order: list,
 * fetch the first user, look up a random userName, create, fetch, duplicate, unknown id, case
 * variant, groups; plus the authentication checks.
 */
describe('interop: Okta SCIM 2.0 spec test', () => {
  let t: TestApp;
  let okta: Client;
  let seededId: string;
  let createdId: string;
  const randomUserName = `Runscope${Math.floor(Math.random() * 1e6)}Okta@atko.com`;

  before(async () => {
    t = await startTestApp('interop-okta-spec');
    okta = oktaClient(t);
    for (const name of ['spec.one@atko.com', 'spec.two@atko.com', 'spec.three@atko.com']) {
      const response = await okta.post('/Users', { schemas: [USER_SCHEMA], userName: name, name: { givenName: 'Spec', familyName: name }, active: true });
      assert.equal(response.status, 201, context(response));
    }
    seededId = String((await okta.get('/Users?startIndex=1&count=1')).body['Resources'][0]['id']);
    const groupResponse = await okta.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Spec Group', members: [{ value: seededId }] });
    assert.equal(groupResponse.status, 201, context(groupResponse));
  });

  after(async () => {
    await t.close();
  });

  it('a bad token is 401 with a SCIM Error body whose status is "401"', async () => {
    const response = await oktaClient(t, 'not-the-right-token-000000').get('/Users?startIndex=1&count=2');
    assertScimError(response, 401);
    assert.equal(response.body['status'], '401');
    assert.match(String(response.headers['www-authenticate']), /^Bearer/);
  });

  it('a missing Authorization header is 401 with a SCIM Error body', async () => {
    const response = await supertest(t.app).get('/scim/v2/Users?startIndex=1&count=2').set('User-Agent', 'Okta SCIM Client 1.0.0').set('Accept', 'application/scim+json');
    assertScimError(response, 401);
  });

  it('a bad token on a write is 401 and changes nothing', async () => {
    const before = await storedUserCount(t);
    const response = await oktaClient(t, 'not-the-right-token-000000').post('/Users', { schemas: [USER_SCHEMA], userName: 'intruder@atko.com' });
    assertScimError(response, 401);
    assert.equal(await storedUserCount(t), before);
  });

  it('GET /Users?count=2&startIndex=1 returns a ListResponse with integer paging values', async () => {
    const body = listOf(await okta.get('/Users?count=2&startIndex=1'));
    assert.equal(body.totalResults, 3);
    assert.equal(body.itemsPerPage, 2);
    assert.equal(body.startIndex, 1);
    for (const resource of body.Resources) {
      assert.ok(typeof resource['id'] === 'string' && resource['id'] !== '');
      assert.ok(typeof resource['userName'] === 'string');
      assert.ok(Array.isArray(resource['schemas']));
    }
  });

  it('GET /Users/{id} of the first listed user returns it, with its group', async () => {
    const response = await okta.get(`/Users/${seededId}`);
    assert.equal(response.status, 200, context(response));
    assert.equal(response.body['id'], seededId);
    assert.equal(response.body['groups']?.[0]?.['display'], 'Spec Group');
  });

  it('a random userName lookup is 200 with an empty ListResponse', async () => {
    assertEmptyList(listOf(await okta.get(`/Users${qs({ filter: `userName eq "${randomUserName}"`, startIndex: 1, count: 100 })}`)));
  });

  it('creates the random user (201), then GET /Users/{id} returns it', async () => {
    const response = await okta.post('/Users', {
      schemas: [USER_SCHEMA],
      userName: randomUserName,
      name: { givenName: 'Runscope', familyName: 'Okta' },
      emails: [{ primary: true, value: randomUserName, type: 'work' }],
      displayName: 'Runscope Okta',
      active: true,
      password: 'runscope-Passw0rd',
      groups: [],
    });
    assert.equal(response.status, 201, context(response));
    createdId = String(response.body['id']);
    assert.equal(response.body['userName'], randomUserName);
    assert.equal(response.body['active'], true);
    assert.equal(hasKeyDeep(response.body, 'password'), false);
    const got = await okta.get(`/Users/${createdId}`);
    assert.equal(got.status, 200, context(got));
    assert.equal(got.body['userName'], randomUserName);
    assert.equal((await storedUser(t, createdId))?.attributes['userName'], randomUserName);
  });

  it('the same POST again is 409 with a SCIM Error body', async () => {
    const response = await okta.post('/Users', { schemas: [USER_SCHEMA], userName: randomUserName, active: true });
    assertScimError(response, 409, 'uniqueness');
  });

  it('an unknown id is 404 with a SCIM Error body (status "404")', async () => {
    const response = await okta.get(`/Users/${randomUUID()}`);
    assertScimError(response, 404);
    assert.equal(response.body['status'], '404');
    assertScimError(await okta.get('/Users/010101010101010101'), 404);
    assertScimError(await okta.get(`/Groups/${randomUUID()}`), 404);
  });

  it('an upper-cased userName lookup is 200 and returns the user', async () => {
    const body = listOf(await okta.get(`/Users${qs({ filter: `userName eq "${randomUserName.toUpperCase()}"`, startIndex: 1, count: 100 })}`));
    assert.equal(body.totalResults, 1);
    assert.deepEqual(ids(body.Resources), [createdId]);
    assert.equal(body.Resources[0]?.['userName'], randomUserName);
  });

  it('GET /Groups answers a ListResponse, within Okta\'s 600 ms', async () => {
    await okta.get('/Groups'); // warm-up: the first request of a file pays one-off costs
    const started = Date.now();
    const response = await okta.get('/Groups');
    const elapsed = Date.now() - started;
    const body = listOf(response);
    assert.equal(body.totalResults, 1);
    assert.equal(body.Resources[0]?.['displayName'], 'Spec Group');
    assert.ok(elapsed < 600, `GET /Groups took ${elapsed} ms`);
    const paged = listOf(await okta.get('/Groups?startIndex=1&count=100'));
    assert.equal(paged.totalResults, 1);
  });
});
