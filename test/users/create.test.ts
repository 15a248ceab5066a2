import assert from 'node:assert/strict';
import { ENTERPRISE, type TestApp, USER_SCHEMA, assertScimError, startTestApp, user, LIFECYCLE } from '../support/app.js';
import { type Body, SCIM_JSON, assertScimJson, countUsers, createUser, storedUser, storedUserNames, tenantOf, withLocationPath } from './helpers.js';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('POST /Users (RFC 7644 §3.3)', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp('users_create');
  });

  after(async () => {
    await t.close();
  });

  describe('the 201 response (RFC 7644 §3.3, RFC 7643 §3.1)', () => {
    let response: Awaited<ReturnType<typeof createUser>>;
    let body: Body;

    before(async () => {
      response = await createUser(t, user('Alice.Smith@example.com', { displayName: 'Alice Smith', name: { givenName: 'Alice', familyName: 'Smith' } }));
      body = response.body as Body;
    });

    it('answers 201 with Content-Type application/scim+json', () => {
      assert.equal(response.status, 201);
      assertScimJson(response);
    });

    it('returns a server-assigned id and the core schema URN', () => {
      assert.equal(typeof body['id'], 'string');
      assert.ok((body['id'] as string).length > 0);
      assert.deepEqual(body['schemas'], [USER_SCHEMA, LIFECYCLE]);
    });

    it('returns userName with the case the client sent', () => {
      assert.equal(body['userName'], 'Alice.Smith@example.com');
      assert.deepEqual(body['name'], { givenName: 'Alice', familyName: 'Smith' });
      assert.equal(body['displayName'], 'Alice Smith');
      assert.equal(body['active'], true);
    });

    it('returns meta with resourceType, created, lastModified, version and location', () => {
      const meta = body['meta'] as Body;
      assert.equal(meta['resourceType'], 'User');
      assert.match(meta['created'], ISO_INSTANT);
      assert.match(meta['lastModified'], ISO_INSTANT);
      assert.equal(meta['created'], meta['lastModified']);
      assert.ok(Math.abs(Date.parse(meta['created']) - Date.now()) < 60_000, 'created is now');
      assert.equal(meta['version'], 'W/"1"');
      assert.match(meta['location'], new RegExp(`/scim/v2/Users/${body['id']}$`));
    });

    it('sets Location to meta.location and ETag to meta.version', () => {
      const meta = body['meta'] as Body;
      assert.equal(response.headers['location'], meta['location']);
      assert.match(response.headers['location'] as string, /^https?:\/\/[^/]+\/scim\/v2\/Users\/[^/]+$/);
      assert.equal(response.headers['etag'], meta['version']);
    });

    it('stores the user under the returned id, userName case preserved', async () => {
      const record = await storedUser(t, body['id']);
      assert.ok(record, 'stored');
      assert.equal(record.attributes['userName'], 'Alice.Smith@example.com');
      assert.equal(record.version, 1);
      assert.equal(record.created.toISOString(), body['meta']['created']);
    });

    it('serves the created user at its Location', async () => {
      const got = await t.scim.get(`/Users/${body['id']}`);
      assert.equal(got.status, 200);
      assert.equal(got.body.userName, 'Alice.Smith@example.com');
      assert.deepEqual(withLocationPath(got.body).meta, withLocationPath(body).meta);
    });
  });

  describe('the enterprise extension (RFC 7643 §4.3)', () => {
    const enterprise = { employeeNumber: '701984', department: 'Tour Operations', costCenter: '4130', manager: { value: '26118915-6090-4610-87e4-49d8ca9f808d' } };

    it('round-trips an extension object and lists its URN in schemas', async () => {
      const response = await createUser(t, { schemas: [USER_SCHEMA, ENTERPRISE], userName: 'ext.object', [ENTERPRISE]: enterprise });
      assert.deepEqual(response.body.schemas, [USER_SCHEMA, ENTERPRISE, LIFECYCLE]);
      // manager.$ref is rendered from manager.value (RFC 7643 §4.3), not stored.
      const rendered = (body: { id: string; meta: { location: string } }) =>
        ({ ...enterprise, manager: { ...enterprise.manager, $ref: body.meta.location.replace(body.id, enterprise.manager.value) } });
      assert.deepEqual(response.body[ENTERPRISE], rendered(response.body));
      const got = await t.scim.get(`/Users/${response.body.id}`);
      assert.deepEqual(got.body.schemas, [USER_SCHEMA, ENTERPRISE, LIFECYCLE]);
      assert.deepEqual(got.body[ENTERPRISE], rendered(got.body));
      const record = await storedUser(t, response.body.id);
      assert.deepEqual(record?.attributes[ENTERPRISE], enterprise);
    });

    it('accepts URN-prefixed flat keys (urn:…:enterprise:2.0:User:department)', async () => {
      const response = await createUser(t, {
        schemas: [USER_SCHEMA, ENTERPRISE],
        userName: 'ext.flat',
        [`${ENTERPRISE}:department`]: 'Finance',
        [`${ENTERPRISE}:employeeNumber`]: 'E-42',
      });
      assert.deepEqual(response.body.schemas, [USER_SCHEMA, ENTERPRISE, LIFECYCLE]);
      assert.deepEqual(response.body[ENTERPRISE], { department: 'Finance', employeeNumber: 'E-42' });
      assert.equal(response.body[`${ENTERPRISE}:department`], undefined, 'the flat key is not echoed');
      const record = await storedUser(t, response.body.id);
      assert.deepEqual(record?.attributes[ENTERPRISE], { department: 'Finance', employeeNumber: 'E-42' });
    });

    it('omits the extension URN from schemas for a user without extension data', async () => {
      const response = await createUser(t, user('ext.none'));
      assert.deepEqual(response.body.schemas, [USER_SCHEMA, LIFECYCLE]);
      assert.equal(response.body[ENTERPRISE], undefined);
    });
  });

  describe('readOnly and unknown attributes are ignored (RFC 7643 §2.2, RFC 7644 §3.3)', () => {
    it('does not use a client-supplied id', async () => {
      const response = await createUser(t, user('readonly.id', { id: 'client-chosen-id' }));
      assert.notEqual(response.body.id, 'client-chosen-id');
      assert.equal(await storedUser(t, 'client-chosen-id'), null);
      const record = await storedUser(t, response.body.id);
      assert.ok(record);
      assert.equal(record.attributes['id'], undefined, 'id is not kept among the attributes');
      const got = await t.scim.get(`/Users/${response.body.id}`);
      assert.equal(got.body.id, response.body.id);
    });

    it('ignores client-supplied meta', async () => {
      const meta = { resourceType: 'Group', created: '2001-01-01T00:00:00Z', lastModified: '2001-01-01T00:00:00Z', version: 'W/"99"', location: 'https://evil.example/x' };
      const response = await createUser(t, user('readonly.meta', { meta }));
      assert.equal(response.body.meta.resourceType, 'User');
      assert.equal(response.body.meta.version, 'W/"1"');
      assert.notEqual(response.body.meta.created, meta.created);
      assert.match(response.body.meta.location, new RegExp(`/Users/${response.body.id}$`));
      const record = await storedUser(t, response.body.id);
      assert.equal(record?.attributes['meta'], undefined);
    });

    it("accepts Okta's groups: [] and stores no memberships", async () => {
      const response = await createUser(t, user('okta.groups', { groups: [] }));
      assert.equal(response.body.groups, undefined);
      const record = await storedUser(t, response.body.id);
      assert.deepEqual(record?.groupIds, []);
      assert.equal(record?.attributes['groups'], undefined);
    });

    it('ignores non-empty groups: membership is changed through /Groups only', async () => {
      const response = await createUser(t, user('readonly.groups', { groups: [{ value: 'some-group-id', display: 'Admins' }] }));
      assert.equal(response.body.groups, undefined);
      const record = await storedUser(t, response.body.id);
      assert.deepEqual(record?.groupIds, []);
      assert.equal(record?.attributes['groups'], undefined);
    });

    it('neither stores nor returns unknown attributes', async () => {
      const response = await createUser(t, user('unknown.attrs', { favouriteColour: 'teal', name: { givenName: 'U', shoeSize: 44 } }));
      assert.equal(response.body.favouriteColour, undefined);
      assert.deepEqual(response.body.name, { givenName: 'U' });
      const record = await storedUser(t, response.body.id);
      assert.equal(record?.attributes['favouriteColour'], undefined);
      assert.deepEqual(record?.attributes['name'], { givenName: 'U' });
    });
  });

  describe('userName uniqueness (RFC 7643 §4.1.1, RFC 7644 §3.3)', () => {
    before(async () => {
      await createUser(t, user('alice'));
    });

    for (const duplicate of ['alice', 'ALICE', 'Alice', 'aLiCe']) {
      it(`answers 409 uniqueness for "${duplicate}" when "alice" exists, storing nothing`, async () => {
        const before = await countUsers(t);
        const response = await t.scim.post('/Users').set('Content-Type', SCIM_JSON).send(user(duplicate, { displayName: 'impostor' }));
        assertScimError(response, 409, 'uniqueness');
        assert.equal(await countUsers(t), before);
        const names = await storedUserNames(t);
        assert.deepEqual(names.filter((name) => name.toLowerCase() === 'alice'), ['alice']);
      });
    }

    it('answers 409 for a duplicate sent as application/json too (Okta)', async () => {
      const response = await t.scim.post('/Users').set('Content-Type', 'application/json').send(JSON.stringify(user('Alice')));
      assertScimError(response, 409, 'uniqueness');
    });

    it('lets the 409 body carry a human-readable detail', async () => {
      const response = await t.scim.post('/Users').send(user('ALICE'));
      assert.equal(typeof response.body.detail, 'string');
    });

    it('lets exactly one of several concurrent POSTs of case-variant names win', async () => {
      const before = await countUsers(t);
      const variants = ['race.user', 'RACE.USER', 'Race.User', 'race.USER', 'RACE.user'];
      const responses = await Promise.all(variants.map((name) => t.scim.post('/Users').send(user(name))));
      assert.deepEqual(responses.map((response) => response.status).sort(), [201, 409, 409, 409, 409]);
      for (const response of responses.filter((candidate) => candidate.status === 409)) assertScimError(response, 409, 'uniqueness');
      assert.equal(await countUsers(t), before + 1);
      assert.equal((await storedUserNames(t)).filter((name) => name.toLowerCase() === 'race.user').length, 1);
    });

    it('still accepts a different userName afterwards', async () => {
      const response = await createUser(t, user('alice2'));
      assert.equal(response.body.userName, 'alice2');
      const stored = await t.storage.users.get(tenantOf(t), response.body.id);
      assert.equal(stored?.attributes['userName'], 'alice2');
    });
  });
});
