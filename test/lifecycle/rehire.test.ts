import assert from 'node:assert/strict';
import { ENTERPRISE, startTestApp, type TestApp } from '../support/app.js';
import {
  auditOf,
  context,
  employee,
  entraClient,
  eventsOf,
  expectStatus,
  grantKeys,
  group,
  lifecycleIn,
  oktaClient,
  patchOp,
  salesEmployee,
  storedLifecycle,
  TENANT,
  typesOf,
  uniqueName,
  type Body,
  type Client,
  createUser,
} from './helpers.js';

/** Rehire: inactive → active re-derives access from the policy and what the IdP sends now; nothing is restored. */
describe('lifecycle: rehire', () => {
  let t: TestApp;
  let okta: Client;
  let entra: Client;

  before(async () => {
    t = await startTestApp('lifecycle-rehire');
    okta = oktaClient(t);
    entra = entraClient(t);
  });

  after(async () => {
    await t.close();
  });

  const create = (body: Body) => createUser(okta, body);

  async function deactivate(id: string): Promise<void> {
    const response = await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } }));
    assert.equal(response.status, 200, context(response));
    assert.equal((await storedLifecycle(t, id)).state, 'inactive');
  }

  it('Okta reactivation restores policy grants only: a direct role and entitlement held before deactivation are not restored', async () => {
    const id = await create(salesEmployee(uniqueName('rehire'), { roles: [{ value: 'oncall' }], entitlements: [{ value: 'vpn:connect' }] }));
    assert.deepEqual(grantKeys((await storedLifecycle(t, id)).grants), ['permission:direct:vpn:connect', 'role:direct:oncall', 'role:policy:employee-baseline', 'role:policy:sales-rep']);
    await deactivate(id);
    const deactivatedEvents = (await eventsOf(t, id)).length;

    const response = await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: true } }));
    assert.equal(response.status, 200, context(response));
    const extension = lifecycleIn(response.body as Body);
    assert.equal(extension['state'], 'active');
    assert.ok(extension['reactivatedAt'], 'reactivatedAt is shown');
    assert.deepEqual(
      (extension['grants'] as Body[]).map((grant) => `${grant['type']}:${grant['source']}:${grant['value']}`).sort(),
      ['role:policy:employee-baseline', 'role:policy:sales-rep'],
    );
    assert.deepEqual(extension['permissions'], ['crm:read', 'crm:write', 'email:use', 'wiki:read']);
    assert.equal(response.body.roles, undefined, 'the direct role is not restored');
    assert.equal(response.body.entitlements, undefined, 'the direct entitlement is not restored');

    const lifecycle = await storedLifecycle(t, id);
    assert.equal(lifecycle.state, 'active');
    assert.deepEqual(grantKeys(lifecycle.grants), ['role:policy:employee-baseline', 'role:policy:sales-rep']);
    assert.ok(!lifecycle.permissions.includes('prod:read') && !lifecycle.permissions.includes('vpn:connect'));
    assert.ok(lifecycle.reactivatedAt, 'reactivatedAt is stored');
    assert.ok(new Date(lifecycle.reactivatedAt).getTime() >= new Date(lifecycle.provisionedAt).getTime());

    const events = (await eventsOf(t, id)).slice(deactivatedEvents);
    assert.deepEqual(typesOf(events), ['user.reactivated', 'user.roles_changed']);
    assert.equal(events[0]?.sequence, events[1]?.sequence);
    assert.equal(events[0]?.data['userName'], response.body.userName);
    assert.deepEqual(grantKeys(events[1]?.data['added'] as never), ['role:policy:employee-baseline', 'role:policy:sales-rep']);
    assert.deepEqual(events[1]?.data['revoked'], []);

    const entry = (await auditOf(t, id)).at(-1)!;
    assert.equal(entry.before?.['active'], false);
    assert.equal(entry.after?.['active'], true);
    assert.deepEqual(grantKeys(entry.grantsAdded), ['role:policy:employee-baseline', 'role:policy:sales-rep']);
    assert.deepEqual(entry.grantsRevoked, []);
    assert.deepEqual(entry.events, ['user.reactivated', 'user.roles_changed']);
  });

  it('Entra reactivation ("True" string) of a user whose groups were removed: memberOf grants are not restored', async () => {
    const id = await create(employee(uniqueName('rehire-payroll'), { department: 'Finance', costCenter: 'CC-9999' }));
    const payroll = await okta.post('/Groups', group('Payroll Approvers', [id]));
    assert.equal(payroll.status, 201, context(payroll));
    assert.ok((await storedLifecycle(t, id)).permissions.includes('payroll:approve'));
    await deactivate(id);

    const response = await entra.patch(`/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'True' }));
    expectStatus(response, 200, 204);
    const record = await t.storage.users.get(TENANT, id);
    assert.equal(record?.attributes['active'], true);
    assert.deepEqual(record?.groupIds, [], 'memberships removed at deactivation stay removed');
    assert.deepEqual(grantKeys(record?.lifecycle?.grants ?? []), ['role:policy:employee-baseline']);
    assert.ok(!record?.lifecycle?.permissions.includes('payroll:approve'));
    assert.ok(record?.lifecycle?.reactivatedAt);
    assert.deepEqual(typesOf(await eventsOf(t, id)).slice(-2), ['user.reactivated', 'user.roles_changed']);
  });

  it('a rehire PUT carrying roles now grants what the IdP sends now', async () => {
    const id = await create(employee(uniqueName('rehire-put'), { organization: 'Acme Product', department: 'Engineering' }, { roles: [{ value: 'sales-rep' }] }));
    await deactivate(id);
    const current = (await okta.get(`/Users/${id}`)).body as Body;
    assert.equal(current.roles, undefined);
    const response = await okta.put(`/Users/${id}`, { ...current, active: true, groups: [], roles: [{ value: 'oncall' }] });
    assert.equal(response.status, 200, context(response));
    assert.deepEqual(grantKeys((await storedLifecycle(t, id)).grants), ['role:direct:oncall', 'role:policy:employee-baseline', 'role:policy:engineer']);
    assert.deepEqual(response.body.roles.map((role: Body) => role['value']), ['oncall']);
  });

  it('a rehired user matching no rule gets user.reactivated without user.roles_changed; reactivatedAt survives a later mover', async () => {
    const id = await create({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: uniqueName('rehire-plain'), active: true });
    await deactivate(id);
    const before = (await eventsOf(t, id)).length;
    const response = await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'active', value: true }));
    assert.equal(response.status, 200, context(response));
    assert.deepEqual(typesOf((await eventsOf(t, id)).slice(before)), ['user.reactivated']);
    const reactivatedAt = (await storedLifecycle(t, id)).reactivatedAt;
    assert.ok(reactivatedAt);

    // A later mover keeps the rehire date.
    const moved = await okta.patch(`/Users/${id}`, patchOp({ op: 'add', path: 'userType', value: 'Employee' }, { op: 'add', path: `${ENTERPRISE}:employeeNumber`, value: '77' }));
    assert.equal(moved.status, 200, context(moved));
    const lifecycle = await storedLifecycle(t, id);
    assert.deepEqual(grantKeys(lifecycle.grants), ['role:policy:employee-baseline']);
    assert.equal(new Date(lifecycle.reactivatedAt!).getTime(), new Date(reactivatedAt).getTime());
    assert.deepEqual(typesOf(await eventsOf(t, id)).slice(-1), ['user.roles_changed']);
  });
});
