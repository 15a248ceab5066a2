import assert from 'node:assert/strict';
import { assertScimError, GROUP_SCHEMA, group, startTestApp, type TestApp } from '../support/app.js';
import {
  bodyOf,
  createGroup,
  createUser,
  groupsOf,
  idOf,
  membersOf,
  sorted,
  storedGroupVersion,
  storedMemberIds,
  storedUserGroupIds,
  storedUserVersion,
  versionOf,
  type Json,
} from './helpers.js';

describe('PUT /Groups/{id} (RFC 7644 §3.5.1)', () => {
  let t: TestApp;
  let ann: Json;
  let ben: Json;
  let cat: Json;
  let dan: Json;

  before(async () => {
    t = await startTestApp('groups-replace');
    ann = await createUser(t, 'ann@example.com');
    ben = await createUser(t, 'ben@example.com');
    cat = await createUser(t, 'cat@example.com');
    dan = await createUser(t, 'dan@example.com');
  });

  after(() => t.close());

  async function userGroupIdsOverHttp(userId: string): Promise<string[]> {
    const response = await t.scim.get(`/Users/${userId}`);
    assert.equal(response.status, 200);
    return sorted(groupsOf(bodyOf(response)).map((ref) => ref.value));
  }

  describe('replacing the member list', () => {
    it('removes members left out and adds members newly listed, updating both sides', async () => {
      const g = await createGroup(t, 'Replace Members', [idOf(ann), idOf(ben)]);
      const benVersion = await storedUserVersion(t, idOf(ben));

      const response = await t.scim.put(`/Groups/${idOf(g)}`).send(group('Replace Members', [idOf(ben), idOf(cat)]));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(sorted(membersOf(bodyOf(response)).map((member) => member.value)), sorted([idOf(ben), idOf(cat)]));

      assert.deepEqual(await storedMemberIds(t, idOf(g)), sorted([idOf(ben), idOf(cat)]));
      assert.ok(!(await storedUserGroupIds(t, idOf(ann))).includes(idOf(g)), 'ann was removed');
      assert.ok((await storedUserGroupIds(t, idOf(cat))).includes(idOf(g)), 'cat was added');
      assert.ok(!(await userGroupIdsOverHttp(idOf(ann))).includes(idOf(g)), "ann's groups no longer list the group");
      assert.ok((await userGroupIdsOverHttp(idOf(cat))).includes(idOf(g)), "cat's groups list the group");
      assert.ok((await userGroupIdsOverHttp(idOf(ben))).includes(idOf(g)), "ben's groups still list the group");
      assert.equal(await storedUserVersion(t, idOf(ben)), benVersion, 'ben, whose membership did not change, was not rewritten');
    });

    it('empties the group when members is []', async () => {
      const g = await createGroup(t, 'To Be Emptied', [idOf(ann), idOf(ben)]);
      const response = await t.scim.put(`/Groups/${idOf(g)}`).send(group('To Be Emptied', []));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(membersOf(bodyOf(response)), []);
      assert.deepEqual(await storedMemberIds(t, idOf(g)), []);
      for (const member of [ann, ben]) {
        assert.ok(!(await storedUserGroupIds(t, idOf(member))).includes(idOf(g)));
        assert.ok(!(await userGroupIdsOverHttp(idOf(member))).includes(idOf(g)));
      }
    });

    it('fills an empty group', async () => {
      const g = await createGroup(t, 'Initially Empty');
      const response = await t.scim.put(`/Groups/${idOf(g)}`).send(group('Initially Empty', [idOf(dan)]));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(membersOf(bodyOf(response)).map((member) => member.value), [idOf(dan)]);
      assert.deepEqual(await storedMemberIds(t, idOf(g)), [idOf(dan)]);
    });

    it('accepts a nested group as a member (type "Group")', async () => {
      const child = await createGroup(t, 'PUT Child');
      const parent = await createGroup(t, 'PUT Parent', [idOf(ann)]);
      const response = await t.scim.put(`/Groups/${idOf(parent)}`).send(group('PUT Parent', [idOf(ann), idOf(child)]));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const nested = membersOf(bodyOf(response)).find((member) => member.value === idOf(child));
      assert.equal(nested?.type, 'Group');
      assert.deepEqual((await t.storage.groups.get(t.config.defaultTenant, idOf(child)))?.groupIds, [idOf(parent)]);
    });

    it('treats re-sending the same members as a no-op for membership', async () => {
      const g = await createGroup(t, 'Same Members', [idOf(ann), idOf(ben)]);
      const versions = [await storedUserVersion(t, idOf(ann)), await storedUserVersion(t, idOf(ben))];
      const groupIds = [await storedUserGroupIds(t, idOf(ann)), await storedUserGroupIds(t, idOf(ben))];

      for (let round = 0; round < 2; round += 1) {
        const response = await t.scim.put(`/Groups/${idOf(g)}`).send(group('Same Members', [idOf(ben), idOf(ann), idOf(ann)]));
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.deepEqual(sorted(membersOf(bodyOf(response)).map((member) => member.value)), sorted([idOf(ann), idOf(ben)]));
      }
      assert.deepEqual(await storedMemberIds(t, idOf(g)), sorted([idOf(ann), idOf(ben)]));
      assert.deepEqual([await storedUserVersion(t, idOf(ann)), await storedUserVersion(t, idOf(ben))], versions, 'members were not rewritten');
      assert.deepEqual([await storedUserGroupIds(t, idOf(ann)), await storedUserGroupIds(t, idOf(ben))], groupIds);
    });

    it('accepts a whole representation sent back as read by GET (id, meta, member $ref/display/type), as Okta does', async () => {
      const g = await createGroup(t, 'Round Trip', [idOf(ann)]);
      const read = bodyOf(await t.scim.get(`/Groups/${idOf(g)}`));
      const members = [...membersOf(read), { value: idOf(cat), display: 'cat@example.com' }];
      const response = await t.scim.put(`/Groups/${idOf(g)}`).send({ ...read, displayName: 'Round Trip Renamed', members });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(bodyOf(response)['displayName'], 'Round Trip Renamed');
      assert.deepEqual(await storedMemberIds(t, idOf(g)), sorted([idOf(ann), idOf(cat)]));
    });
  });

  describe('replacing attributes', () => {
    it('renames the group; members see the new name in their groups[].display', async () => {
      const g = await createGroup(t, 'Before Rename', [idOf(dan)]);
      const response = await t.scim.put(`/Groups/${idOf(g)}`).send(group('After Rename', [idOf(dan)]));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(bodyOf(response)['displayName'], 'After Rename');
      assert.equal((await t.storage.groups.get(t.config.defaultTenant, idOf(g)))?.attributes['displayName'], 'After Rename');
      const dansRef = groupsOf(bodyOf(await t.scim.get(`/Users/${idOf(dan)}`))).find((ref) => ref.value === idOf(g));
      assert.equal(dansRef?.display, 'After Rename');
    });

    it('increments meta.version, returned as the ETag and stored', async () => {
      const g = await createGroup(t, 'Versioned', [idOf(ann)]);
      const before = await storedGroupVersion(t, idOf(g));
      const changes: Json[] = [group('Versioned', [idOf(ben)]), group('Versioned Renamed', [idOf(ben)]), group('Versioned Renamed', [])];
      let previous = before;
      for (const body of changes) {
        const response = await t.scim.put(`/Groups/${idOf(g)}`).send(body);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        const stored = await storedGroupVersion(t, idOf(g));
        assert.ok(stored > previous, `version went from ${previous} to ${stored}`);
        assert.equal(versionOf(bodyOf(response)), `W/"${stored}"`);
        assert.equal(response.headers['etag'], `W/"${stored}"`);
        assert.equal(response.headers['location'], undefined, 'Location is for 201 only');
        previous = stored;
      }
    });

    it('keeps id and meta.created', async () => {
      const g = await createGroup(t, 'Keeps Identity');
      const response = await t.scim.put(`/Groups/${idOf(g)}`).send({ ...group('Keeps Identity 2'), id: 'some-other-id' });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(bodyOf(response)['id'], idOf(g));
      assert.equal((bodyOf(response)['meta'] as Json)['created'], (g['meta'] as Json)['created']);
    });
  });

  describe('preconditions (RFC 7644 §3.14)', () => {
    it('answers 412 to a stale If-Match and changes nothing', async () => {
      const g = await createGroup(t, 'Stale Target', [idOf(ann)]);
      const staleEtag = versionOf(g);
      assert.equal((await t.scim.put(`/Groups/${idOf(g)}`).send(group('Stale Target', [idOf(ann), idOf(ben)]))).status, 200);
      const version = await storedGroupVersion(t, idOf(g));

      const response = await t.scim.put(`/Groups/${idOf(g)}`).set('If-Match', staleEtag).send(group('Stale Renamed', [idOf(cat)]));
      assertScimError(response, 412);
      const stored = await t.storage.groups.get(t.config.defaultTenant, idOf(g));
      assert.equal(stored?.attributes['displayName'], 'Stale Target');
      assert.equal(stored?.version, version);
      assert.deepEqual(await storedMemberIds(t, idOf(g)), sorted([idOf(ann), idOf(ben)]));
      assert.ok(!(await storedUserGroupIds(t, idOf(cat))).includes(idOf(g)));
    });

    it('lets only one of several concurrent PUTs carrying the same If-Match succeed; the others get 412', async () => {
      // A race shows up only sometimes, so several rounds are run.
      for (let round = 0; round < 5; round += 1) {
        const g = await createGroup(t, `Contended ${round}`, [idOf(ann)]);
        const etag = versionOf(g);
        const candidates = [ben, cat, dan];
        const responses = await Promise.all(
          candidates.map((member) => t.scim.put(`/Groups/${idOf(g)}`).set('If-Match', etag).send(group(`Contended ${round}`, [idOf(member)]))),
        );
        const statuses = responses.map((response) => response.status);
        assert.equal(statuses.filter((status) => status === 200).length, 1, `round ${round}, statuses: ${statuses.join(',')}`);
        for (const response of responses.filter((candidate) => candidate.status !== 200)) assertScimError(response, 412);
        const winner = candidates[statuses.indexOf(200)]!;
        assert.deepEqual(await storedMemberIds(t, idOf(g)), [idOf(winner)], `round ${round}`);
      }
    });

    it('leaves the member list of exactly one of several concurrent unconditional PUTs, never a mix', async () => {
      // A race shows up only sometimes, so several rounds are run.
      const lists = [[idOf(ben)], [idOf(cat)], [idOf(dan)], [idOf(ben), idOf(cat)]];
      for (let round = 0; round < 5; round += 1) {
        const g = await createGroup(t, `Last Writer ${round}`, [idOf(ann)]);
        const responses = await Promise.all(lists.map((memberIds) => t.scim.put(`/Groups/${idOf(g)}`).send(group(`Last Writer ${round}`, memberIds))));
        for (const response of responses) assert.equal(response.status, 200, JSON.stringify(response.body));
        const stored = await storedMemberIds(t, idOf(g));
        assert.ok(
          lists.some((memberIds) => JSON.stringify(sorted(memberIds)) === JSON.stringify(stored)),
          `round ${round}: stored members ${JSON.stringify(stored)} are none of the PUT bodies ${JSON.stringify(lists)}`,
        );
      }
    });

    it('applies a PUT whose If-Match names the current version', async () => {
      const g = await createGroup(t, 'Fresh Target', [idOf(ann)]);
      const response = await t.scim.put(`/Groups/${idOf(g)}`).set('If-Match', versionOf(g)).send(group('Fresh Target', [idOf(cat)]));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(await storedMemberIds(t, idOf(g)), [idOf(cat)]);
    });
  });

  describe('errors', () => {
    const ghost = '00000000-0000-4000-8000-00000000dead';

    it('answers 404 with a SCIM error for an unknown id', async () => {
      for (const id of [ghost, 'no-such-group']) {
        const response = await t.scim.put(`/Groups/${id}`).send(group('Nobody', [idOf(ann)]));
        assertScimError(response, 404);
        assert.equal(await t.storage.groups.get(t.config.defaultTenant, id), null);
      }
      assert.ok(!(await storedUserGroupIds(t, idOf(ann))).includes(ghost));
    });

    it('rejects members that do not exist with 400 invalidValue and changes nothing', async () => {
      const g = await createGroup(t, 'Guarded', [idOf(ann)]);
      const version = await storedGroupVersion(t, idOf(g));
      const memberLists: string[][] = [[ghost], [idOf(ben), ghost], [idOf(ann), 'not-an-id']];
      for (const memberIds of memberLists) {
        const response = await t.scim.put(`/Groups/${idOf(g)}`).send(group('Guarded Renamed', memberIds));
        assertScimError(response, 400, 'invalidValue');
        const stored = await t.storage.groups.get(t.config.defaultTenant, idOf(g));
        assert.equal(stored?.attributes['displayName'], 'Guarded', `${memberIds.join(',')}: not renamed`);
        assert.equal(stored?.version, version, `${memberIds.join(',')}: version unchanged`);
        assert.deepEqual(await storedMemberIds(t, idOf(g)), [idOf(ann)], `${memberIds.join(',')}: members unchanged`);
      }
      assert.ok(!(await storedUserGroupIds(t, idOf(ben))).includes(idOf(g)));
    });

    it('rejects a member whose value is missing or empty with 400 and changes nothing', async () => {
      const g = await createGroup(t, 'Empty Values', [idOf(ann)]);
      const badMembers: unknown[][] = [[{ display: 'no value' }], [{ value: '' }], [{ value: idOf(ben) }, { value: '' }]];
      for (const members of badMembers) {
        const response = await t.scim.put(`/Groups/${idOf(g)}`).send({ schemas: [GROUP_SCHEMA], displayName: 'Empty Values', members });
        assertScimError(response, 400);
        assert.deepEqual(await storedMemberIds(t, idOf(g)), [idOf(ann)]);
      }
    });

    it('rejects a group listing itself as a member with 400 invalidValue and changes nothing', async () => {
      const g = await createGroup(t, 'Narcissus', [idOf(ann)]);
      const version = await storedGroupVersion(t, idOf(g));
      const response = await t.scim.put(`/Groups/${idOf(g)}`).send(group('Narcissus', [idOf(ann), idOf(g)]));
      assertScimError(response, 400, 'invalidValue');
      assert.equal(await storedGroupVersion(t, idOf(g)), version);
      assert.deepEqual(await storedMemberIds(t, idOf(g)), [idOf(ann)]);
      assert.deepEqual((await t.storage.groups.get(t.config.defaultTenant, idOf(g)))?.groupIds, []);
    });

    it('rejects a body without displayName (required, RFC 7643 §4.2) with 400', async () => {
      const g = await createGroup(t, 'Needs A Name');
      const response = await t.scim.put(`/Groups/${idOf(g)}`).send({ schemas: [GROUP_SCHEMA], members: [] });
      assertScimError(response, 400);
      assert.equal((await t.storage.groups.get(t.config.defaultTenant, idOf(g)))?.attributes['displayName'], 'Needs A Name');
    });
  });
});
