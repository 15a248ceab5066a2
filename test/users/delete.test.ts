import assert from 'node:assert/strict';
import type supertest from 'supertest';
import { type TestApp, assertScimError, startTestApp, user } from '../support/app.js';
import { countUsers, createUser, rawUser, storedUser } from './helpers.js';

describe('DELETE /Users/{id} (RFC 7644 §3.6)', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp('users_delete');
  });

  after(async () => {
    await t.close();
  });

  describe('deleting an existing user', () => {
    let id: string;
    let keeperId: string;
    let response: supertest.Response;

    before(async () => {
      id = (await createUser(t, user('erin', { password: 'S3cret-erin' }))).body.id;
      keeperId = (await createUser(t, user('frank'))).body.id;
      response = await t.scim.delete(`/Users/${id}`);
    });

    it('answers 204 with an empty body', () => {
      assert.equal(response.status, 204);
      assert.equal(response.text ?? '', '');
      assert.equal(response.headers['content-length'] ?? '0', '0');
    });

    it('removes the stored document (hash included) and nothing else', async () => {
      assert.equal(await storedUser(t, id), null);
      assert.equal(await rawUser(t, id), null);
      assert.ok(await storedUser(t, keeperId));
      assert.equal(await countUsers(t), 1);
    });

    it('then answers GET with 404 and a SCIM error', async () => {
      assertScimError(await t.scim.get(`/Users/${id}`), 404);
    });

    it('then answers a second DELETE with 404', async () => {
      assertScimError(await t.scim.delete(`/Users/${id}`), 404);
    });

    it('then answers PUT with 404 rather than recreating the user', async () => {
      assertScimError(await t.scim.put(`/Users/${id}`).send(user('erin')), 404);
      assert.equal(await storedUser(t, id), null);
    });

    it('omits the user from lists', async () => {
      const list = await t.scim.get('/Users').query({ filter: 'userName eq "erin"' });
      assert.equal(list.status, 200);
      assert.equal(list.body.totalResults, 0);
    });

    it('frees the userName: it can be created again, in any case, under a new id', async () => {
      const again = await t.scim.post('/Users').send(user('Erin'));
      assert.equal(again.status, 201, JSON.stringify(again.body));
      assert.notEqual(again.body.id, id);
      assert.equal(again.body.meta.version, 'W/"1"');
      assert.equal((await storedUser(t, again.body.id))?.attributes['userName'], 'Erin');
    });
  });

  describe('what cannot be deleted', () => {
    for (const unknown of ['00000000-0000-4000-8000-000000000000', 'no-such-user']) {
      it(`answers 404 with a SCIM error for unknown id "${unknown}"`, async () => {
        const before = await countUsers(t);
        assertScimError(await t.scim.delete(`/Users/${unknown}`), 404);
        assert.equal(await countUsers(t), before);
      });
    }

    it('answers 405 for DELETE on the collection, deleting nothing', async () => {
      await createUser(t, user('grace'));
      const before = await countUsers(t);
      const response = await t.scim.delete('/Users');
      assertScimError(response, 405);
      assert.equal(await countUsers(t), before);
    });
  });
});
