import { strict as assert } from 'node:assert';
import { assertScimError, ENTERPRISE, GROUP_SCHEMA, group, startTestApp, USER_SCHEMA, user, type TestApp } from '../support/app.js';
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

  describe('Group members.display is readOnly: rendered from the member (RFC 7643 §7)', () => {
    it('is published as readOnly in /Schemas; value, $ref and type stay immutable', async () => {
      const response = await t.scim.get(`/Schemas/${GROUP_SCHEMA}`);
      const members = response.body.attributes.find((attribute: { name: string }) => attribute.name === 'members');
      const mutability = Object.fromEntries(members.subAttributes.map((attribute: { name: string; mutability: string }) => [attribute.name, attribute.mutability]));
      assert.deepEqual(mutability, { value: 'immutable', display: 'readOnly', $ref: 'immutable', type: 'immutable' });
    });

    it('ignores a display sent with a member on POST and PATCH, and follows a rename', async () => {
      const member = await createUser(t, user('conformance.member', { displayName: 'Member Name' }));
      const other = await createUser(t, user('conformance.member2', { displayName: 'Other Name' }));
      const created = await t.scim.post('/Groups').send({ ...group('Conformance display'), members: [{ value: member.body.id, display: 'Client label' }] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.members.map((ref: { display: string }) => ref.display), ['Member Name']);

      const add = patchOp({ op: 'add', path: 'members', value: [{ value: other.body.id, display: 'Another label' }] });
      const patched = await sendPatch(t, `/Groups/${created.body.id}?attributes=members`, add);
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const displays = patched.body.members.map((ref: { display: string }) => ref.display).sort();
      assert.deepEqual(displays, ['Member Name', 'Other Name']);

      await sendPatch(t, `/Users/${member.body.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'Renamed Member' })).expect(200);
      const read = await t.scim.get(`/Groups/${created.body.id}`);
      assert.ok(read.body.members.some((ref: { display: string }) => ref.display === 'Renamed Member'), JSON.stringify(read.body.members));
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
