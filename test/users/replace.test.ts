import assert from 'node:assert/strict';
import { ENTERPRISE, type TestApp, USER_SCHEMA, assertScimError, startTestApp, user, LIFECYCLE } from '../support/app.js';
import { type Body, SCIM_JSON, assertScimJson, countUsers, createUser, sleep, storedUser, storedUserNames, withLocationPath } from './helpers.js';

describe('PUT /Users/{id} (RFC 7644 §3.5.1)', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp('users_replace');
  });

  after(async () => {
    await t.close();
  });

  describe('replacement semantics', () => {
    let original: Body;
    let response: Awaited<ReturnType<typeof createUser>>;

    before(async () => {
      original = (
        await createUser(t, {
          schemas: [USER_SCHEMA, ENTERPRISE],
          userName: 'bob',
          displayName: 'Bob',
          title: 'Engineer',
          nickName: 'Bobby',
          name: { givenName: 'Bob', familyName: 'Builder' },
          emails: [{ value: 'bob@example.com', type: 'work' }],
          [ENTERPRISE]: { department: 'Construction' },
        })
      ).body as Body;
      await sleep(15);
      response = await t.scim
        .put(`/Users/${original['id']}`)
        .set('Content-Type', SCIM_JSON)
        .send({ schemas: [USER_SCHEMA], userName: 'Bob', displayName: 'Robert', name: { familyName: 'Builder' } });
    });

    it('answers 200 with the new representation', () => {
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assertScimJson(response);
      assert.equal(response.body.id, original['id']);
      assert.equal(response.body.userName, 'Bob');
      assert.equal(response.body.displayName, 'Robert');
    });

    it('removes attributes absent from the body, including sub-attributes and the extension', async () => {
      for (const absent of ['title', 'nickName', 'emails', ENTERPRISE]) assert.equal(response.body[absent], undefined, absent);
      assert.deepEqual(response.body.name, { familyName: 'Builder' });
      assert.deepEqual(response.body.schemas, [USER_SCHEMA, LIFECYCLE]);
      const record = await storedUser(t, original['id']);
      assert.ok(record);
      for (const absent of ['title', 'nickName', 'emails', ENTERPRISE]) assert.equal(record.attributes[absent], undefined, absent);
      assert.deepEqual(record.attributes['name'], { familyName: 'Builder' });
      assert.equal(record.attributes['userName'], 'Bob');
    });

    it('increments meta.version and the ETag', async () => {
      assert.equal(response.body.meta.version, 'W/"2"');
      assert.equal(response.headers['etag'], 'W/"2"');
      assert.equal((await storedUser(t, original['id']))?.version, 2);
    });

    it('advances lastModified and keeps created', () => {
      assert.equal(response.body.meta.created, original['meta']['created']);
      assert.ok(Date.parse(response.body.meta.lastModified) > Date.parse(original['meta']['lastModified']));
    });

    it('does not set Location (only 201 does)', () => {
      assert.equal(response.headers['location'], undefined);
      assert.equal(withLocationPath(response.body).meta.location, withLocationPath(original).meta.location);
    });

    it('serves the replacement on GET', async () => {
      const got = await t.scim.get(`/Users/${original['id']}`);
      assert.deepEqual(withLocationPath(got.body), withLocationPath(response.body));
    });
  });

  describe("Okta's update shape (GET, then PUT the whole object)", () => {
    it('accepts the full object including id, meta, groups: [] and schemas, and applies the change', async () => {
      const created = await createUser(t, user('okta.user@example.com', { name: { givenName: 'Okta', familyName: 'User' }, emails: [{ value: 'okta.user@example.com', type: 'work', primary: true }] }));
      const got = (await t.scim.get(`/Users/${created.body.id}`)).body as Body;
      const body = { ...got, groups: [], password: 'OktaPassw0rd!', name: { givenName: 'Okta', familyName: 'Renamed' }, active: false };
      const response = await t.scim.put(`/Users/${created.body.id}`).set('Content-Type', 'application/json').set('User-Agent', 'Okta SCIM Client 1.0.0').send(body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.id, created.body.id);
      assert.deepEqual(response.body.name, { givenName: 'Okta', familyName: 'Renamed' });
      assert.equal(response.body.active, false);
      assert.equal(response.body.meta.version, 'W/"2"');
      assert.equal(response.body.groups, undefined);
      assert.equal(response.body.password, undefined);
      const record = await storedUser(t, created.body.id);
      assert.equal(record?.attributes['active'], false);
      assert.deepEqual(record?.groupIds, []);
    });

    it('ignores an id in the body that differs from the URL', async () => {
      const a = await createUser(t, user('id.mismatch.a'));
      const b = await createUser(t, user('id.mismatch.b'));
      const response = await t.scim.put(`/Users/${a.body.id}`).send({ ...user('id.mismatch.a', { displayName: 'A' }), id: b.body.id });
      assert.equal(response.status, 200);
      assert.equal(response.body.id, a.body.id);
      assert.equal((await storedUser(t, a.body.id))?.attributes['displayName'], 'A');
      assert.equal((await storedUser(t, b.body.id))?.attributes['displayName'], undefined);
      assert.equal((await storedUser(t, b.body.id))?.version, 1);
    });
  });

  for (const unknown of ['00000000-0000-4000-8000-000000000000', 'no-such-user']) {
    it(`answers 404 with a SCIM error for unknown id "${unknown}", creating nothing`, async () => {
      const before = await countUsers(t);
      const response = await t.scim.put(`/Users/${unknown}`).send(user('ghost'));
      assertScimError(response, 404);
      assert.equal(await countUsers(t), before);
      assert.ok(!(await storedUserNames(t)).includes('ghost'));
    });
  }

  it('validates the body like POST: 400 for a missing userName, and nothing changes', async () => {
    const created = await createUser(t, user('put.invalid'));
    const response = await t.scim.put(`/Users/${created.body.id}`).send({ schemas: [USER_SCHEMA], displayName: 'no userName' });
    assertScimError(response, 400, 'invalidValue');
    const record = await storedUser(t, created.body.id);
    assert.equal(record?.version, 1);
    assert.equal(record?.attributes['userName'], 'put.invalid');
  });

  describe('If-Match (RFC 7644 §3.14)', () => {
    let id: string;

    before(async () => {
      id = (await createUser(t, user('etag.user', { displayName: 'v1' }))).body.id;
      const second = await t.scim.put(`/Users/${id}`).send(user('etag.user', { displayName: 'v2' }));
      assert.equal(second.status, 200);
    });

    for (const stale of ['W/"1"', '"1"', 'W/"7"']) {
      it(`answers 412 for the stale version ${stale} and changes nothing`, async () => {
        const before = await storedUser(t, id);
        const response = await t.scim.put(`/Users/${id}`).set('If-Match', stale).send(user('etag.user', { displayName: 'lost update' }));
        assertScimError(response, 412);
        const after = await storedUser(t, id);
        assert.deepEqual(after, before);
      });
    }

    it('answers 412 for an If-Match that names no version of ours, changing nothing', async () => {
      const before = await storedUser(t, id);
      const response = await t.scim.put(`/Users/${id}`).set('If-Match', 'not-an-etag').send(user('etag.user', { displayName: 'garbage' }));
      assertScimError(response, 412);
      assert.deepEqual(await storedUser(t, id), before);
    });

    it('answers 200 for the current version and increments it', async () => {
      const current = await t.scim.get(`/Users/${id}`);
      const response = await t.scim.put(`/Users/${id}`).set('If-Match', current.headers['etag'] as string).send(user('etag.user', { displayName: 'v3' }));
      assert.equal(response.status, 200);
      assert.equal(response.body.displayName, 'v3');
      assert.equal(response.body.meta.version, 'W/"3"');
      assert.equal((await storedUser(t, id))?.attributes['displayName'], 'v3');
    });

    it('answers 200 for If-Match: *', async () => {
      const response = await t.scim.put(`/Users/${id}`).set('If-Match', '*').send(user('etag.user', { displayName: 'v4' }));
      assert.equal(response.status, 200);
      assert.equal(response.body.meta.version, 'W/"4"');
    });

    it('answers 404 (not 412) for an unknown id with If-Match', async () => {
      const response = await t.scim.put('/Users/unknown-id').set('If-Match', 'W/"1"').send(user('etag.ghost'));
      assertScimError(response, 404);
    });
  });

  describe('userName uniqueness on rename (RFC 7644 §3.5.1)', () => {
    let carol: Body;
    let dave: Body;

    before(async () => {
      carol = (await createUser(t, user('carol', { displayName: 'Carol' }))).body as Body;
      dave = (await createUser(t, user('dave', { displayName: 'Dave' }))).body as Body;
    });

    for (const taken of ['carol', 'CAROL', 'Carol']) {
      it(`answers 409 uniqueness renaming dave to "${taken}", leaving dave unchanged`, async () => {
        const response = await t.scim.put(`/Users/${dave['id']}`).send(user(taken, { displayName: 'Dave as Carol' }));
        assertScimError(response, 409, 'uniqueness');
        const record = await storedUser(t, dave['id']);
        assert.equal(record?.attributes['userName'], 'dave');
        assert.equal(record?.attributes['displayName'], 'Dave');
        assert.equal(record?.version, 1);
        assert.equal((await storedUser(t, carol['id']))?.attributes['userName'], 'carol');
      });
    }

    it('still lets dave keep his own name after a rejected rename', async () => {
      const response = await t.scim.put(`/Users/${dave['id']}`).send(user('dave', { displayName: 'Dave again' }));
      assert.equal(response.status, 200);
    });

    it('lets a user change the case of its own userName', async () => {
      const response = await t.scim.put(`/Users/${carol['id']}`).send(user('Carol', { displayName: 'Carol' }));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.userName, 'Carol');
      assert.equal((await storedUser(t, carol['id']))?.attributes['userName'], 'Carol');
    });

    it('frees the old name on rename: another user can then take it', async () => {
      const renamed = await t.scim.put(`/Users/${carol['id']}`).send(user('carol.renamed', { displayName: 'Carol' }));
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      const taker = await t.scim.post('/Users').send(user('carol'));
      assert.equal(taker.status, 201, JSON.stringify(taker.body));
      assert.notEqual(taker.body.id, carol['id']);
      const names = await storedUserNames(t);
      assert.ok(names.includes('carol') && names.includes('carol.renamed'));
    });

    it('holds the new name after a rename: it cannot be created again', async () => {
      const response = await t.scim.post('/Users').send(user('CAROL.RENAMED'));
      assertScimError(response, 409, 'uniqueness');
    });
  });
});
