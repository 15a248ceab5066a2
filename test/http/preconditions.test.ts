import { strict as assert } from 'node:assert';
import { assertScimError, group, startTestApp, user, type TestApp } from '../support/app.js';

describe('ETag preconditions (RFC 7644 §3.14)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('preconditions');
  });
  after(async () => {
    await t.close();
  });

  for (const [kind, body] of [['Users', user('etag-user')], ['Groups', group('etag-group')]] as const) {
    describe(`/${kind}/{id}`, () => {
      it('DELETE with a stale If-Match answers 412 and keeps the resource; with the current one it deletes', async () => {
        const created = await t.scim.post(`/${kind}`).send(body);
        const etag = String(created.headers['etag']);
        // A changed body: a PUT that changes nothing keeps the version (and so the ETag).
        await t.scim.put(`/${kind}/${created.body.id}`).send({ ...body, externalId: 'changed' });
        assertScimError(await t.scim.delete(`/${kind}/${created.body.id}`).set('If-Match', etag), 412);
        const current = await t.scim.get(`/${kind}/${created.body.id}`);
        assert.equal(current.status, 200);
        assert.notEqual(current.headers['etag'], etag);
        assert.equal((await t.scim.delete(`/${kind}/${created.body.id}`).set('If-Match', String(current.headers['etag']))).status, 204);
        assertScimError(await t.scim.get(`/${kind}/${created.body.id}`), 404);
      });

      it('PUT with If-Match: * or without If-Match always applies', async () => {
        const created = await t.scim.post(`/${kind}`).send(body);
        assert.equal((await t.scim.put(`/${kind}/${created.body.id}`).set('If-Match', '*').send(body)).status, 200);
        assert.equal((await t.scim.put(`/${kind}/${created.body.id}`).send(body)).status, 200);
        await t.scim.delete(`/${kind}/${created.body.id}`);
      });

      it('answers 412 for an If-Match that names no version of ours', async () => {
        const created = await t.scim.post(`/${kind}`).send(body);
        assertScimError(await t.scim.put(`/${kind}/${created.body.id}`).set('If-Match', '"not-a-version"').send(body), 412);
        await t.scim.delete(`/${kind}/${created.body.id}`);
      });
    });
  }
});
