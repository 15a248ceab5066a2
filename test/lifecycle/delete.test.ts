import assert from 'node:assert/strict';
import supertest from 'supertest';
import { assertScimError, startTestApp, type TestApp } from '../support/app.js';
import {
  auditOf,
  context,
  employee,
  eventsOf,
  expectStatus,
  grantKeys,
  group,
  oktaClient,
  patchOp,
  salesEmployee,
  TENANT,
  typesOf,
  uniqueName,
  type Body,
  type Client,
} from './helpers.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

/** Delete: a tombstone and the revocation are recorded first, then the document and its memberships go. */
describe('lifecycle: delete', () => {
  let t: TestApp;
  let okta: Client;
  const admin = (test: supertest.Test) => test.set('Authorization', `Bearer ${ADMIN_TOKEN}`);

  before(async () => {
    t = await startTestApp('lifecycle-delete', { ADMIN_TOKEN });
    okta = oktaClient(t);
  });

  after(async () => {
    await t.close();
  });

  it('DELETE of a user with grants and groups: tombstone audit entry, user.permissions_revoked then user.deleted, memberships removed', async () => {
    const userName = uniqueName('deleted');
    const created = await okta.post('/Users', salesEmployee(userName, { entitlements: [{ value: 'vpn:connect' }], title: 'Sales Manager' }));
    assert.equal(created.status, 201, context(created));
    const id = String(created.body.id);
    const team = await okta.post('/Groups', group('Sales Team', [id]));
    assert.equal(team.status, 201, context(team));
    const groupId = String(team.body.id);
    const groupEventsBefore = (await t.storage.events.forSubject(TENANT, groupId)).length;
    const eventsBefore = (await eventsOf(t, id)).length;

    const response = await okta.delete(`/Users/${id}`);
    assert.equal(response.status, 204, context(response));
    assert.equal(await t.storage.users.get(TENANT, id), null);
    assert.equal((await okta.get(`/Users/${id}`)).status, 404);

    const entry = (await auditOf(t, id)).at(-1)!;
    assert.equal(entry.operation, 'delete');
    assert.equal(entry.after, null, 'a tombstone: nothing after');
    assert.equal(entry.before?.['userName'], userName);
    assert.equal(entry.before?.['department'], 'Sales');
    assert.deepEqual(entry.before?.['entitlements'], ['vpn:connect']);
    assert.deepEqual(entry.before?.['groups'], [groupId]);
    assert.deepEqual(grantKeys(entry.grantsRevoked), ['permission:direct:vpn:connect', 'role:policy:employee-baseline', 'role:policy:sales-manager', 'role:policy:sales-rep']);
    assert.deepEqual(entry.events, ['user.permissions_revoked', 'user.deleted']);

    const events = (await eventsOf(t, id)).slice(eventsBefore);
    assert.deepEqual(typesOf(events), ['user.permissions_revoked', 'user.deleted']);
    assert.deepEqual(typesOf((await t.storage.events.forSubject(TENANT, id)).slice(eventsBefore)), ['user.permissions_revoked', 'user.deleted']);
    const [revoked, deleted] = events;
    assert.equal(revoked?.sequence, deleted?.sequence);
    assert.deepEqual(grantKeys(revoked?.data['revoked'] as never), grantKeys(entry.grantsRevoked));
    assert.ok((revoked?.data['permissions'] as string[]).includes('crm:approve-discount'));
    assert.equal(deleted?.data['userName'], userName);
    const tombstone = deleted?.data['tombstone'] as Body;
    assert.equal(tombstone['userName'], userName);
    assert.deepEqual(tombstone['groups'], [groupId]);

    const members = await okta.get(`/Groups/${groupId}`);
    assert.equal(members.status, 200, context(members));
    assert.deepEqual(members.body.members ?? [], [], 'the group no longer lists the deleted user');
    const groupEvents = (await t.storage.events.forSubject(TENANT, groupId)).slice(groupEventsBefore);
    assert.deepEqual(typesOf(groupEvents), ['group.members_changed']);
    assert.deepEqual(groupEvents[0]?.data['removed'], [{ value: id, type: 'User' }]);
    assert.equal(groupEvents[0]?.data['reason'], 'user deleted');

    // The whole history stays readable through the admin API after the user is gone.
    const trail = await admin(supertest(t.app).get(`/admin/audit?resource=${id}`));
    assert.equal(trail.status, 200, context(trail));
    const operations = (trail.body.entries as Body[]).map((item) => item['operation']);
    assert.equal(operations[0], 'create');
    assert.equal(operations.at(-1), 'delete');
    const last = (trail.body.entries as Body[]).at(-1)!;
    assert.equal(last['after'], null);
    assert.equal(last['resourceId'], id);
  });

  it('DELETE of an inactive user (grants already revoked) records only user.deleted', async () => {
    const created = await okta.post('/Users', employee(uniqueName('deleted-inactive')));
    const id = String(created.body.id);
    expectStatus(await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } })), 200);
    const before = (await eventsOf(t, id)).length;
    assert.equal((await okta.delete(`/Users/${id}`)).status, 204);
    assert.deepEqual(typesOf((await eventsOf(t, id)).slice(before)), ['user.deleted']);
    const entry = (await auditOf(t, id)).at(-1)!;
    assert.equal(entry.operation, 'delete');
    assert.equal(entry.after, null);
    assert.deepEqual(entry.grantsRevoked, []);
    assert.equal(entry.before?.['active'], false);
  });

  it('the audit trail cannot be deleted or changed: no SCIM endpoint, and the admin API refuses', async () => {
    const created = await okta.post('/Users', employee(uniqueName('audit-kept')));
    const id = String(created.body.id);
    assert.equal((await okta.delete(`/Users/${id}`)).status, 204);
    const entries = await auditOf(t, id);
    assert.equal(entries.length, 2);

    for (const path of ['/Audit', `/Audit/${entries[0]!.id}`, '/AuditEntries', `/admin/audit`]) {
      const response = await okta.delete(path);
      assert.ok([404, 405].includes(response.status), `SCIM DELETE ${path}: ${context(response)}`);
      assertScimError(response, response.status);
    }
    const agent = supertest(t.app);
    const attempts = [
      admin(agent.delete('/admin/audit')),
      admin(agent.delete(`/admin/audit?resource=${id}`)),
      admin(agent.delete(`/admin/audit/${encodeURIComponent(entries[0]!.id)}`)),
      admin(agent.put('/admin/audit')).send({ entries: [] }),
      admin(agent.patch(`/admin/audit/${encodeURIComponent(entries[0]!.id)}`)).send({ after: null }),
      admin(agent.post('/admin/audit')).send({}),
    ];
    for (const attempt of attempts) {
      const response = await attempt;
      assert.ok([404, 405].includes(response.status), context(response));
      assertScimError(response, response.status);
    }
    const after = await auditOf(t, id);
    assert.deepEqual(after, entries, 'every entry is still there, unchanged');
    const trail = await admin(agent.get(`/admin/audit?resource=${id}`));
    assert.equal(trail.body.count, 2);
  });
});
