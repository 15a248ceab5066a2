import assert from 'node:assert/strict';
import type supertest from 'supertest';
import { type TestApp, startTestApp, user } from '../support/app.js';
import { createUser, hasKeyDeep, rawUser, storedUser, withRawUsers } from './helpers.js';

const SECRET = 'Tr0ub4dor&3-correct-horse';
const SCRYPT_HASH = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]{16,}\$[A-Za-z0-9_-]{32,}$/;

/** password is writeOnly / returned "never" (RFC 7643 §4.1.1): no trace of it in any response. */
function assertNoPassword(response: supertest.Response): void {
  assert.equal(hasKeyDeep(response.body, 'password'), false, `password returned: ${response.text}`);
  assert.equal(hasKeyDeep(response.body, 'passwordHash'), false, `passwordHash returned: ${response.text}`);
  assert.ok(!response.text.includes(SECRET), 'the plaintext appears in the response');
  assert.ok(!response.text.includes('scrypt$'), 'the hash appears in the response');
}

describe('password on /Users (RFC 7643 §4.1.1 writeOnly, returned "never"; RFC 7644 §3.3, §3.5.1)', () => {
  let t: TestApp;
  let id: string;

  before(async () => {
    t = await startTestApp('users_password');
    const response = await createUser(t, user('pw.holder', { password: SECRET, displayName: 'PW Holder' }));
    id = response.body.id;
    assertNoPassword(response);
  });

  after(async () => {
    await t.close();
  });

  describe('POST /Users with a password', () => {
    it('does not return the password in the 201 response', async () => {
      const response = await createUser(t, user('pw.post', { password: SECRET }));
      assertNoPassword(response);
    });

    it('stores only a salted scrypt hash, never the plaintext', async () => {
      const doc = await rawUser(t, id);
      assert.ok(doc, 'raw document exists');
      assert.match(String(doc.passwordHash), SCRYPT_HASH);
      assert.ok(!JSON.stringify(doc).includes(SECRET), `plaintext stored: ${JSON.stringify(doc)}`);
      assert.equal(hasKeyDeep(doc.data, 'password'), false, 'password kept among the SCIM attributes');
    });

    it('keeps the hash out of the storage contract records', async () => {
      const record = await storedUser(t, id);
      assert.ok(record);
      assert.equal(hasKeyDeep(record, 'password'), false);
      assert.equal(hasKeyDeep(record, 'passwordHash'), false);
    });

    it('salts: two users with the same password get different hashes', async () => {
      const a = await createUser(t, user('pw.same.a', { password: SECRET }));
      const b = await createUser(t, user('pw.same.b', { password: SECRET }));
      const [hashA, hashB] = await withRawUsers(t, async (users) => [
        (await users.findOne({ _id: a.body.id }))?.passwordHash,
        (await users.findOne({ _id: b.body.id }))?.passwordHash,
      ]);
      assert.match(String(hashA), SCRYPT_HASH);
      assert.match(String(hashB), SCRYPT_HASH);
      assert.notEqual(hashA, hashB);
    });

    it('stores no hash for a user created without a password', async () => {
      const response = await createUser(t, user('pw.none'));
      const doc = await rawUser(t, response.body.id);
      assert.equal(doc?.passwordHash, undefined);
    });
  });

  describe('responses that never carry the password', () => {
    it('GET /Users/{id}', async () => {
      const response = await t.scim.get(`/Users/${id}`);
      assert.equal(response.status, 200);
      assertNoPassword(response);
    });

    it('GET /Users/{id}?attributes=password (returned "never" wins over a request)', async () => {
      const response = await t.scim.get(`/Users/${id}`).query({ attributes: 'password' });
      assert.equal(response.status, 200);
      assertNoPassword(response);
    });

    it('GET /Users (list) and a userName filter', async () => {
      const list = await t.scim.get('/Users');
      assert.equal(list.status, 200);
      assert.ok(list.body.totalResults >= 1);
      assertNoPassword(list);
      const filtered = await t.scim.get('/Users').query({ filter: 'userName eq "pw.holder"' });
      assert.equal(filtered.status, 200);
      assert.equal(filtered.body.totalResults, 1);
      assertNoPassword(filtered);
    });

    it('PUT /Users/{id}', async () => {
      const response = await t.scim.put(`/Users/${id}`).send(user('pw.holder', { password: SECRET, displayName: 'PW Holder' }));
      assert.equal(response.status, 200);
      assertNoPassword(response);
    });
  });

  describe('PUT /Users/{id} and the stored hash', () => {
    it('keeps the stored hash when the PUT body has no password', async () => {
      const before = (await rawUser(t, id))?.passwordHash;
      assert.match(String(before), SCRYPT_HASH);
      const response = await t.scim.put(`/Users/${id}`).send(user('pw.holder', { displayName: 'Renamed Display' }));
      assert.equal(response.status, 200);
      assert.equal(response.body.displayName, 'Renamed Display');
      const after = await rawUser(t, id);
      assert.equal(after?.passwordHash, before);
    });

    it('replaces the hash when the PUT body has a new password', async () => {
      const before = (await rawUser(t, id))?.passwordHash;
      const response = await t.scim.put(`/Users/${id}`).send(user('pw.holder', { password: 'another-S3cret!' }));
      assert.equal(response.status, 200);
      assertNoPassword(response);
      assert.ok(!response.text.includes('another-S3cret!'));
      const after = await rawUser(t, id);
      assert.match(String(after?.passwordHash), SCRYPT_HASH);
      assert.notEqual(after?.passwordHash, before);
      assert.ok(!JSON.stringify(after).includes('another-S3cret!'));
    });

    it('sets a first password on a user that had none', async () => {
      const created = await createUser(t, user('pw.later'));
      const response = await t.scim.put(`/Users/${created.body.id}`).send(user('pw.later', { password: SECRET }));
      assert.equal(response.status, 200);
      assertNoPassword(response);
      assert.match(String((await rawUser(t, created.body.id))?.passwordHash), SCRYPT_HASH);
    });
  });
});
