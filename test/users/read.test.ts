import assert from 'node:assert/strict';
import { ENTERPRISE, LIST_SCHEMA, type TestApp, USER_SCHEMA, assertScimError, startTestApp, user, LIFECYCLE } from '../support/app.js';
import { type Body, assertScimJson, createUser, withLocationPath } from './helpers.js';

describe('GET /Users/{id} (RFC 7644 §3.4.1)', () => {
  let t: TestApp;
  let created: Body;
  let etag: string;

  before(async () => {
    t = await startTestApp('users_read');
    const response = await createUser(t, {
      schemas: [USER_SCHEMA, ENTERPRISE],
      userName: 'Grace.Hopper',
      externalId: 'ext-gh-1',
      name: { givenName: 'Grace', familyName: 'Hopper', formatted: 'Grace Hopper' },
      displayName: 'Grace Hopper',
      title: 'Rear Admiral',
      active: true,
      emails: [{ value: 'grace@example.com', type: 'work', primary: true }],
      phoneNumbers: [{ value: '+1 555 0100', type: 'mobile' }],
      [ENTERPRISE]: { employeeNumber: '1906', department: 'Navy' },
    });
    created = response.body as Body;
    etag = response.headers['etag'] as string;
  });

  after(async () => {
    await t.close();
  });

  it('answers 200 with the full representation, as created', async () => {
    const response = await t.scim.get(`/Users/${created['id']}`);
    assert.equal(response.status, 200);
    assertScimJson(response);
    assert.deepEqual(withLocationPath(response.body), withLocationPath(created));
    assert.equal(response.body.externalId, 'ext-gh-1');
    assert.deepEqual(response.body.emails, [{ value: 'grace@example.com', type: 'work', primary: true }]);
    assert.deepEqual(response.body[ENTERPRISE], { employeeNumber: '1906', department: 'Navy' });
  });

  it('sends ETag equal to meta.version and no Location', async () => {
    const response = await t.scim.get(`/Users/${created['id']}`);
    assert.equal(response.headers['etag'], response.body.meta.version);
    assert.equal(response.headers['etag'], etag);
    assert.equal(response.headers['location'], undefined);
  });

  for (const unknown of ['00000000-0000-4000-8000-000000000000', 'no-such-user', 'x'.repeat(200)]) {
    it(`answers 404 with a SCIM error for unknown id "${unknown.slice(0, 40)}"`, async () => {
      const response = await t.scim.get(`/Users/${unknown}`);
      assertScimError(response, 404);
    });
  }

  describe('If-None-Match (RFC 7644 §3.14, RFC 7232 §3.2)', () => {
    it('answers 304 with no body for the current ETag', async () => {
      const response = await t.scim.get(`/Users/${created['id']}`).set('If-None-Match', etag);
      assert.equal(response.status, 304);
      assert.equal(response.text ?? '', '');
      assert.equal(response.headers['etag'], etag);
    });

    it('answers 304 for the strong spelling of the current version too', async () => {
      const response = await t.scim.get(`/Users/${created['id']}`).set('If-None-Match', etag.replace(/^W\//, ''));
      assert.equal(response.status, 304);
    });

    it('answers 200 with the representation for a different ETag', async () => {
      const response = await t.scim.get(`/Users/${created['id']}`).set('If-None-Match', 'W/"999"');
      assert.equal(response.status, 200);
      assert.equal(response.body.id, created['id']);
    });

    it('answers 200 once the resource changed after the client cached it', async () => {
      const replaced = await t.scim.put(`/Users/${created['id']}`).send(user('Grace.Hopper', { displayName: 'Amazing Grace' }));
      assert.equal(replaced.status, 200);
      const response = await t.scim.get(`/Users/${created['id']}`).set('If-None-Match', etag);
      assert.equal(response.status, 200);
      assert.equal(response.body.displayName, 'Amazing Grace');
      assert.notEqual(response.headers['etag'], etag);
      created = response.body as Body;
      etag = response.headers['etag'] as string;
    });

    it('answers 404, not 304, for an unknown id', async () => {
      const response = await t.scim.get('/Users/unknown-id').set('If-None-Match', '*');
      assertScimError(response, 404);
    });
  });
});

describe('GET /Users (RFC 7644 §3.4.2)', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp('users_list');
    for (const name of ['list.one', 'list.two', 'list.three']) await createUser(t, user(name));
  });

  after(async () => {
    await t.close();
  });

  it('answers 200 with a ListResponse of full representations', async () => {
    const response = await t.scim.get('/Users');
    assert.equal(response.status, 200);
    assertScimJson(response);
    assert.deepEqual(response.body.schemas, [LIST_SCHEMA]);
    assert.equal(response.body.totalResults, 3);
    assert.equal(response.body.Resources.length, 3);
    for (const resource of response.body.Resources as Body[]) {
      assert.deepEqual(resource['schemas'], [USER_SCHEMA, LIFECYCLE]);
      assert.equal(resource['meta']['resourceType'], 'User');
      assert.match(resource['meta']['location'], new RegExp(`/scim/v2/Users/${resource['id']}$`));
    }
  });

  it('finds a user by a case-variant userName (caseExact false) and 200 with an empty list when absent', async () => {
    const hit = await t.scim.get('/Users').query({ filter: 'userName eq "LIST.TWO"' });
    assert.equal(hit.status, 200);
    assert.equal(hit.body.totalResults, 1);
    assert.equal(hit.body.Resources[0].userName, 'list.two');
    const miss = await t.scim.get('/Users').query({ filter: 'userName eq "nobody"' });
    assert.equal(miss.status, 200);
    assert.equal(miss.body.totalResults, 0);
    assert.deepEqual(miss.body.Resources ?? [], []);
  });
});
