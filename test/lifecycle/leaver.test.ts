import assert from 'node:assert/strict';
import type supertest from 'supertest';
import { ENTERPRISE, startTestApp, type TestApp } from '../support/app.js';
import {
  auditOf,
  bulk,
  context,
  createUser,
  employee,
  entraClient,
  eventsOf,
  expectStatus,
  grantKeys,
  group,
  LIFECYCLE,
  lifecycleIn,
  oktaClient,
  patchOp,
  policyVariant,
  storedLifecycle,
  TENANT,
  typesOf,
  uniqueName,
  type Body,
  type Client,
} from './helpers.js';

const ALL_GRANTS = [
  'permission:direct:vpn:connect',
  'role:direct:engineer',
  'role:policy:employee-baseline',
  'role:policy:finance-analyst',
  'role:policy:oncall',
  'role:policy:payroll-approver',
];

/**
 * A Finance employee in the "Payroll Approvers" and "Engineering On-Call" groups with a direct role
 * and a direct entitlement: every kind of grant a leaver must lose.
 */
async function richUser(t: TestApp, client: Client, groupIds: string[]): Promise<string> {
  const body = employee(uniqueName('leaver'), { department: 'Finance', costCenter: 'CC-4100' }, { roles: [{ value: 'engineer' }], entitlements: [{ value: 'vpn:connect' }] });
  const id = await createUser(client, body);
  for (const groupId of groupIds) {
    expectStatus(await client.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: id }] })), 200, 204);
  }
  const lifecycle = await storedLifecycle(t, id);
  assert.deepEqual(grantKeys(lifecycle.grants), ALL_GRANTS);
  return id;
}

async function createGroups(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for (const name of ['Payroll Approvers', 'Engineering On-Call']) {
    const response = await client.post('/Groups', group(name));
    assert.equal(response.status, 201, context(response));
    ids.push(String(response.body.id));
  }
  return ids;
}

async function memberIdsOf(client: Client, groupId: string): Promise<string[]> {
  const response = await client.get(`/Groups/${groupId}`);
  assert.equal(response.status, 200, context(response));
  return ((response.body.members ?? []) as Body[]).map((member) => String(member['value']));
}

interface Deactivation {
  name: string;
  client: (t: TestApp) => Client;
  send(client: Client, id: string): Promise<supertest.Response>;
  /** Whether the response carries the user (a Bulk response does not). */
  returnsUser: boolean;
}

