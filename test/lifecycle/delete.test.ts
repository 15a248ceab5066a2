import assert from 'node:assert/strict';
import supertest from 'supertest';
import type { EventType, LifecycleEvent } from '../../src/lifecycle/types.js';
import { assertScimError, startAnotherApp, startTestApp, sweep, type TestApp } from '../support/app.js';
import { failNext } from '../support/faults.js';
import {
  auditOf,
  context,
  createUser,
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

/**
 * A delete is one version-conditional write that marks the document deleting with its tombstone,
 * events and audit entry; then relay, then removal. So a delete that loses a race records nothing,
 * and one interrupted after the mark is gone for every reader and finished by the relay's sweep.
 */
describe('lifecycle: a delete records exactly what happened', () => {
  let t: TestApp;
  let other: TestApp;
  let okta: Client;

  before(async () => {
    t = await startTestApp('lifecycle-delete-truth');
    other = await startAnotherApp(t);
    okta = oktaClient(t);
  });

  after(async () => {
    await other.close();
    await t.close();
  });

  const versionNumber = (response: supertest.Response) => Number(/\d+/.exec(String(response.body.meta?.version))?.[0]);
  const ofType = (events: readonly LifecycleEvent[], type: EventType) => events.filter((event) => event.type === type);
  const deletions = async (id: string) => (await auditOf(t, id)).filter((entry) => entry.operation === 'delete');
  const leavingEvents = async (groupId: string, memberId: string) =>
    ofType(await eventsOf(t, groupId), 'group.members_changed').filter((event) => JSON.stringify(event.data['removed']) === JSON.stringify([{ value: memberId, type: 'User' }]));

  for (const spread of ['one app', 'two apps (two processes)'] as const) {
    it(`5 concurrent DELETEs of one user racing 5 PATCHes of it, through ${spread}: one DELETE 204, four 404; one tombstone of the state deleted, one user.deleted, one membership event for its group`, async () => {
      const id = await createUser(okta, salesEmployee(uniqueName('raced-delete')));
      const team = await okta.post('/Groups', group(`Raced delete ${id}`, [id]));
      assert.equal(team.status, 201, context(team));
      const groupId = String(team.body.id);

      // A delete that loses a race to a PATCH is retried from the PATCH's version: it must still record one tombstone.
      const clients = spread === 'one app' ? [okta] : [okta, oktaClient(other)];
      const requests = Array.from({ length: 10 }, (_, index) => {
        const via = clients[index % clients.length]!;
        return index % 2 === 0 ? via.patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'title', value: `Title ${index}` })) : via.delete(`/Users/${id}`);
      });
      const responses = await Promise.all(requests);
      const deletes = responses.filter((_, index) => index % 2 === 1);
      const patches = responses.filter((_, index) => index % 2 === 0);
      assert.deepEqual(deletes.map((response) => response.status).sort(), [204, 404, 404, 404, 404], deletes.map(context).join('\n'));
      for (const response of deletes.filter((candidate) => candidate.status === 404)) assertScimError(response, 404);
      for (const response of patches) assert.ok([200, 404].includes(response.status), context(response));

      assert.equal(await t.storage.users.get(TENANT, id), null);
      assert.equal(await t.storage.users.deleting(TENANT, id), null, 'removed, not left marked');
      const tombstones = await deletions(id);
      assert.equal(tombstones.length, 1, `exactly one tombstone: ${JSON.stringify(tombstones.map((entry) => entry.before?.['title']))}`);
      // The tombstone shows the user as deleted: after the last PATCH that landed.
      const landed = patches.filter((response) => response.status === 200).sort((a, b) => versionNumber(a) - versionNumber(b));
      assert.equal(tombstones[0]!.before?.['title'], landed.at(-1)?.body.title);
      const events = await eventsOf(t, id);
      assert.equal(ofType(events, 'user.deleted').length, 1);
      assert.equal(ofType(events, 'user.permissions_revoked').length, 1);
      assert.equal((await leavingEvents(groupId, id)).length, 1);
      assert.deepEqual(await t.storage.memberships.membersOf(TENANT, groupId), []);
    });
  }

  it('a user delete interrupted between the mark and the removal is gone for every reader at once; the sweep removes it and its memberships, with one tombstone', async () => {
    const userName = uniqueName('interrupted-delete');
    const id = await createUser(okta, salesEmployee(userName));
    const team = await okta.post('/Groups', group(`Interrupted delete ${id}`, [id]));
    const groupId = String(team.body.id);
    const groupVersion = (await t.storage.groups.get(TENANT, groupId))!.version;

    // The removal fails as if the engine went away after the mark and the relay.
    const fault = failNext(t.storage.users, 'remove');
    const response = await okta.delete(`/Users/${id}`);
    assert.ok(fault.fired);
    assert.equal(response.status, 204, `the mark is the delete: ${context(response)}`);
    assert.ok(await t.storage.users.deleting(TENANT, id), 'still stored, marked deleting');

    // Gone for every reader: by id, in lists and filters, as a member, and for every write.
    assertScimError(await okta.get(`/Users/${id}`), 404);
    assertScimError(await okta.put(`/Users/${id}`, salesEmployee(userName)), 404);
    assertScimError(await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'title', value: 'Ghost' })), 404);
    assertScimError(await okta.delete(`/Users/${id}`), 404);
    for (const filter of [`userName eq "${userName}"`, `id eq "${id}"`, `groups.value eq "${groupId}"`]) {
      const found = await okta.get(`/Users?filter=${encodeURIComponent(filter)}`);
      assert.equal(found.status, 200, context(found));
      assert.ok(!(found.body.Resources ?? []).some((resource: Body) => resource['id'] === id), `${filter}: ${context(found)}`);
    }
    const all = await okta.get('/Users?count=200');
    assert.ok(!(all.body.Resources as Body[]).some((resource) => resource['id'] === id));
    const members = await okta.get(`/Groups/${groupId}`);
    assert.deepEqual(members.body.members ?? [], [], 'the group lists no member being deleted');
    assertScimError(await okta.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: id }] })), 400);

    assert.ok((await sweep(t)) >= 1);
    assert.equal(await t.storage.users.deleting(TENANT, id), null, 'the sweep removed it');
    assert.equal((await deletions(id)).length, 1, 'exactly one tombstone');
    assert.equal(ofType(await eventsOf(t, id), 'user.deleted').length, 1);
    assert.equal((await leavingEvents(groupId, id)).length, 1);
    assert.ok((await t.storage.groups.get(TENANT, groupId))!.version > groupVersion, "the group's version changed");
    assert.equal(await sweep(t), 0, 'nothing left');
  });

  it('a group delete whose relay failed is gone for every reader; the sweep stores its tombstone once and its members and parent forget it', async () => {
    const memberId = await createUser(okta, employee(uniqueName('orphaned-member')));
    const doomed = await okta.post('/Groups', group(`Doomed ${memberId}`, [memberId]));
    const doomedId = String(doomed.body.id);
    const parent = await okta.post('/Groups', group(`Parent ${memberId}`, [doomedId]));
    const parentId = String(parent.body.id);

    const fault = failNext(t.storage.audit, 'append');
    const response = await okta.delete(`/Groups/${doomedId}`);
    assert.ok(fault.fired);
    assert.equal(response.status, 204, context(response));

    assertScimError(await okta.get(`/Groups/${doomedId}`), 404);
    assertScimError(await okta.delete(`/Groups/${doomedId}`), 404);
    assertScimError(await okta.patch(`/Groups/${doomedId}`, patchOp({ op: 'add', path: 'members', value: [{ value: memberId }] })), 404);
    const listed = await okta.get(`/Groups?filter=${encodeURIComponent(`displayName eq "Doomed ${memberId}"`)}`);
    assert.equal(listed.body.totalResults, 0, context(listed));
    assert.deepEqual((await okta.get(`/Users/${memberId}`)).body.groups ?? [], [], "the member's groups do not show it");
    assert.deepEqual((await okta.get(`/Groups/${parentId}`)).body.members ?? [], [], 'the parent does not list it');
    assert.equal((await deletions(doomedId)).length, 0, 'no tombstone until the relay stores it');

    assert.ok((await sweep(t)) >= 1);
    assert.equal(await t.storage.groups.deleting(TENANT, doomedId), null);
    assert.equal((await deletions(doomedId)).length, 1, 'exactly one tombstone');
    assert.equal(ofType(await eventsOf(t, doomedId), 'group.deleted').length, 1);
    assert.deepEqual((await t.storage.users.get(TENANT, memberId))!.groupIds, [], 'the member forgot it');
    const parentLeft = ofType(await eventsOf(t, parentId), 'group.members_changed').filter((event) => JSON.stringify(event.data['removed']) === JSON.stringify([{ value: doomedId, type: 'Group' }]));
    assert.equal(parentLeft.length, 1);
    assert.equal(parentLeft[0]!.data['reason'], 'group deleted');
  });
});
