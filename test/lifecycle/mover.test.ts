import assert from 'node:assert/strict';
import type { Grant, LifecycleEvent } from '../../src/lifecycle/types.js';
import { ENTERPRISE, startTestApp, type TestApp } from '../support/app.js';
import {
  auditOf,
  bulk,
  context,
  employee,
  entraClient,
  eventsOf,
  expectStatus,
  grantKeys,
  group,
  lifecycleIn,
  oktaClient,
  oktaUser,
  patchOp,
  responseRoles,
  roleNames,
  salesEmployee,
  storedLifecycle,
  TENANT,
  typesOf,
  uniqueName,
  type Body,
  type Client,
  createUser,
} from './helpers.js';

/** Mover: a changed attribute or group membership re-evaluates the policy; direct grants stay. */
describe('lifecycle: mover', () => {
  let t: TestApp;
  let okta: Client;
  let entra: Client;

  before(async () => {
    t = await startTestApp('lifecycle-mover');
    okta = oktaClient(t);
    entra = entraClient(t);
  });

  after(async () => {
    await t.close();
  });

  const create = (body: Body) => createUser(okta, body);

  const keysOf = (grants: unknown) => grantKeys(grants as Grant[]);

  /** The last user.roles_changed event, with its added and revoked grants as keys. */
  async function lastRolesChanged(id: string): Promise<{ event: LifecycleEvent; added: string[]; revoked: string[] }> {
    const event = (await eventsOf(t, id)).filter((candidate) => candidate.type === 'user.roles_changed').at(-1);
    assert.ok(event, `user ${id} has a user.roles_changed event`);
    return { event, added: keysOf(event.data['added']), revoked: keysOf(event.data['revoked']) };
  }

  it('Okta PUT of the whole object moving Sales → Engineering: sales-rep revoked, engineer granted, in the response', async () => {
    const id = await create(oktaUser(uniqueName('put-mover'), { userType: 'Employee', [ENTERPRISE]: { employeeNumber: '10', department: 'Sales' } }));
    const current = (await okta.get(`/Users/${id}`)).body as Body;
    assert.deepEqual(responseRoles(current), ['employee-baseline', 'sales-rep']);
    const next = { ...current, groups: [], [ENTERPRISE]: { ...(current[ENTERPRISE] as Body), department: 'Engineering', organization: 'Acme Product' } };
    const response = await okta.put(`/Users/${id}`, next);
    assert.equal(response.status, 200, context(response));
    assert.deepEqual(responseRoles(response.body as Body), ['employee-baseline', 'engineer']);
    assert.deepEqual(lifecycleIn(response.body as Body)['permissions'], ['ci:run', 'email:use', 'git:write', 'wiki:read']);

    const lifecycle = await storedLifecycle(t, id);
    assert.deepEqual(roleNames(lifecycle.grants), ['employee-baseline', 'engineer']);
    const entry = (await auditOf(t, id)).at(-1)!;
    assert.equal(entry.operation, 'replace');
    assert.equal(entry.before?.['department'], 'Sales');
    assert.equal(entry.after?.['department'], 'Engineering');
    assert.deepEqual(grantKeys(entry.grantsAdded), ['role:policy:engineer']);
    assert.deepEqual(grantKeys(entry.grantsRevoked), ['role:policy:sales-rep']);
    assert.deepEqual(entry.events, ['user.roles_changed']);
    const { event, added, revoked } = await lastRolesChanged(id);
    assert.deepEqual(added, ['role:policy:engineer']);
    assert.deepEqual(revoked, ['role:policy:sales-rep']);
    assert.deepEqual(event.data['permissions'], ['ci:run', 'email:use', 'git:write', 'wiki:read']);
    assert.deepEqual(typesOf(await eventsOf(t, id)), ['user.provisioned', 'user.roles_changed']);
  });

  it('PATCH path-less replace of title and userType: sales-manager granted, then baseline and sales roles revoked for a contractor', async () => {
    const id = await create(salesEmployee(uniqueName('pathless-mover')));
    const promoted = await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { title: 'Sales Manager' } }));
    assert.equal(promoted.status, 200, context(promoted));
    assert.deepEqual(responseRoles(promoted.body as Body), ['employee-baseline', 'sales-manager', 'sales-rep']);
    let changed = await lastRolesChanged(id);
    assert.deepEqual(changed.added, ['role:policy:sales-manager']);
    assert.deepEqual(changed.revoked, []);

    const contractor = await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { userType: 'Contractor' } }));
    assert.equal(contractor.status, 200, context(contractor));
    assert.deepEqual(responseRoles(contractor.body as Body), ['contractor-limited']);
    assert.deepEqual(lifecycleIn(contractor.body as Body)['permissions'], ['wiki:read']);
    changed = await lastRolesChanged(id);
    assert.deepEqual(changed.added, ['role:policy:contractor-limited']);
    assert.deepEqual(changed.revoked, ['role:policy:employee-baseline', 'role:policy:sales-manager', 'role:policy:sales-rep']);
    const entry = (await auditOf(t, id)).at(-1)!;
    assert.equal(entry.operation, 'patch');
    assert.deepEqual(grantKeys(entry.grantsRevoked), changed.revoked);
    assert.deepEqual(typesOf(await eventsOf(t, id)), ['user.provisioned', 'user.roles_changed', 'user.roles_changed']);
  });

  it('Entra PATCH with the URN path …enterprise:2.0:User:department moves Sales → Finance', async () => {
    const id = await create(employee(uniqueName('entra-mover'), { department: 'Sales', costCenter: 'CC-4100' }));
    const response = await entra.patch(`/Users/${id}`, patchOp({ op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Finance' }));
    expectStatus(response, 200, 204);
    const lifecycle = await storedLifecycle(t, id);
    assert.deepEqual(roleNames(lifecycle.grants), ['employee-baseline', 'finance-analyst']);
    assert.deepEqual(lifecycle.permissions, ['email:use', 'ledger:read', 'payroll:read', 'wiki:read']);
    const { added, revoked } = await lastRolesChanged(id);
    assert.deepEqual(added, ['role:policy:finance-analyst']);
    assert.deepEqual(revoked, ['role:policy:sales-rep']);
    const entry = (await auditOf(t, id)).at(-1)!;
    assert.equal(entry.before?.['department'], 'Sales');
    assert.equal(entry.after?.['department'], 'Finance');
    assert.deepEqual(grantKeys(entry.grantsAdded), ['role:policy:finance-analyst']);
  });

  it('Bulk PATCH moves a user and re-evaluates like a single PATCH', async () => {
    const id = await create(salesEmployee(uniqueName('bulk-mover')));
    const response = await okta.post(
      '/Bulk',
      bulk({
        method: 'PATCH',
        path: `/Users/${id}`,
        data: patchOp({ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Engineering' }, { op: 'add', path: `${ENTERPRISE}:organization`, value: 'Acme Product' }),
      }),
    );
    assert.equal(response.status, 200, context(response));
    assert.equal(response.body.Operations[0].status, '200', context(response));
    assert.deepEqual(roleNames((await storedLifecycle(t, id)).grants), ['employee-baseline', 'engineer']);
    const { added, revoked } = await lastRolesChanged(id);
    assert.deepEqual(added, ['role:policy:engineer']);
    assert.deepEqual(revoked, ['role:policy:sales-rep']);
    const entry = (await auditOf(t, id)).at(-1)!;
    assert.deepEqual(grantKeys(entry.grantsRevoked), ['role:policy:sales-rep']);
  });

  describe('group membership', () => {
    let groupId: string;

    it('adding a Finance employee to "Payroll Approvers" (POST /Groups, PATCH add member) grants payroll-approver by the memberOf rule', async () => {
      const id = await create(employee(uniqueName('payroll'), { department: 'Finance', costCenter: 'CC-9999' }));
      assert.deepEqual(roleNames((await storedLifecycle(t, id)).grants), ['employee-baseline']);
      const created = await okta.post('/Groups', group('Payroll Approvers'));
      assert.equal(created.status, 201, context(created));
      groupId = String(created.body.id);
      assert.deepEqual(roleNames((await storedLifecycle(t, id)).grants), ['employee-baseline'], 'an empty group changes nothing');

      const added = await okta.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: id }] }));
      expectStatus(added, 200, 204);
      const lifecycle = await storedLifecycle(t, id);
      assert.deepEqual(grantKeys(lifecycle.grants), ['role:policy:employee-baseline', 'role:policy:finance-analyst', 'role:policy:payroll-approver']);
      assert.deepEqual(lifecycle.grants.find((grant) => grant.name === 'payroll-approver')?.rules, ['payroll-approvers']);
      assert.ok(lifecycle.permissions.includes('payroll:approve'));
      const shown = await okta.get(`/Users/${id}`);
      assert.deepEqual(responseRoles(shown.body as Body), ['employee-baseline', 'finance-analyst', 'payroll-approver']);
      assert.deepEqual((shown.body.groups as Body[]).map((entry) => entry['value']), [groupId]);

      const changed = await lastRolesChanged(id);
      assert.deepEqual(changed.added, ['role:policy:finance-analyst', 'role:policy:payroll-approver']);
      const entry = (await auditOf(t, id)).at(-1)!;
      assert.equal(entry.operation, 'membership');
      assert.deepEqual(entry.after?.['groups'], [groupId]);
      assert.deepEqual(grantKeys(entry.grantsAdded), changed.added);
      const groupEvents = await t.storage.events.forSubject(TENANT, groupId);
      assert.deepEqual(typesOf(groupEvents), ['group.created', 'group.members_changed']);
      assert.deepEqual(groupEvents[1]?.data['added'], [{ value: id, type: 'User' }]);

      // Removing the member revokes what the membership granted.
      const removed = await okta.patch(`/Groups/${groupId}`, patchOp({ op: 'remove', path: `members[value eq "${id}"]` }));
      expectStatus(removed, 200, 204);
      assert.deepEqual(roleNames((await storedLifecycle(t, id)).grants), ['employee-baseline']);
      const revoked = await lastRolesChanged(id);
      assert.deepEqual(revoked.revoked, ['role:policy:finance-analyst', 'role:policy:payroll-approver']);
      assert.deepEqual(revoked.added, []);
      assert.ok(!(await storedLifecycle(t, id)).permissions.includes('payroll:approve'));
      const lastGroupEvent = (await t.storage.events.forSubject(TENANT, groupId)).at(-1);
      assert.equal(lastGroupEvent?.type, 'group.members_changed');
      assert.deepEqual(lastGroupEvent?.data['removed'], [{ value: id, type: 'User' }]);
    });

    it('a member who does not match the other conditions (Sales) gets nothing from the group', async () => {
      const id = await create(salesEmployee(uniqueName('payroll-sales')));
      const response = await okta.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: id }] }));
      expectStatus(response, 200, 204);
      assert.deepEqual(roleNames((await storedLifecycle(t, id)).grants), ['employee-baseline', 'sales-rep']);
      assert.deepEqual(typesOf(await eventsOf(t, id)), ['user.provisioned']);
    });
  });

  it('direct grants (roles oncall, entitlements vpn:connect) are source "direct" and survive re-evaluation by attribute and group movers', async () => {
    const id = await create(salesEmployee(uniqueName('direct'), { roles: [{ value: 'oncall' }], entitlements: [{ value: 'vpn:connect' }] }));
    const expectDirect = async () => {
      const lifecycle = await storedLifecycle(t, id);
      assert.deepEqual(
        grantKeys(lifecycle.grants.filter((grant) => grant.source === 'direct')),
        ['permission:direct:vpn:connect', 'role:direct:oncall'],
      );
      for (const permission of ['pager:ack', 'prod:read', 'vpn:connect']) assert.ok(lifecycle.permissions.includes(permission), `${permission} in ${lifecycle.permissions.join(', ')}`);
      return lifecycle;
    };
    const initial = await expectDirect();
    assert.deepEqual(grantKeys(initial.grants), ['permission:direct:vpn:connect', 'role:direct:oncall', 'role:policy:employee-baseline', 'role:policy:sales-rep']);
    const shown = (await okta.get(`/Users/${id}`)).body as Body;
    assert.deepEqual(
      (lifecycleIn(shown)['grants'] as Body[]).filter((grant) => grant['source'] === 'direct'),
      [
        { value: 'oncall', type: 'role', source: 'direct' },
        { value: 'vpn:connect', type: 'permission', source: 'direct' },
      ],
    );

    // Attribute mover: Sales → Marketing revokes sales-rep only.
    const moved = await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Marketing' }));
    assert.equal(moved.status, 200, context(moved));
    const afterMove = await expectDirect();
    assert.deepEqual(roleNames(afterMove.grants), ['employee-baseline', 'oncall']);
    const { revoked } = await lastRolesChanged(id);
    assert.deepEqual(revoked, ['role:policy:sales-rep'], 'direct grants are not revoked by a mover');

    // Group mover: joining a group re-evaluates the user; the direct grants stay.
    const created = await okta.post('/Groups', group('Marketing Team', [id]));
    assert.equal(created.status, 201, context(created));
    await expectDirect();
    const audit = await auditOf(t, id);
    assert.ok(audit.every((entry) => !grantKeys(entry.grantsRevoked).some((key) => key.includes(':direct:'))), 'no entry revoked a direct grant');
  });

  it('an IdP role the policy does not define grants nothing (but a known one sent alongside does)', async () => {
    const id = await create(employee(uniqueName('unknown-role')));
    const before = await storedLifecycle(t, id);
    const unknown = await okta.patch(`/Users/${id}`, patchOp({ op: 'add', path: 'roles', value: [{ value: 'global-admin' }] }));
    assert.equal(unknown.status, 200, context(unknown));
    const lifecycle = await storedLifecycle(t, id);
    assert.deepEqual(lifecycle.grants, before.grants);
    assert.deepEqual(lifecycle.permissions, before.permissions);
    assert.deepEqual(typesOf(await eventsOf(t, id)), ['user.provisioned'], 'no user.roles_changed');
    assert.ok(!lifecycle.permissions.some((permission) => permission.includes('admin')));

    const known = await okta.patch(`/Users/${id}`, patchOp({ op: 'add', path: 'roles', value: [{ value: 'engineer' }] }));
    assert.equal(known.status, 200, context(known));
    assert.deepEqual(grantKeys((await storedLifecycle(t, id)).grants), ['role:direct:engineer', 'role:policy:employee-baseline']);
  });
});
