import { strict as assert } from 'node:assert';
import { ENTERPRISE, GROUP_SCHEMA, LIFECYCLE, LIST_SCHEMA, startTestApp, USER_SCHEMA, type TestApp } from '../support/app.js';
import { CONTOSO } from '../support/schema-extensions.js';

describe('Discovery (RFC 7644 §4)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('discovery');
  });
  after(async () => {
    await t.close();
  });

  describe('GET /ServiceProviderConfig', () => {
    it('advertises only what the server does', async () => {
      const response = await t.scim.get('/ServiceProviderConfig');
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^application\/scim\+json/);
      const body = response.body;
      assert.deepEqual(body.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
      assert.deepEqual(body.patch, { supported: true });
      assert.deepEqual(body.bulk, { supported: true, maxOperations: 1000, maxPayloadSize: 4 * 1024 * 1024 });
      assert.deepEqual(body.filter, { supported: true, maxResults: 200 });
      assert.deepEqual(body.sort, { supported: true });
      assert.deepEqual(body.etag, { supported: true });
      assert.deepEqual(body.changePassword, { supported: true });
      assert.equal(body.authenticationSchemes[0].type, 'oauthbearertoken');
      assert.equal(body.meta.resourceType, 'ServiceProviderConfig');
    });
  });

  describe('GET /Schemas', () => {
    it('lists the User, Enterprise User, lifecycle, Contoso example and Group schemas with their attributes', async () => {
      const response = await t.scim.get('/Schemas');
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.schemas, [LIST_SCHEMA]);
      const ids = response.body.Resources.map((schema: { id: string }) => schema.id);
      assert.deepEqual(ids.sort(), [CONTOSO, ENTERPRISE, GROUP_SCHEMA, LIFECYCLE, USER_SCHEMA].sort());
      assert.equal(response.body.totalResults, 5);
      const userSchema = response.body.Resources.find((schema: { id: string }) => schema.id === USER_SCHEMA);
      const userName = userSchema.attributes.find((attribute: { name: string }) => attribute.name === 'userName');
      assert.equal(userName.uniqueness, 'server');
      assert.equal(userName.caseExact, false);
      const password = userSchema.attributes.find((attribute: { name: string }) => attribute.name === 'password');
      assert.equal(password.returned, 'never');
      assert.equal(userSchema.meta.resourceType, 'Schema');
    });

    it('serves a custom extension as its file declares it (RFC 7643 §7)', async () => {
      const response = await t.scim.get(`/Schemas/${CONTOSO}`);
      assert.equal(response.status, 200);
      assert.equal(response.body.name, 'ContosoUser');
      assert.deepEqual(response.body.schemas, ['urn:ietf:params:scim:schemas:core:2.0:Schema']);
      const byName = Object.fromEntries(response.body.attributes.map((attribute: { name: string }) => [attribute.name, attribute]));
      assert.deepEqual(Object.keys(byName), ['badgeNumber', 'remoteWorker', 'certifications']);
      assert.deepEqual(
        { type: byName.badgeNumber.type, multiValued: byName.badgeNumber.multiValued, caseExact: byName.badgeNumber.caseExact, mutability: byName.badgeNumber.mutability, returned: byName.badgeNumber.returned, uniqueness: byName.badgeNumber.uniqueness },
        { type: 'string', multiValued: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
      );
      assert.equal(byName.remoteWorker.type, 'boolean');
      assert.equal(byName.certifications.type, 'complex');
      assert.equal(byName.certifications.multiValued, true);
      const subAttributes = byName.certifications.subAttributes.map((attribute: { name: string; type: string; required: boolean }) => [attribute.name, attribute.type, attribute.required]);
      assert.deepEqual(subAttributes, [['name', 'string', true], ['issuer', 'string', false], ['expires', 'dateTime', false]]);
      assert.match(response.body.meta.location, new RegExp(`/Schemas/${CONTOSO}$`));
    });

    it('returns one schema by its URN', async () => {
      const response = await t.scim.get(`/Schemas/${GROUP_SCHEMA}`);
      assert.equal(response.status, 200);
      assert.equal(response.body.id, GROUP_SCHEMA);
      assert.ok(response.body.attributes.some((attribute: { name: string }) => attribute.name === 'members'));
    });
  });

  describe('GET /ResourceTypes', () => {
    it('lists User (with the enterprise, lifecycle and Contoso extensions) and Group', async () => {
      const response = await t.scim.get('/ResourceTypes');
      assert.equal(response.status, 200);
      const byId = Object.fromEntries(response.body.Resources.map((type: { id: string }) => [type.id, type]));
      assert.equal(byId.User.endpoint, '/Users');
      assert.equal(byId.User.schema, USER_SCHEMA);
      assert.deepEqual(byId.User.schemaExtensions, [
        { schema: ENTERPRISE, required: false },
        { schema: LIFECYCLE, required: false },
        { schema: CONTOSO, required: false },
      ]);
      assert.equal(byId.Group.endpoint, '/Groups');
      assert.equal(byId.Group.schema, GROUP_SCHEMA);
    });

    it('returns one resource type by name', async () => {
      const response = await t.scim.get('/ResourceTypes/Group');
      assert.equal(response.status, 200);
      assert.equal(response.body.name, 'Group');
    });
  });
});
