import assert from 'node:assert/strict';
import { ENTERPRISE, startTestApp, type TestApp } from '../support/app.js';
import {
  auditOf,
  bulk,
  context,
  employee,
  entraClient,
  entraUser,
  eventsOf,
  grantKeys,
  lifecycleIn,
  oktaClient,
  oktaUser,
  PASSWORD,
  responseRoles,
  roleNames,
  storedLifecycle,
  typesOf,
  uniqueName,
  type Body,
} from './helpers.js';

/** Joiner: POST /Users (single or Bulk) evaluates the policy and grants in the same request. */
describe('lifecycle: joiner', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp('lifecycle-joiner');
  });

  after(async () => {
    await t.close();
  });

  function assertNoPassword(what: string, value: unknown): void {
    const text = JSON.stringify(value);
    assert.ok(!text.includes(PASSWORD), `${what} holds no password: ${text}`);
    assert.ok(!/"password/i.test(text), `${what} has no password attribute: ${text}`);
  }

  it('an Okta-shaped POST (application/json, password, groups: []) of a sales manager answers 201 with grants and permissions already derived', async () => {
    const userName = uniqueName('okta-joiner');
    const body = oktaUser(userName, { userType: 'Employee', title: 'Sales Manager EMEA', [ENTERPRISE]: { employeeNumber: '1001', department: 'Sales' } });
    const response = await oktaClient(t).post('/Users', body);
    assert.equal(response.status, 201, context(response));
    const created = response.body as Body;
    assert.equal(created['password'], undefined, 'the password is never returned');
    const extension = lifecycleIn(created);
    assert.equal(extension['state'], 'active');
    assert.ok(extension['provisionedAt'], 'provisionedAt is set');
    assert.deepEqual(responseRoles(created), ['employee-baseline', 'sales-manager', 'sales-rep']);
    assert.deepEqual(extension['permissions'], ['crm:approve-discount', 'crm:read', 'crm:write', 'email:use', 'wiki:read']);
    const salesRep = (extension['grants'] as Body[]).find((grant) => grant['value'] === 'sales-rep');
    assert.deepEqual(salesRep, { value: 'sales-rep', type: 'role', source: 'policy', rules: ['sales-reps'] });

    const id = String(created['id']);
    const lifecycle = await storedLifecycle(t, id);
    assert.equal(lifecycle.state, 'active');
    assert.deepEqual(roleNames(lifecycle.grants), ['employee-baseline', 'sales-manager', 'sales-rep']);
    assert.ok(lifecycle.grants.every((grant) => grant.source === 'policy'));
    assert.deepEqual(lifecycle.permissions, extension['permissions']);

    const audit = await auditOf(t, id);
    assert.equal(audit.length, 1, JSON.stringify(audit));
    const entry = audit[0]!;
    assert.equal(entry.operation, 'create');
    assert.equal(entry.before, null);
    assert.equal(entry.after?.['userName'], userName);
    assert.equal(entry.after?.['department'], 'Sales');
    assert.deepEqual(grantKeys(entry.grantsAdded), ['role:policy:employee-baseline', 'role:policy:sales-manager', 'role:policy:sales-rep']);
    assert.deepEqual(entry.grantsRevoked, []);
    assert.deepEqual(entry.events, ['user.provisioned']);
    assertNoPassword('the audit entry', entry);

    const events = await eventsOf(t, id);
    assert.deepEqual(typesOf(events), ['user.provisioned']);
    const provisioned = events[0]!;
    assert.equal(provisioned.resourceType, 'User');
    assert.equal(provisioned.resourceId, id);
    assert.equal(provisioned.sequence, 1);
    assert.equal(provisioned.data['userName'], userName);
    assert.equal(provisioned.data['displayName'], 'Ada Lovelace');
    assert.deepEqual(provisioned.data['name'], { givenName: 'Ada', familyName: 'Lovelace' });
    assert.deepEqual((provisioned.data['emails'] as Body[])[0]?.['value'], userName);
    assert.equal(provisioned.data['title'], 'Sales Manager EMEA');
    assert.equal(provisioned.data['userType'], 'Employee');
    assert.equal(provisioned.data['active'], true);
    assert.deepEqual([...(provisioned.data['roles'] as string[])].sort(), ['employee-baseline', 'sales-manager', 'sales-rep']);
    assert.deepEqual(provisioned.data['permissions'], extension['permissions']);
    assertNoPassword('the user.provisioned event', provisioned);
  });

  it('an Entra-shaped POST (null attributes, "active": "True", enterprise extension) of a Finance analyst answers 201 with finance-analyst', async () => {
    const userName = uniqueName('entra-joiner');
    const body = entraUser(userName, { department: 'Finance', costCenter: 'CC-4100', employeeNumber: null, division: null });
    const response = await entraClient(t).post('/Users', body);
    assert.equal(response.status, 201, context(response));
    const created = response.body as Body;
    assert.equal(created['active'], true);
    assert.deepEqual(responseRoles(created), ['finance-analyst']);
    assert.deepEqual(lifecycleIn(created)['permissions'], ['ledger:read', 'payroll:read']);
    assert.deepEqual(lifecycleIn(created)['grants'], [{ value: 'finance-analyst', type: 'role', source: 'policy', rules: ['finance-analysts'] }]);

    const id = String(created['id']);
    const lifecycle = await storedLifecycle(t, id);
    assert.deepEqual(grantKeys(lifecycle.grants), ['role:policy:finance-analyst']);
    const [entry] = await auditOf(t, id);
    assert.equal(entry?.operation, 'create');
    assert.deepEqual(grantKeys(entry?.grantsAdded ?? []), ['role:policy:finance-analyst']);
    const events = await eventsOf(t, id);
    assert.deepEqual(typesOf(events), ['user.provisioned']);
    assert.deepEqual(events[0]?.data['roles'], ['finance-analyst']);
    assert.deepEqual(events[0]?.data['permissions'], ['ledger:read', 'payroll:read']);
  });

  it('an Entra-shaped POST of a contractor in Sales gets contractor-limited only (sales-reps excludes contractors)', async () => {
    const response = await entraClient(t).post('/Users', entraUser(uniqueName('entra-contractor'), { department: 'Sales' }, { userType: 'Contractor' }));
    assert.equal(response.status, 201, context(response));
    assert.deepEqual(responseRoles(response.body as Body), ['contractor-limited']);
    assert.deepEqual(lifecycleIn(response.body as Body)['permissions'], ['wiki:read']);
    assert.deepEqual(roleNames((await storedLifecycle(t, String(response.body.id))).grants), ['contractor-limited']);
  });

  it('an Okta-shaped POST of a product engineer gets engineer and the baseline', async () => {
    const body = oktaUser(uniqueName('okta-engineer'), { userType: 'Employee', title: 'Software Engineer II', [ENTERPRISE]: { employeeNumber: '2002', organization: 'Acme Product' } });
    const response = await oktaClient(t).post('/Users', body);
    assert.equal(response.status, 201, context(response));
    assert.deepEqual(responseRoles(response.body as Body), ['employee-baseline', 'engineer']);
    assert.deepEqual(lifecycleIn(response.body as Body)['permissions'], ['ci:run', 'email:use', 'git:write', 'wiki:read']);
  });

  it('a user matching no rule is active with no grants and user.provisioned still names them', async () => {
    const userName = uniqueName('no-rule');
    const response = await oktaClient(t).post('/Users', oktaUser(userName));
    assert.equal(response.status, 201, context(response));
    assert.deepEqual(lifecycleIn(response.body as Body)['grants'], []);
    assert.deepEqual(lifecycleIn(response.body as Body)['permissions'], []);
    const events = await eventsOf(t, String(response.body.id));
    assert.deepEqual(typesOf(events), ['user.provisioned']);
    assert.equal(events[0]?.data['userName'], userName);
    assert.deepEqual(events[0]?.data['roles'], []);
  });

  it('a user created inactive (Okta active false, Entra "False") matches rules but gets no grants and no permissions', async () => {
    const okta = await oktaClient(t).post('/Users', oktaUser(uniqueName('okta-inactive'), { active: false, userType: 'Employee', [ENTERPRISE]: { employeeNumber: '3003', department: 'Sales' }, roles: [{ value: 'oncall' }], entitlements: [{ value: 'vpn:connect' }] }));
    const entra = await entraClient(t).post('/Users', entraUser(uniqueName('entra-inactive'), { department: 'Finance', costCenter: 'CC-4200' }, { active: 'False' }));
    for (const response of [okta, entra]) {
      assert.equal(response.status, 201, context(response));
      const created = response.body as Body;
      assert.equal(created['active'], false);
      const extension = lifecycleIn(created);
      assert.equal(extension['state'], 'inactive');
      assert.deepEqual(extension['grants'], []);
      assert.deepEqual(extension['permissions'], []);
      assert.equal(created['roles'], undefined, 'roles sent for an inactive user are dropped');
      assert.equal(created['entitlements'], undefined, 'entitlements sent for an inactive user are dropped');
      const id = String(created['id']);
      const lifecycle = await storedLifecycle(t, id);
      assert.equal(lifecycle.state, 'inactive');
      assert.deepEqual(lifecycle.grants, []);
      assert.deepEqual(lifecycle.permissions, []);
      const [entry] = await auditOf(t, id);
      assert.equal(entry?.operation, 'create');
      assert.deepEqual(entry?.grantsAdded, []);
      const events = await eventsOf(t, id);
      assert.deepEqual(typesOf(events), ['user.provisioned']);
      assert.equal(events[0]?.data['active'], false);
      assert.deepEqual(events[0]?.data['permissions'], []);
    }
  });

  it('Bulk POST creates users with their grants', async () => {
    const sales = employee(uniqueName('bulk-sales'), { department: 'Sales' });
    const treasury = employee(uniqueName('bulk-treasury'), { division: 'Treasury' }, { password: PASSWORD });
    const response = await oktaClient(t).post(
      '/Bulk',
      bulk({ method: 'POST', path: '/Users', bulkId: 'sales', data: sales }, { method: 'POST', path: '/Users', bulkId: 'treasury', data: treasury }),
    );
    assert.equal(response.status, 200, context(response));
    const results = response.body.Operations as Body[];
    assert.deepEqual(results.map((result) => result['status']), ['201', '201'], context(response));
    const [salesId, treasuryId] = results.map((result) => String(result['location']).split('/').pop()!);

    const salesLifecycle = await storedLifecycle(t, salesId!);
    assert.deepEqual(roleNames(salesLifecycle.grants), ['employee-baseline', 'sales-rep']);
    assert.deepEqual(salesLifecycle.permissions, ['crm:read', 'crm:write', 'email:use', 'wiki:read']);
    const treasuryLifecycle = await storedLifecycle(t, treasuryId!);
    assert.deepEqual(roleNames(treasuryLifecycle.grants), ['employee-baseline', 'finance-analyst']);

    for (const id of [salesId!, treasuryId!]) {
      const audit = await auditOf(t, id);
      assert.equal(audit.length, 1);
      assert.equal(audit[0]?.operation, 'create');
      assert.ok((audit[0]?.grantsAdded.length ?? 0) > 0);
      assertNoPassword('the bulk audit entry', audit);
      const events = await eventsOf(t, id);
      assert.deepEqual(typesOf(events), ['user.provisioned']);
      assertNoPassword('the bulk user.provisioned event', events);
    }
    const fetched = await oktaClient(t).get(`/Users/${salesId}`);
    assert.deepEqual(responseRoles(fetched.body as Body), ['employee-baseline', 'sales-rep']);
  });
});
