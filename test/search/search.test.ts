import { strict as assert } from 'node:assert';
import { assertScimError, group, LIST_SCHEMA, startTestApp, user, type TestApp } from '../support/app.js';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

describe('POST /.search (RFC 7644 §3.4.3)', () => {
  let t: TestApp;
  const userIds: string[] = [];

  before(async () => {
    t = await startTestApp('search');
    for (const name of ['carol', 'alice', 'bob', 'dave']) {
      userIds.push((await t.scim.post('/Users').send(user(name, { title: name === 'bob' ? 'Engineer' : 'Sales' }))).body.id);
    }
    await t.scim.post('/Groups').send(group('Engineers', [userIds[2]!]));
    await t.scim.post('/Groups').send(group('Everyone', userIds));
  });
  after(async () => {
    await t.close();
  });

  describe('per resource type: POST /Users/.search', () => {
    it('filters, sorts and pages in the database like GET', async () => {
      const response = await t.scim
        .post('/Users/.search')
        .send({ schemas: [SEARCH], filter: 'title eq "Sales"', sortBy: 'userName', sortOrder: 'descending', startIndex: 2, count: 1 });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.schemas, [LIST_SCHEMA]);
      assert.equal(response.body.totalResults, 3);
      assert.equal(response.body.startIndex, 2);
      assert.equal(response.body.itemsPerPage, 1);
      assert.equal(response.body.Resources[0].userName, 'carol');
    });

    it('takes attributes and excludedAttributes as arrays', async () => {
      const response = await t.scim.post('/Users/.search').send({ schemas: [SEARCH], filter: 'userName eq "bob"', attributes: ['userName'] });
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body.Resources[0]).sort(), ['id', 'schemas', 'userName']);
    });

    it('accepts a body without schemas and answers 400 for a wrong one', async () => {
      assert.equal((await t.scim.post('/Users/.search').send({ filter: 'userName eq "bob"' })).body.totalResults, 1);
      assertScimError(await t.scim.post('/Users/.search').send({ schemas: ['urn:wrong'] }), 400, 'invalidSyntax');
    });

    it('answers 400 invalidFilter for a malformed filter', async () => {
      assertScimError(await t.scim.post('/Groups/.search').send({ schemas: [SEARCH], filter: 'displayName eq' }), 400, 'invalidFilter');
    });
  });

  describe('at the root: POST /.search', () => {
    it('returns Users then Groups with an exact total', async () => {
      const response = await t.scim.post('/.search').send({ schemas: [SEARCH] });
      assert.equal(response.status, 200);
      assert.equal(response.body.totalResults, 6);
      const types = response.body.Resources.map((resource: { meta: { resourceType: string } }) => resource.meta.resourceType);
      assert.deepEqual(types, ['User', 'User', 'User', 'User', 'Group', 'Group']);
    });

    it('pages across the boundary between resource types', async () => {
      const response = await t.scim.post('/.search').send({ schemas: [SEARCH], startIndex: 4, count: 2 });
      assert.equal(response.body.totalResults, 6);
      assert.equal(response.body.itemsPerPage, 2);
      const types = response.body.Resources.map((resource: { meta: { resourceType: string } }) => resource.meta.resourceType);
      assert.deepEqual(types, ['User', 'Group']);
    });

    it('lets a filter match the types that have its attribute', async () => {
      const response = await t.scim.post('/.search').send({ schemas: [SEARCH], filter: 'displayName sw "Eng"' });
      assert.equal(response.body.totalResults, 1);
      assert.equal(response.body.Resources[0].displayName, 'Engineers');
    });

    it('answers 400 invalidFilter when no type has the attribute', async () => {
      assertScimError(await t.scim.post('/.search').send({ schemas: [SEARCH], filter: 'shoeSize eq 4' }), 400, 'invalidFilter');
    });
  });
});
