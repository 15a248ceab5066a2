import assert from 'node:assert/strict';
import { assertScimError, startTestApp, type TestApp } from '../support/app.js';
import {
  bodyOf,
  createGroup,
  createUser,
  groupsOf,
  idOf,
  membersOf,
  storedGroupCount,
  storedGroupGroupIds,
  storedGroupVersion,
  storedMemberIds,
  storedUserGroupIds,
  storedUserVersion,
  versionOf,
} from './helpers.js';

describe('DELETE and membership (RFC 7644 §3.6)', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp('groups-delete');
  });

  after(() => t.close());

  describe('DELETE /Users/{id}', () => {
    it("removes the user from every group's members and changes those groups' meta.version", async () => {
      const leaver = await createUser(t, 'leaver@example.com');
      const stayer = await createUser(t, 'stayer@example.com');
      const groups = [await createGroup(t, 'Left Group A', [idOf(leaver), idOf(stayer)]), await createGroup(t, 'Left Group B', [idOf(leaver)])];
      const untouched = await createGroup(t, 'Unrelated Group', [idOf(stayer)]);
      const before = await Promise.all(groups.map((g) => t.scim.get(`/Groups/${idOf(g)}`)));
      const untouchedVersion = await storedGroupVersion(t, idOf(untouched));

      assert.equal((await t.scim.delete(`/Users/${idOf(leaver)}`)).status, 204);

      for (const [index, g] of groups.entries()) {
        const response = await t.scim.get(`/Groups/${idOf(g)}`);
        assert.equal(response.status, 200);
        assert.ok(!membersOf(bodyOf(response)).some((member) => member.value === idOf(leaver)), `${String(g['displayName'])}: leaver gone`);
        assert.notEqual(versionOf(bodyOf(response)), versionOf(bodyOf(before[index]!)), `${String(g['displayName'])}: version changed`);
        assert.equal(response.headers['etag'], versionOf(bodyOf(response)));
        assert.ok(!(await storedMemberIds(t, idOf(g))).includes(idOf(leaver)));
      }
      assert.deepEqual(await storedMemberIds(t, idOf(groups[0]!)), [idOf(stayer)]);
      assert.deepEqual(await storedMemberIds(t, idOf(groups[1]!)), []);
      assert.equal(await storedGroupVersion(t, idOf(untouched)), untouchedVersion, 'a group the user was not in is not rewritten');
    });

    it('invalidates a cached group representation (If-None-Match with the old ETag → 200)', async () => {
      const leaver = await createUser(t, 'cached-leaver@example.com');
      const g = await createGroup(t, 'Cached Group', [idOf(leaver)]);
      assert.equal((await t.scim.get(`/Groups/${idOf(g)}`).set('If-None-Match', versionOf(g))).status, 304);
      assert.equal((await t.scim.delete(`/Users/${idOf(leaver)}`)).status, 204);
      const response = await t.scim.get(`/Groups/${idOf(g)}`).set('If-None-Match', versionOf(g));
      assert.equal(response.status, 200);
      assert.deepEqual(membersOf(bodyOf(response)), []);
    });
  });

  describe('DELETE /Groups/{id}', () => {
    it('answers 204 with no body, after which GET answers 404 and nothing is stored', async () => {
      const g = await createGroup(t, 'Short Lived');
      const response = await t.scim.delete(`/Groups/${idOf(g)}`);
      assert.equal(response.status, 204);
      assert.equal(response.text ?? '', '');
      assertScimError(await t.scim.get(`/Groups/${idOf(g)}`), 404);
      assert.equal(await t.storage.groups.get(t.config.defaultTenant, idOf(g)), null);
    });

    it('answers 404 to deleting an unknown or already deleted group', async () => {
      const g = await createGroup(t, 'Deleted Twice');
      const count = await storedGroupCount(t);
      assert.equal((await t.scim.delete(`/Groups/${idOf(g)}`)).status, 204);
      for (const id of [idOf(g), '00000000-0000-4000-8000-000000000000']) {
        assertScimError(await t.scim.delete(`/Groups/${id}`), 404);
      }
      assert.equal(await storedGroupCount(t), count - 1);
    });

    it("removes the group from its former members' groups and changes their meta.version", async () => {
      const members = [await createUser(t, 'former-1@example.com'), await createUser(t, 'former-2@example.com')];
      const kept = await createGroup(t, 'Surviving Group', members.map(idOf));
      const doomed = await createGroup(t, 'Doomed Group', members.map(idOf));
      const before = await Promise.all(members.map((member) => t.scim.get(`/Users/${idOf(member)}`)));
      for (const response of before) assert.equal(groupsOf(bodyOf(response)).length, 2);

      assert.equal((await t.scim.delete(`/Groups/${idOf(doomed)}`)).status, 204);

      for (const [index, member] of members.entries()) {
        const response = await t.scim.get(`/Users/${idOf(member)}`);
        assert.equal(response.status, 200);
        assert.deepEqual(groupsOf(bodyOf(response)).map((ref) => ref.value), [idOf(kept)], `${String(member['userName'])}: only the surviving group`);
        assert.notEqual(versionOf(bodyOf(response)), versionOf(bodyOf(before[index]!)), `${String(member['userName'])}: version changed`);
        assert.deepEqual(await storedUserGroupIds(t, idOf(member)), [idOf(kept)]);
      }
    });

    it('removes a deleted parent group from the groupIds of a group nested in it', async () => {
      const u = await createUser(t, 'nested-member@example.com');
      const child = await createGroup(t, 'Nested Child', [idOf(u)]);
      const otherParent = await createGroup(t, 'Other Parent', [idOf(child)]);
      const parent = await createGroup(t, 'Deleted Parent', [idOf(child)]);
      const childVersion = await storedGroupVersion(t, idOf(child));
      assert.deepEqual(await storedGroupGroupIds(t, idOf(child)), [idOf(otherParent), idOf(parent)].sort());

      assert.equal((await t.scim.delete(`/Groups/${idOf(parent)}`)).status, 204);

      assert.deepEqual(await storedGroupGroupIds(t, idOf(child)), [idOf(otherParent)]);
      assert.ok((await storedGroupVersion(t, idOf(child))) > childVersion, "the child's version changed");
      const childResponse = await t.scim.get(`/Groups/${idOf(child)}`);
      assert.equal(childResponse.status, 200, 'the nested group itself survives');
      assert.deepEqual(membersOf(bodyOf(childResponse)).map((member) => member.value), [idOf(u)], 'with its own members intact');
      assert.deepEqual(await storedMemberIds(t, idOf(otherParent)), [idOf(child)]);
    });

    it("removes a deleted nested group from its parent's members and changes the parent's version", async () => {
      const child = await createGroup(t, 'Deleted Child');
      const sibling = await createUser(t, 'sibling@example.com');
      const parent = await createGroup(t, 'Surviving Parent', [idOf(child), idOf(sibling)]);
      const parentVersion = await storedGroupVersion(t, idOf(parent));

      assert.equal((await t.scim.delete(`/Groups/${idOf(child)}`)).status, 204);

      const response = await t.scim.get(`/Groups/${idOf(parent)}`);
      assert.deepEqual(membersOf(bodyOf(response)).map((member) => member.value), [idOf(sibling)]);
      assert.ok((await storedGroupVersion(t, idOf(parent))) > parentVersion, "the parent's version changed");
      assert.deepEqual(await storedMemberIds(t, idOf(parent)), [idOf(sibling)]);
    });

    it('keeps the users themselves: deleting a group deletes no member', async () => {
      const u = await createUser(t, 'survivor@example.com');
      const g = await createGroup(t, 'Gone Group', [idOf(u)]);
      const version = await storedUserVersion(t, idOf(u));
      assert.equal((await t.scim.delete(`/Groups/${idOf(g)}`)).status, 204);
      assert.equal((await t.scim.get(`/Users/${idOf(u)}`)).status, 200);
      assert.ok((await storedUserVersion(t, idOf(u))) > version);
    });

    it('lets a new group with the same name start with no members', async () => {
      const u = await createUser(t, 'reused-name-member@example.com');
      const g = await createGroup(t, 'Reused Name', [idOf(u)]);
      assert.equal((await t.scim.delete(`/Groups/${idOf(g)}`)).status, 204);
      const again = await createGroup(t, 'Reused Name');
      assert.notEqual(idOf(again), idOf(g));
      assert.deepEqual(membersOf(again), []);
      assert.deepEqual(await storedUserGroupIds(t, idOf(u)), []);
    });
  });
});
