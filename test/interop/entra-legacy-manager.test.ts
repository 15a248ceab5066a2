import assert from 'node:assert/strict';
import { ENTERPRISE, startTestApp, user, USER_SCHEMA, type TestApp } from '../support/app.js';
import { patchOp, sendPatch } from '../patch/helpers.js';

/**
 * Entra's legacy manager update names the enterprise attribute without its URN:
 * `{"op":"Add","path":"manager","value":[{"$ref":null,"value":"<id>"}]}`, then Replace and Remove.
 * The unqualified name resolves to the one extension that defines it; so do filters, sortBy and
 * attributes= (docs/extensions.md).
 */
describe('Entra legacy: the unqualified path "manager"', () => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  before(async () => {
    t = await startTestApp('entra-legacy-manager');
    for (const name of ['boss.one', 'boss.two', 'report']) {
      ids[name] = (await t.scim.post('/Users').send({ ...user(`${name}@example.com`), schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { department: 'Ops' } })).body.id;
    }
  });
  after(async () => {
    await t.close();
  });

  const managerOf = async (id: string) => ((await t.scim.get(`/Users/${id}`)).body[ENTERPRISE] as { manager?: { value: string } }).manager?.value;

  it('Add, Replace and Remove the manager', async () => {
    const report = ids['report'] as string;
    const added = await sendPatch(t, `/Users/${report}`, patchOp({ op: 'Add', path: 'manager', value: [{ $ref: null, value: ids['boss.one'] }] }));
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal(await managerOf(report), ids['boss.one']);
    const replaced = await sendPatch(t, `/Users/${report}`, patchOp({ op: 'Replace', path: 'manager', value: [{ $ref: null, value: ids['boss.two'] }] }));
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(await managerOf(report), ids['boss.two']);
    const removed = await sendPatch(t, `/Users/${report}`, patchOp({ op: 'Remove', path: 'manager', value: [{ $ref: null, value: ids['boss.two'] }] }));
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal(await managerOf(report), undefined);
    assert.deepEqual(removed.body[ENTERPRISE], { department: 'Ops' });
  });

  it('finds, sorts and projects by unqualified enterprise names', async () => {
    const report = ids['report'] as string;
    await sendPatch(t, `/Users/${report}`, patchOp({ op: 'Add', path: 'manager', value: ids['boss.one'] }));
    const found = await t.scim.get('/Users').query({ filter: `manager.value eq "${ids['boss.one']}"`, attributes: 'manager' });
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual(found.body.Resources.map((resource: { id: string }) => resource.id), [report]);
    assert.deepEqual(Object.keys(found.body.Resources[0][ENTERPRISE]), ['manager']);
    const sorted = await t.scim.get('/Users').query({ filter: 'department eq "ops"', sortBy: 'manager.value', excludedAttributes: 'department' });
    assert.equal(sorted.body.totalResults, 3);
    assert.equal(sorted.body.Resources[0].id, report, 'the one user with a manager first: absent values sort last');
    assert.ok(sorted.body.Resources.every((resource: Record<string, Record<string, unknown> | undefined>) => resource[ENTERPRISE]?.['department'] === undefined));
  });
});
