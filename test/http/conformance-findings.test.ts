import { strict as assert } from 'node:assert';
import { assertScimError, ENTERPRISE, startTestApp, USER_SCHEMA, user, type TestApp } from '../support/app.js';
import { patchOp, sendPatch } from '../patch/helpers.js';
import { createUser, storedUser } from '../users/helpers.js';

/** Regressions for what scim2-tester and scim-sanity found (docs/conformance.md). */
describe('Findings of the SCIM conformance tools (docs/conformance.md)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('conformance_findings');
  });
  after(async () => {
    await t.close();
  });

  describe('discovery endpoints are read-only (RFC 7644 §4)', () => {
    for (const path of ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes', '/ResourceTypes/User']) {
      for (const method of ['post', 'put', 'patch', 'delete'] as const) {
        it(`answers 405 with Allow: GET for ${method.toUpperCase()} ${path}`, async () => {
          const response = await t.scim[method](path).send({});
          assertScimError(response, 405);
          assert.equal(response.headers['allow'], 'GET');
        });
      }
    }
  });

  describe('roles.type and x509Certificates.type have no canonical values (RFC 7643 §4.1.2)', () => {
    it('accepts any type for roles and x509Certificates', async () => {
      const body = user('typed.roles', { roles: [{ value: 'admin', type: 'custom' }], x509Certificates: [{ value: 'TUlJ', type: 'signing' }] });
      const response = await createUser(t, body);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.equal(response.body.roles[0].type, 'custom');
      assert.equal(response.body.x509Certificates[0].type, 'signing');
    });

    it('does not publish an empty canonicalValues list', async () => {
      const response = await t.scim.get(`/Schemas/${USER_SCHEMA}`);
      const roles = response.body.attributes.find((attribute: { name: string }) => attribute.name === 'roles');
      const type = roles.subAttributes.find((attribute: { name: string }) => attribute.name === 'type');
      assert.equal(type.canonicalValues, undefined);
    });
  });

  describe('enterprise manager.$ref (RFC 7643 §4.3)', () => {
    it('accepts a manager with $ref on POST, stores only value, and renders $ref from it', async () => {
      const boss = await createUser(t, user('conformance.boss'));
      const manager = { value: boss.body.id, $ref: boss.body.meta.location };
      const response = await createUser(t, { schemas: [USER_SCHEMA, ENTERPRISE], userName: 'conformance.report', [ENTERPRISE]: { manager } });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.equal(response.body[ENTERPRISE].manager.value, boss.body.id);
      assert.equal(response.body[ENTERPRISE].manager.$ref, String(response.body.meta.location).replace(response.body.id, boss.body.id));
      assert.deepEqual((await storedUser(t, response.body.id))?.attributes[ENTERPRISE], { manager: { value: boss.body.id } });
    });

    it('accepts a manager with $ref through PATCH', async () => {
      const boss = await createUser(t, user('conformance.boss2'));
      const report = await createUser(t, user('conformance.report2'));
      const manager = { value: boss.body.id, $ref: boss.body.meta.location };
      const response = await sendPatch(t, `/Users/${report.body.id}`, patchOp({ op: 'add', path: `${ENTERPRISE}:manager`, value: manager }));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body[ENTERPRISE].manager.value, boss.body.id);
    });
  });

  it('ignores "schemas" inside a whole-extension PATCH value (as scim2-models sends it)', async () => {
    const report = await createUser(t, user('conformance.extension'));
    const value = { schemas: [ENTERPRISE], department: 'Conformance' };
    const response = await sendPatch(t, `/Users/${report.body.id}`, patchOp({ op: 'add', path: ENTERPRISE, value }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body[ENTERPRISE], { department: 'Conformance' });
  });
});
