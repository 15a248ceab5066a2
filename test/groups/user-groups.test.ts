import assert from 'node:assert/strict';
import { group, startTestApp, type TestApp, user } from '../support/app.js';
import {
  bodyOf,
  createGroup,
  createUser,
  groupsOf,
  idOf,
  sorted,
  storedUserGroupIds,
  storedUserVersion,
  versionOf,
  type Json,
} from './helpers.js';

describe('User.groups, derived from Group membership (RFC 7643 §4.1.2)', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp('groups-user-groups');
  });

  after(() => t.close());

  describe('GET /Users/{id}', () => {
    it('lists every group the user was added to, with value, $ref, display and type "direct"', async () => {
      const u = await createUser(t, 'two-groups@example.com');
      const red = await createGroup(t, 'Red Team', [idOf(u)]);
      const blue = await createGroup(t, 'Blue Team', [idOf(u)]);

      const response = await t.scim.get(`/Users/${idOf(u)}`);
      assert.equal(response.status, 200);
      const base = String((bodyOf(response)['meta'] as Json)['location']).replace(/\/Users\/[^/]+$/, '');
      const refs = new Map(groupsOf(bodyOf(response)).map((ref) => [ref.value, ref]));
      assert.equal(refs.size, 2);
      assert.deepEqual(refs.get(idOf(red)), { value: idOf(red), $ref: `${base}/Groups/${idOf(red)}`, display: 'Red Team', type: 'direct' });
      assert.deepEqual(refs.get(idOf(blue)), { value: idOf(blue), $ref: `${base}/Groups/${idOf(blue)}`, display: 'Blue Team', type: 'direct' });
      assert.deepEqual(await storedUserGroupIds(t, idOf(u)), sorted([idOf(red), idOf(blue)]));
    });

    it('has no groups (or an empty list) for a user in no group', async () => {
      const u = await createUser(t, 'loner@example.com');
      const response = await t.scim.get(`/Users/${idOf(u)}`);
      assert.equal(response.status, 200);
      assert.deepEqual(groupsOf(bodyOf(response)), []);
    });

    it('changes the user meta.version and ETag when a membership is added and when it is removed', async () => {
      const u = await createUser(t, 'versioned-member@example.com');
      const initial = versionOf(u);

      const g = await createGroup(t, 'Version Bumper', [idOf(u)]);
      const afterAdd = await t.scim.get(`/Users/${idOf(u)}`);
      assert.notEqual(versionOf(bodyOf(afterAdd)), initial, 'adding changed the version');
      assert.equal(afterAdd.headers['etag'], versionOf(bodyOf(afterAdd)));
      assert.equal(versionOf(bodyOf(afterAdd)), `W/"${await storedUserVersion(t, idOf(u))}"`);

      assert.equal((await t.scim.put(`/Groups/${idOf(g)}`).send(group('Version Bumper', []))).status, 200);
      const afterRemove = await t.scim.get(`/Users/${idOf(u)}`);
      assert.notEqual(versionOf(bodyOf(afterRemove)), versionOf(bodyOf(afterAdd)), 'removing changed the version');
      assert.deepEqual(groupsOf(bodyOf(afterRemove)), []);
    });

    it('no longer answers 304 to an If-None-Match ETag read before a membership change', async () => {
      const u = await createUser(t, 'cached-member@example.com');
      const etag = versionOf(u);
      assert.equal((await t.scim.get(`/Users/${idOf(u)}`).set('If-None-Match', etag)).status, 304);
      await createGroup(t, 'Cache Buster', [idOf(u)]);
      const response = await t.scim.get(`/Users/${idOf(u)}`).set('If-None-Match', etag);
      assert.equal(response.status, 200, 'the cached representation is stale: its groups changed');
      assert.equal(groupsOf(bodyOf(response)).length, 1);
    });

    it('keeps every membership when several groups add the same user concurrently', async () => {
      const u = await createUser(t, 'popular@example.com');
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, index) => t.scim.post('/Groups').send(group(`Concurrent ${index}`, [idOf(u)]))),
      );
      for (const response of responses) assert.equal(response.status, 201, JSON.stringify(response.body));
      const groupIds = responses.map((response) => idOf(bodyOf(response)));
      assert.deepEqual(await storedUserGroupIds(t, idOf(u)), sorted(groupIds));
      const read = await t.scim.get(`/Users/${idOf(u)}`);
      assert.deepEqual(sorted(groupsOf(bodyOf(read)).map((ref) => ref.value)), sorted(groupIds));
    });

    it('lists groups on GET /Users too (filter by userName)', async () => {
      const u = await createUser(t, 'listed-member@example.com');
      const g = await createGroup(t, 'Listed Group', [idOf(u)]);
      const response = await t.scim.get(`/Users?filter=${encodeURIComponent('userName eq "listed-member@example.com"')}`);
      assert.equal(response.status, 200);
      const [listed] = (bodyOf(response)['Resources'] as Json[]) ?? [];
      assert.ok(listed);
      assert.deepEqual(groupsOf(listed).map((ref) => [ref.value, ref.display, ref.type]), [[idOf(g), 'Listed Group', 'direct']]);
    });
  });

  describe('Group.members[].display follows the member (RFC 7643 §4.2)', () => {
    it("shows a member's new displayName after the user is replaced, and its userName once displayName is gone", async () => {
      const u = await createUser(t, 'renamed-member@example.com', { displayName: 'Before' });
      const g = await createGroup(t, 'Display Follows', [idOf(u)]);
      const displays: Array<[Json, string]> = [
        [{ displayName: 'After' }, 'After'],
        [{}, 'renamed-member@example.com'],
      ];
      for (const [extra, expected] of displays) {
        assert.equal((await t.scim.put(`/Users/${idOf(u)}`).send(user('renamed-member@example.com', extra))).status, 200);
        const response = await t.scim.get(`/Groups/${idOf(g)}`);
        assert.deepEqual(
          (bodyOf(response)['members'] as Json[]).map((member) => member['display']),
          [expected],
        );
      }
    });
  });

  describe('groups is readOnly (RFC 7643 §4.1.2): sent by a client, it is ignored', () => {
    it('ignores groups on POST /Users (Okta sends groups: [])', async () => {
      const g = await createGroup(t, 'Not Joinable By POST');
      const bodies: Array<[string, unknown[]]> = [
        ['an empty list', []],
        ['a real group', [{ value: idOf(g), display: 'Not Joinable By POST' }]],
      ];
      for (const [index, [label, groups]] of bodies.entries()) {
        const response = await t.scim.post('/Users').send(user(`post-groups-${index}@example.com`, { groups }));
        assert.equal(response.status, 201, `${label}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(groupsOf(bodyOf(response)), [], `${label}: no groups in the response`);
        assert.deepEqual(await storedUserGroupIds(t, idOf(bodyOf(response))), [], `${label}: no membership stored`);
        const stored = await t.storage.users.get(t.config.defaultTenant, idOf(bodyOf(response)));
        assert.equal(stored?.attributes['groups'], undefined, `${label}: groups not stored as an attribute`);
      }
      assert.deepEqual((await t.storage.memberships.membersOf(t.config.defaultTenant, idOf(g))).length, 0);
    });

    it('ignores groups on PUT /Users/{id}: sending none keeps memberships, sending others adds none', async () => {
      const u = await createUser(t, 'put-groups@example.com');
      const kept = await createGroup(t, 'Kept Membership', [idOf(u)]);
      const other = await createGroup(t, 'Not Joinable By PUT');
      const bodies: Array<[string, Json]> = [
        ['groups: []', { groups: [] }],
        ['no groups key', {}],
        ['another group', { groups: [{ value: idOf(other), display: 'Not Joinable By PUT', type: 'direct' }] }],
      ];
      for (const [label, extra] of bodies) {
        const response = await t.scim.put(`/Users/${idOf(u)}`).send(user('put-groups@example.com', extra));
        assert.equal(response.status, 200, `${label}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(groupsOf(bodyOf(response)).map((ref) => ref.value), [idOf(kept)], `${label}: response lists the real membership`);
        assert.deepEqual(await storedUserGroupIds(t, idOf(u)), [idOf(kept)], `${label}: stored membership unchanged`);
      }
      assert.deepEqual(await t.storage.memberships.membersOf(t.config.defaultTenant, idOf(other)), []);
    });
  });
});
