import assert from 'node:assert/strict';
import { assertScimError, GROUP_SCHEMA, startTestApp, USER_SCHEMA, type TestApp } from '../support/app.js';
import {
  assertEmptyList,
  context,
  expectStatus,
  listOf,
  oktaClient,
  patchOp,
  qs,
  sortedIds,
  storedGroup,
  storedMemberIds,
  seedUsers,
  storedUser,
  type Body,
  type Client,
} from './interop-helpers.js';

/**
 * Okta Group Push: create, then membership pushes that always repeat the rename, in every shape the
 * notes list; a 500-member push; an AIW app's PUT; delete. After every step the stored member list
 * (memberships.membersOf) and the members' own groupIds are checked.
 */
describe('interop: Okta group push (create → rename+membership PATCHes → 500-member push → PUT → DELETE)', () => {
  let t: TestApp;
  let okta: Client;
  /** Five users assigned to the app, in creation order. */
  let u: string[] = [];
  const names = ['alice', 'bob', 'carol', 'dave', 'erin'];
  let groupId: string;
  /** 500 more users for the large push. */
  const bulkUsers: string[] = [];
  let displayName = 'Okta Engineering';

  const userName = (name: string) => `${name}@okta-push.example.com`;
  const member = (index: number) => ({ value: u[index]!, display: userName(names[index]!) });

  async function expectMembers(expected: string[]): Promise<void> {
    assert.deepEqual(await storedMemberIds(t, groupId), sortedIds(expected), 'stored member list');
    for (const id of u) {
      const record = await storedUser(t, id);
      assert.ok(record, `user ${id} is stored`);
      assert.equal(record.groupIds.includes(groupId), expected.includes(id), `groupIds of user ${id}`);
    }
  }

  /** Okta repeats the rename on every membership push. */
  const rename = () => ({ op: 'replace', value: { id: groupId, displayName } });

  before(async function () {
    this.timeout(120_000);
    t = await startTestApp('interop-okta-group-push');
    okta = oktaClient(t);
    for (const name of names) {
      const response = await okta.post('/Users', { schemas: [USER_SCHEMA], userName: userName(name), name: { givenName: name, familyName: 'Push' }, groups: [], active: true });
      assert.equal(response.status, 201, context(response));
      u.push(String(response.body['id']));
    }
    // 500 more users that exist in the application, for the large push.
    bulkUsers.push(...(await seedUsers(t, Array.from({ length: 500 }, (_, n) => `bulk.${String(n).padStart(3, '0')}@okta-push.example.com`))));
  });

  after(async () => {
    await t.close();
  });

  it('looks the group up by displayName (absent → empty), then POST /Groups {displayName, members: []} → 201', async () => {
    assertEmptyList(listOf(await okta.get(`/Groups${qs({ filter: `displayName eq "${displayName}"`, startIndex: 1, count: 100 })}`)));
    const response = await okta.post('/Groups', { schemas: [GROUP_SCHEMA], displayName, members: [] });
    assert.equal(response.status, 201, context(response));
    groupId = String(response.body['id']);
    assert.ok(groupId);
    assert.equal(response.body['displayName'], displayName);
    assert.deepEqual(response.body['members'] ?? [], []);
    assert.deepEqual(response.body['schemas'], [GROUP_SCHEMA]);
    assert.equal(response.body['meta']?.['resourceType'], 'Group');
    assert.ok(String(response.headers['location']).endsWith(`/Groups/${groupId}`));
    const stored = await storedGroup(t, groupId);
    assert.equal(stored?.attributes['displayName'], displayName);
    await expectMembers([]);
  });

  it('rename {"op":"replace","value":{"id","displayName"}} together with an add of two members in one PATCH', async () => {
    displayName = 'Okta Engineering (renamed)';
    const response = await okta.patch(`/Groups/${groupId}`, patchOp(rename(), { op: 'add', path: 'members', value: [member(0), member(1)] }));
    expectStatus(response, 200, 204);
    assert.equal((await storedGroup(t, groupId))?.attributes['displayName'], displayName);
    await expectMembers([u[0]!, u[1]!]);
    // The users' groups show the new name.
    const alice = await okta.get(`/Users/${u[0]}`);
    assert.deepEqual(alice.body['groups']?.map((g: Body) => [g['value'], g['display']]), [[groupId, displayName]]);
  });

  it('remove members[value eq "<uid>"] and add another member in ONE request (with the repeated rename)', async () => {
    const response = await okta.patch(
      `/Groups/${groupId}`,
      patchOp(rename(), { op: 'remove', path: `members[value eq "${u[0]}"]` }, { op: 'add', path: 'members', value: [member(2)] }),
    );
    expectStatus(response, 200, 204);
    await expectMembers([u[1]!, u[2]!]);
    assert.equal((await storedGroup(t, groupId))?.attributes['displayName'], displayName);
    const alice = await okta.get(`/Users/${u[0]}`);
    assert.equal(alice.status, 200);
    assert.ok(alice.body['groups'] === undefined || alice.body['groups'].length === 0, JSON.stringify(alice.body['groups']));
  });

  it('removing a member that is already gone, and re-adding a present one, succeed without changes', async () => {
    const response = await okta.patch(
      `/Groups/${groupId}`,
      patchOp(rename(), { op: 'remove', path: `members[value eq "${u[0]}"]` }, { op: 'add', path: 'members', value: [member(1)] }),
    );
    expectStatus(response, 200, 204);
    await expectMembers([u[1]!, u[2]!]);
  });

  it('replace of the full members list', async () => {
    const response = await okta.patch(`/Groups/${groupId}`, patchOp(rename(), { op: 'replace', path: 'members', value: [member(0), member(3)] }));
    expectStatus(response, 200, 204);
    await expectMembers([u[0]!, u[3]!]);
  });

  it('replace with [] empties the group', async () => {
    const response = await okta.patch(`/Groups/${groupId}`, patchOp(rename(), { op: 'replace', path: 'members', value: [] }));
    expectStatus(response, 200, 204);
    await expectMembers([]);
    const got = await okta.get(`/Groups/${groupId}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body['members'] ?? [], []);
  });

  it('path-less {"op":"add","value":{"members":[…]}} adds, path-less replace sets the list', async () => {
    let response = await okta.patch(`/Groups/${groupId}`, patchOp({ op: 'add', value: { members: [member(4), member(1)] } }));
    expectStatus(response, 200, 204);
    await expectMembers([u[1]!, u[4]!]);

    response = await okta.patch(`/Groups/${groupId}`, patchOp({ op: 'replace', value: { id: groupId, displayName, members: [member(2)] } }));
    expectStatus(response, 200, 204);
    await expectMembers([u[2]!]);
    assert.equal((await storedGroup(t, groupId))?.attributes['displayName'], displayName);
  });

  it('an AIW app\'s PUT /Groups/{id} with the full member list → 200 with exactly those members', async () => {
    const got = await okta.get(`/Groups/${groupId}`);
    assert.equal(got.status, 200, context(got));
    const response = await okta.put(`/Groups/${groupId}`, { ...got.body, members: [member(0), member(1), member(3)] });
    assert.equal(response.status, 200, context(response));
    assert.equal(response.body['id'], groupId);
    assert.equal(response.body['displayName'], displayName);
    assert.deepEqual(sortedIds(response.body['members'].map((m: Body) => String(m['value']))), sortedIds([u[0]!, u[1]!, u[3]!]));
    await expectMembers([u[0]!, u[1]!, u[3]!]);
  });

  it('DELETE /Groups/{id} → 204; the group is gone and no user lists it any more', async () => {
    const response = await okta.delete(`/Groups/${groupId}`);
    assert.equal(response.status, 204, context(response));
    assert.equal(response.text, '');
    assert.equal(await storedGroup(t, groupId), null);
    assertScimError(await okta.get(`/Groups/${groupId}`), 404);
    for (const id of u) {
      assert.deepEqual((await storedUser(t, id))?.groupIds, [], `user ${id} still lists the deleted group`);
      const got = await okta.get(`/Users/${id}`);
      assert.equal(got.status, 200);
      assert.ok(got.body['groups'] === undefined || got.body['groups'].length === 0, JSON.stringify(got.body['groups']));
    }
    assertEmptyList(listOf(await okta.get(`/Groups${qs({ filter: `displayName eq "${displayName}"`, startIndex: 1, count: 100 })}`)));
  });

  // A second pushed group with 500 members. Okta gives up on a PATCH after 60 s, and so does the
  // request below; the server may still finish the change later, as it would with Okta.
  const OKTA_TIMEOUT_MS = 60_000;
  let bigGroupId: string;
  const bigName = 'Okta All Staff';
  const bigRename = () => ({ op: 'replace', value: { id: bigGroupId, displayName: bigName } });

  async function oktaPatch(path: string, body: Body): Promise<{ response: Awaited<ReturnType<Client['patch']>>; elapsed: number }> {
    const started = Date.now();
    try {
      const response = await okta.patch(path, body).timeout(OKTA_TIMEOUT_MS);
      return { response, elapsed: Date.now() - started };
    } catch (error) {
      return assert.fail(`no response within Okta's ${OKTA_TIMEOUT_MS / 1000} s timeout (${(error as Error).message})`);
    }
  }

  it('large push: one PATCH adding 500 members (with the rename) answers within Okta\'s 60 s', async function () {
    this.timeout(OKTA_TIMEOUT_MS + 30_000);
    const created = await okta.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: bigName, members: [] });
    assert.equal(created.status, 201, context(created));
    bigGroupId = String(created.body['id']);
    const value = bulkUsers.map((id, index) => ({ value: id, display: `bulk.${String(index).padStart(3, '0')}@okta-push.example.com` }));
    const { response } = await oktaPatch(`/Groups/${bigGroupId}`, patchOp(bigRename(), { op: 'add', path: 'members', value }));
    expectStatus(response, 200, 204);
    assert.deepEqual(await storedMemberIds(t, bigGroupId), sortedIds(bulkUsers));
    assert.deepEqual((await storedUser(t, bulkUsers[499]!))?.groupIds, [bigGroupId]);
  });

  it('large push: one PATCH with 250 remove operations (members[value eq …]) answers within 60 s', async function () {
    this.timeout(OKTA_TIMEOUT_MS + 30_000);
    // Only meaningful once the 500 adds are in (the previous step may have timed out).
    if (bigGroupId === undefined || (await storedMemberIds(t, bigGroupId)).length !== 500) this.skip();
    const removed = bulkUsers.slice(0, 250);
    const { response } = await oktaPatch(`/Groups/${bigGroupId}`, patchOp(bigRename(), ...removed.map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` }))));
    expectStatus(response, 200, 204);
    assert.deepEqual(await storedMemberIds(t, bigGroupId), sortedIds(bulkUsers.slice(250)));
    assert.deepEqual((await storedUser(t, removed[0]!))?.groupIds, []);
  });
});