const deactivations: Deactivation[] = [
  {
    name: 'Okta PATCH {"op":"replace","value":{"active":false}}',
    client: oktaClient,
    send: (client, id) => client.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } })),
    returnsUser: true,
  },
  {
    name: 'Entra PATCH {"op":"Replace","path":"active","value":"False"}',
    client: entraClient,
    send: (client, id) => client.patch(`/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' })),
    returnsUser: true,
  },
  {
    name: 'PUT of the whole object with active false',
    client: oktaClient,
    async send(client, id) {
      const current = (await client.get(`/Users/${id}`)).body as Body;
      return client.put(`/Users/${id}`, { ...current, active: false, groups: [] });
    },
    returnsUser: true,
  },
  {
    name: 'Bulk PATCH active false',
    client: oktaClient,
    send: (client, id) => client.post('/Bulk', bulk({ method: 'PATCH', path: `/Users/${id}`, data: patchOp({ op: 'replace', path: 'active', value: false }) })),
    returnsUser: false,
  },
];

describe('lifecycle: leaver', () => {
  let t: TestApp;
  let groupIds: string[];
  const deactivated: string[] = [];

  before(async () => {
    t = await startTestApp('lifecycle-leaver');
    groupIds = await createGroups(oktaClient(t));
  });

  after(async () => {
    await t.close();
  });

  for (const deactivation of deactivations) {
    it(`${deactivation.name}: every grant revoked in the same response, roles/entitlements gone, memberships removed, audit and events recorded`, async () => {
      const client = deactivation.client(t);
      const id = await richUser(t, client, groupIds);
      const eventsBefore = (await eventsOf(t, id)).length;
      const groupEventsBefore = await Promise.all(groupIds.map(async (groupId) => (await t.storage.events.forSubject(TENANT, groupId)).length));

      const response = await deactivation.send(client, id);
      assert.equal(response.status, 200, context(response));
      if (deactivation.returnsUser) {
        const body = response.body as Body;
        assert.equal(body['active'], false);
        const extension = lifecycleIn(body);
        assert.equal(extension['state'], 'inactive');
        assert.ok(extension['deactivatedAt'], 'deactivatedAt is shown');
        assert.deepEqual(extension['permissions'], [], 'no permission in the deactivating response');
        assert.deepEqual(extension['grants'], [], 'no grant in the deactivating response');
        assert.equal(body['roles'], undefined, 'roles cleared');
        assert.equal(body['entitlements'], undefined, 'entitlements cleared');
        assert.deepEqual(body['groups'] ?? [], [], 'no groups in the deactivating response');
      } else {
        assert.equal(response.body.Operations[0].status, '200', context(response));
      }

      const record = await t.storage.users.get(TENANT, id);
      assert.ok(record?.lifecycle);
      assert.equal(record.lifecycle.state, 'inactive');
      assert.deepEqual(record.lifecycle.permissions, []);
      assert.deepEqual(record.lifecycle.grants, []);
      assert.ok(record.lifecycle.deactivatedAt instanceof Date || typeof record.lifecycle.deactivatedAt === 'string');
      assert.equal(record.attributes['active'], false);
      assert.equal(record.attributes['roles'], undefined);
      assert.equal(record.attributes['entitlements'], undefined);
      assert.deepEqual(record.groupIds, []);

      const entry = (await auditOf(t, id)).at(-1)!;
      assert.ok(['patch', 'replace'].includes(entry.operation), entry.operation);
      assert.equal(entry.before?.['active'], true);
      assert.equal(entry.after?.['active'], false);
      assert.deepEqual(entry.before?.['roles'], ['engineer']);
      assert.deepEqual(entry.after?.['roles'], []);
      assert.deepEqual(entry.after?.['entitlements'], []);
      assert.deepEqual(entry.before?.['groups'], [...groupIds].sort());
      assert.deepEqual(entry.after?.['groups'], []);
      assert.deepEqual(grantKeys(entry.grantsRevoked), ALL_GRANTS, 'the audit entry lists every revoked grant');
      assert.deepEqual(entry.grantsAdded, []);
      assert.deepEqual(entry.events, ['user.deactivated', 'user.permissions_revoked']);

      const events = (await eventsOf(t, id)).slice(eventsBefore);
      assert.deepEqual(typesOf(events), ['user.deactivated', 'user.permissions_revoked'], 'deactivated, then permissions revoked');
      // The store's own order (what a webhook worker follows) agrees.
      assert.deepEqual(typesOf((await t.storage.events.forSubject(TENANT, id)).slice(eventsBefore)), ['user.deactivated', 'user.permissions_revoked']);
      const [left, revoked] = events;
      assert.equal(left?.sequence, revoked?.sequence);
      assert.deepEqual([...((left?.data['leftGroups'] as string[]) ?? [])].sort(), [...groupIds].sort());
      assert.deepEqual(grantKeys(revoked?.data['revoked'] as never), ALL_GRANTS);
      assert.ok((revoked?.data['permissions'] as string[]).includes('payroll:approve'), 'the permissions held before are named');

      for (const [index, groupId] of groupIds.entries()) {
        assert.ok(!(await memberIdsOf(client, groupId)).includes(id), 'the group no longer lists the leaver');
        const groupEvents = (await t.storage.events.forSubject(TENANT, groupId)).slice(groupEventsBefore[index]);
        const change = groupEvents.find((event) => event.type === 'group.members_changed');
        assert.ok(change, `group ${groupId} has a group.members_changed event`);
        assert.deepEqual(change.data['removed'], [{ value: id, type: 'User' }]);
        assert.equal(change.data['reason'], 'deactivation');
      }
      const shown = await client.get(`/Users/${id}`);
      assert.deepEqual(shown.body.groups ?? [], []);
      deactivated.push(id);
    });
  }

  it('while inactive, a PATCH adding roles and entitlements grants nothing and stores neither', async () => {
    const id = deactivated[0]!;
    for (const client of [oktaClient(t), entraClient(t)]) {
      const response = await client.patch(`/Users/${id}`, patchOp({ op: 'add', path: 'roles', value: [{ value: 'sales-rep' }] }, { op: 'add', path: 'entitlements', value: [{ value: 'prod:admin' }] }));
      expectStatus(response, 200, 204);
      if (response.status === 200) {
        assert.deepEqual(lifecycleIn(response.body as Body)['grants'], []);
        assert.deepEqual(lifecycleIn(response.body as Body)['permissions'], []);
        assert.equal(response.body.roles, undefined);
      }
    }
    // An attribute change alongside (a mover while inactive) grants nothing either.
    const moved = await oktaClient(t).patch(`/Users/${id}`, patchOp({ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Sales' }, { op: 'add', path: 'roles', value: [{ value: 'oncall' }] }));
    assert.equal(moved.status, 200, context(moved));
    const record = await t.storage.users.get(TENANT, id);
    assert.equal(record?.lifecycle?.state, 'inactive');
    assert.deepEqual(record?.lifecycle?.grants, []);
    assert.deepEqual(record?.lifecycle?.permissions, []);
    assert.equal(record?.attributes['roles'], undefined);
    assert.equal(record?.attributes['entitlements'], undefined);
    const entries = await auditOf(t, id);
    assert.ok(entries.every((entry) => entry.grantsAdded.length === 0 || entry.after?.['active'] !== false), 'no audit entry granted anything to the inactive user');
    assert.ok(!typesOf(await eventsOf(t, id)).slice(-1).includes('user.roles_changed'));
    // And a group membership whose memberOf rule matches confers nothing either.
    expectStatus(await oktaClient(t).patch(`/Groups/${groupIds[0]}`, patchOp({ op: 'add', path: 'members', value: [{ value: id }] })), 200, 204);
    assert.deepEqual((await storedLifecycle(t, id)).permissions, []);
    expectStatus(await oktaClient(t).patch(`/Groups/${groupIds[0]}`, patchOp({ op: 'remove', path: `members[value eq "${id}"]` })), 200, 204);
  });

  it('while inactive, roles and entitlements sent by the IdP are dropped AND recorded in the audit trail (docs/lifecycle.md "Race-proof")', async () => {
    const id = deactivated[2]!;
    const requestId = `dropped-grants-${Date.now()}`;
    const response = await oktaClient(t)
      .patch(`/Users/${id}`, patchOp({ op: 'add', path: 'roles', value: [{ value: 'payroll-approver' }] }, { op: 'add', path: 'entitlements', value: [{ value: 'payroll:approve' }] }))
      .set('X-Request-Id', requestId);
    assert.equal(response.status, 200, context(response));
    assert.equal(response.headers['x-request-id'], requestId);
    assert.deepEqual((await storedLifecycle(t, id)).permissions, [], 'dropped');
    const entries = (await auditOf(t, id)).filter((entry) => entry.requestId === requestId);
    assert.equal(entries.length, 1, 'the dropped roles/entitlements are recorded: an audit entry for the request');
    assert.ok(JSON.stringify(entries[0]).includes('payroll-approver') && JSON.stringify(entries[0]).includes('payroll:approve'), `the entry names what was dropped: ${JSON.stringify(entries[0])}`);
  });

  it('Entra GET still returns the inactive user, and the lifecycle state filter finds inactive users', async () => {
    const entra = entraClient(t);
    const id = deactivated[1]!;
    const response = await entra.get(`/Users/${id}`);
    assert.equal(response.status, 200, context(response));
    assert.equal(response.body.active, false);
    assert.equal(lifecycleIn(response.body as Body)['state'], 'inactive');

    const active = await entra.post('/Users', employee(uniqueName('still-active')));
    assert.equal(active.status, 201, context(active));
    const filter = encodeURIComponent(`${LIFECYCLE}:state eq "inactive"`);
    const inactive = await entra.get(`/Users?filter=${filter}&count=100`);
    assert.equal(inactive.status, 200, context(inactive));
    const found = (inactive.body.Resources as Body[]).map((resource) => String(resource['id']));
    for (const leaver of deactivated) assert.ok(found.includes(leaver), `${leaver} is listed as inactive`);
    assert.ok(!found.includes(String(active.body.id)), 'an active user is not listed');
    assert.equal(inactive.body.totalResults, deactivated.length);

    const activeFilter = encodeURIComponent(`${LIFECYCLE}:state eq "active"`);
    const actives = ((await entra.get(`/Users?filter=${activeFilter}&count=100`)).body.Resources as Body[]).map((resource) => String(resource['id']));
    assert.ok(actives.includes(String(active.body.id)));
    assert.ok(!deactivated.some((leaver) => actives.includes(leaver)));
  });
});

describe('lifecycle: leaver with deactivation.memberships "retain"', () => {
  let t: TestApp;
  let groupIds: string[];

  before(async () => {
    const policy = policyVariant((json) => {
      json['deactivation'] = { memberships: 'retain' };
    });
    assert.equal(policy.deactivation.memberships, 'retain');
    t = await startTestApp('lifecycle-leaver-retain', {}, { policy });
    groupIds = await createGroups(oktaClient(t));
  });

  after(async () => {
    await t.close();
  });

  it('memberships stay, but the user still has no grant and no permission (memberOf rules confer nothing on an inactive user)', async () => {
    const okta = oktaClient(t);
    const id = await richUser(t, okta, groupIds);
    const groupEventsBefore = await Promise.all(groupIds.map(async (groupId) => (await t.storage.events.forSubject(TENANT, groupId)).length));
    const response = await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } }));
    assert.equal(response.status, 200, context(response));
    assert.deepEqual(lifecycleIn(response.body as Body)['permissions'], []);
    assert.deepEqual(lifecycleIn(response.body as Body)['grants'], []);
    assert.deepEqual(((response.body.groups ?? []) as Body[]).map((entry) => entry['value']).sort(), [...groupIds].sort(), 'groups retained');

    const record = await t.storage.users.get(TENANT, id);
    assert.deepEqual([...(record?.groupIds ?? [])].sort(), [...groupIds].sort());
    assert.equal(record?.lifecycle?.state, 'inactive');
    assert.deepEqual(record?.lifecycle?.grants, []);
    assert.deepEqual(record?.lifecycle?.permissions, []);
    for (const [index, groupId] of groupIds.entries()) {
      assert.ok((await memberIdsOf(okta, groupId)).includes(id), 'the group still lists the user');
      const groupEvents = (await t.storage.events.forSubject(TENANT, groupId)).slice(groupEventsBefore[index]);
      assert.deepEqual(typesOf(groupEvents), [], 'no membership change');
    }
    const entry = (await auditOf(t, id)).at(-1)!;
    assert.deepEqual(grantKeys(entry.grantsRevoked), ALL_GRANTS);
    assert.deepEqual(entry.after?.['groups'], [...groupIds].sort());
    const events = await eventsOf(t, id);
    assert.deepEqual(typesOf(events).slice(-2), ['user.deactivated', 'user.permissions_revoked']);
    assert.deepEqual(events.at(-2)?.data['leftGroups'], []);

    // A membership change while inactive re-evaluates and still grants nothing.
    const other = await okta.post('/Groups', group('Finance Team', [id]));
    assert.equal(other.status, 201, context(other));
    assert.deepEqual((await storedLifecycle(t, id)).permissions, []);
    assert.deepEqual((await storedLifecycle(t, id)).grants, []);
  });
});
