import assert from 'node:assert/strict';
import { parsePolicy, PolicyError } from '../../src/lifecycle/policy/load.js';
import { startTestApp, USER_SCHEMA, type TestApp } from '../support/app.js';
import { CONTOSO } from '../support/schema-extensions.js';
import { patchOp, sendPatch } from '../patch/helpers.js';
import { responseRoles, storedLifecycle, roleNames, type Body } from '../lifecycle/helpers.js';

/** Access policy rules on attributes of a custom extension (joiner and mover). */

const POLICY = {
  roles: {
    'remote-kit': { permissions: ['vpn:connect'] },
    'cloud-admin': { permissions: ['aws:console'] },
  },
  rules: [
    { name: 'remote-workers', grant: ['remote-kit'], when: { attribute: 'remoteWorker', equals: true } },
    { name: 'certified', grant: ['cloud-admin'], when: { attribute: `${CONTOSO}:certifications.name`, present: true } },
  ],
};

describe('Policy rules on a custom extension (Contoso)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('ext-policy', {}, { policy: parsePolicy(POLICY, 'contoso-policy.json') });
  });
  after(async () => {
    await t.close();
  });

  it('grants a role on remoteWorker at creation and revokes it when the attribute changes', async () => {
    const created = await t.scim.post('/Users').send({ schemas: [USER_SCHEMA, CONTOSO], userName: 'remote.one', active: true, [CONTOSO]: { remoteWorker: true } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(responseRoles(created.body), ['remote-kit']);
    // Entra's legacy form: unqualified path, capitalised op, "False" string.
    const moved = await sendPatch(t, `/Users/${created.body.id}`, patchOp({ op: 'Replace', path: 'remoteWorker', value: 'False' }));
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual(responseRoles(moved.body), []);
    assert.deepEqual(roleNames((await storedLifecycle(t, created.body.id)).grants), []);
  });

  it('grants a role once the user holds a certification', async () => {
    const created = await t.scim.post('/Users').send({ schemas: [USER_SCHEMA], userName: 'cert.one', active: true });
    assert.deepEqual(responseRoles(created.body), []);
    const certified = await sendPatch(t, `/Users/${created.body.id}`, patchOp({ op: 'add', path: `${CONTOSO}:certifications[name eq "AWS"].expires`, value: '2027-01-01T00:00:00Z' }));
    assert.equal(certified.status, 200, JSON.stringify(certified.body));
    assert.deepEqual(responseRoles(certified.body), ['cloud-admin']);
  });

  it('refuses a policy naming an attribute no extension defines, or testing a multi-valued one with equals', () => {
    const bad = (when: Body) => {
      try {
        parsePolicy({ ...POLICY, rules: [{ name: 'r', grant: ['remote-kit'], when }] }, 'p.json');
      } catch (error) {
        assert.ok(error instanceof PolicyError);
        return error.problems;
      }
      assert.fail('accepted');
    };
    assert.deepEqual(bad({ attribute: `${CONTOSO}:shoeSize`, equals: 'x' }), [
      `p.json: rules[0] "r" /rules/0/when/attribute: "${CONTOSO}:shoeSize" is not a User attribute; use a core name ("title", "name.familyName"), an extension name ("department", "manager.value") or a full URN path`,
    ]);
    assert.deepEqual(bad({ attribute: 'remoteWorker', equals: 'yes' }), ['p.json: rules[0] "r" /rules/0/when/equals: "yes" can never equal the boolean attribute "remoteWorker"']);
    assert.deepEqual(bad({ attribute: 'certifications.name', equals: 'AWS' }), ['p.json: rules[0] "r" /rules/0/when/attribute: "certifications.name" is multi-valued: only "present" can test it']);
  });
});
