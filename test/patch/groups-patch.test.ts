import assert from 'node:assert/strict';
import { assertScimError, startTestApp, type TestApp } from '../support/app.js';
import { createGroup, createUser, idOf } from '../groups/helpers.js';
import {
  assertGroup204,
  groupSnapshot,
  patchOp,
  sendPatch,
  sleep,
  sortedIds,
  storedGroup,
  storedMemberIds,
  storedUser,
  versionNumber,
  type Json,
  type Operation,
} from './helpers.js';

/**
 * PATCH /Groups/{id} end to end (RFC 7644 §3.5.2). Membership is stored on each member's `groupIds`,
 * so every membership assertion reads both the group's member list and the members themselves.
 */
describe('PATCH /Groups/{id} (RFC 7644 §3.5.2)', function () {
  let t: TestApp;
  let seq = 0;
  const users: string[] = [];

  before(async () => {
    t = await startTestApp('patch-groups');
    for (let index = 0; index < 8; index += 1) users.push(idOf(await createUser(t, `patch.member.${index}@example.com`, { displayName: `Member ${index}` })));
  });

  after(() => t.close());

  const u = (index: number): string => users[index] as string;

  async function freshGroup(memberIds: string[] = []): Promise<string> {
    seq += 1;
    return idOf(await createGroup(t, `Patch Group ${seq}`, memberIds));
  }

  /** PATCHes the group expecting 204 and a changed group; returns the stored member ids afterwards. */
  async function patchChanges(id: string, ...operations: Operation[]): Promise<string[]> {
    const before = await storedGroup(t, id);
    await sleep(3);
    const response = await sendPatch(t, `/Groups/${id}`, patchOp(...operations));
    const after = await assertGroup204(t, response, id);
    assert.ok(after.version > before.version, `version advanced (${before.version} → ${after.version})`);
    assert.ok(after.lastModified.getTime() > before.lastModified.getTime(), 'lastModified advanced');
    return storedMemberIds(t, id);
  }

  /** PATCHes expecting 204 with nothing stored changing (group record, members). */
  async function patchNoOp(id: string, ...operations: Operation[]): Promise<void> {
    const before = await groupSnapshot(t, id);
    const response = await sendPatch(t, `/Groups/${id}`, patchOp(...operations));
    await assertGroup204(t, response, id);
    assert.deepEqual(await groupSnapshot(t, id), before, 'nothing changed');
    assert.equal(versionNumber(response.headers['etag']), before.record.version);
  }

  async function userGroupIds(userId: string): Promise<string[]> {
    return sortedIds((await storedUser(t, userId)).groupIds);
  }

  describe('response: 204 by default, 200 + resource when attributes are asked for', () => {
    it('answers 204 with an ETag and no body', async () => {
      const id = await freshGroup();
      const response = await sendPatch(t, `/Groups/${id}`, patchOp({ op: 'replace', path: 'displayName', value: `Renamed ${id}` }));
      const stored = await assertGroup204(t, response, id);
      assert.equal(stored.attributes['displayName'], `Renamed ${id}`);
    });

    it('?attributes=members → 200 with members (and id), ETag = meta.version', async () => {
      const id = await freshGroup([u(0)]);
      const response = await sendPatch(t, `/Groups/${id}?attributes=members`, patchOp({ op: 'add', path: 'members', value: [{ value: u(1) }] }));
      assert.equal(response.status, 200, response.text);
      assert.match(String(response.headers['content-type']), /^application\/scim\+json/);
      const body = response.body as Json;
      assert.equal(body['id'], id);
      assert.deepEqual(sortedIds((body['members'] as Json[]).map((member) => member['value'])), sortedIds([u(0), u(1)]));
      for (const member of body['members'] as Json[]) assert.equal(member['type'], 'User');
      assert.equal('displayName' in body, false, 'only the asked-for attributes');
      const stored = await storedGroup(t, id);
      assert.equal(response.headers['etag'], `W/"${stored.version}"`);
      assert.deepEqual(await storedMemberIds(t, id), sortedIds([u(0), u(1)]));
    });

    it('?excludedAttributes=members (Entra) → 200 with the group but no members', async () => {
      const id = await freshGroup([u(0)]);
      const response = await sendPatch(t, `/Groups/${id}?excludedAttributes=members`, patchOp({ op: 'Replace', path: 'displayName', value: `Entra ${id}` }));
      assert.equal(response.status, 200, response.text);
      const body = response.body as Json;
      assert.equal(body['displayName'], `Entra ${id}`);
      assert.equal('members' in body, false);
      const stored = await storedGroup(t, id);
      assert.equal(response.headers['etag'], body['meta']['version']);
      assert.equal(body['meta']['version'], `W/"${stored.version}"`);
      assert.deepEqual(await storedMemberIds(t, id), [u(0)]);
    });
  });

  describe('§3.5.2.3 replace of attributes', () => {
    it('Okta rename: {"op":"replace","value":{"id":"<gid>","displayName":"New"}}', async () => {
      const id = await freshGroup([u(0)]);
      await patchChanges(id, { op: 'replace', value: { id, displayName: `Okta New ${id}` } });
      const stored = await storedGroup(t, id);
      assert.equal(stored.attributes['displayName'], `Okta New ${id}`);
      assert.equal(stored.id, id);
      assert.deepEqual(await storedMemberIds(t, id), [u(0)], 'members untouched');
      // The member's groups show the new display name.
      const member = await t.scim.get(`/Users/${u(0)}`);
      assert.equal((member.body.groups as Json[]).find((ref) => ref['value'] === id)?.['display'], `Okta New ${id}`);
    });

    it('Entra: Replace displayName by path', async () => {
      const id = await freshGroup();
      await patchChanges(id, { op: 'Replace', path: 'displayName', value: `Entra Renamed ${id}` });
      assert.equal((await storedGroup(t, id)).attributes['displayName'], `Entra Renamed ${id}`);
    });

    it('externalId add and remove', async () => {
      const id = await freshGroup();
      await patchChanges(id, { op: 'add', path: 'externalId', value: `ext-${id}` });
      assert.equal((await storedGroup(t, id)).attributes['externalId'], `ext-${id}`);
      await patchChanges(id, { op: 'remove', path: 'externalId' });
      assert.equal('externalId' in (await storedGroup(t, id)).attributes, false);
    });

    it('a rename to the current name is a no-op (204, version unchanged)', async () => {
      const id = await freshGroup();
      const name = (await storedGroup(t, id)).attributes['displayName'];
      await patchNoOp(id, { op: 'replace', value: { id, displayName: name } });
    });
  });

  describe('§3.5.2.1 add members', () => {
    it('adds one member; the group and the user both change version, the user lists the group', async () => {
      const id = await freshGroup();
      const userBefore = await storedUser(t, u(0));
      assert.deepEqual(await patchChanges(id, { op: 'add', path: 'members', value: [{ value: u(0) }] }), [u(0)]);
      const userAfter = await storedUser(t, u(0));
      assert.ok(userAfter.groupIds.includes(id));
      assert.ok(userAfter.version > userBefore.version, 'the member\'s version changed');
      const read = await t.scim.get(`/Users/${u(0)}`);
      const ref = (read.body.groups as Json[]).find((group) => group['value'] === id);
      assert.ok(ref, 'GET /Users shows the group');
      assert.equal(ref['display'], (await storedGroup(t, id)).attributes['displayName']);
      assert.equal(read.headers['etag'], `W/"${userAfter.version}"`);
      const group = await t.scim.get(`/Groups/${id}`);
      assert.deepEqual((group.body.members as Json[]).map((member) => member['value']), [u(0)]);
    });

    it('adds many members in one operation', async () => {
      const id = await freshGroup();
      const members = await patchChanges(id, { op: 'add', path: 'members', value: [u(1), u(2), u(3)].map((value) => ({ value })) });
      assert.deepEqual(members, sortedIds([u(1), u(2), u(3)]));
      for (const member of [u(1), u(2), u(3)]) assert.ok((await userGroupIds(member)).includes(id));
    });

    it('adds many members in many operations of one request', async () => {
      const id = await freshGroup([u(0)]);
      const members = await patchChanges(
        id,
        { op: 'add', path: 'members', value: [{ value: u(1) }] },
        { op: 'Add', path: 'members', value: [{ $ref: null, value: u(2) }] },
        { op: 'add', path: 'members', value: [{ value: u(3), display: 'Member 3' }] },
      );
      assert.deepEqual(members, sortedIds([u(0), u(1), u(2), u(3)]));
    });

    it('Okta membership push: rename + remove by filter + add, in one request', async () => {
      const id = await freshGroup([u(0), u(1)]);
      const members = await patchChanges(
        id,
        { op: 'replace', value: { id, displayName: `Pushed ${id}` } },
        { op: 'remove', path: `members[value eq "${u(0)}"]` },
        { op: 'add', path: 'members', value: [{ value: u(2), display: 'patch.member.2@example.com' }, { value: u(3), display: 'patch.member.3@example.com' }] },
      );
      assert.deepEqual(members, sortedIds([u(1), u(2), u(3)]));
      assert.equal((await storedGroup(t, id)).attributes['displayName'], `Pushed ${id}`);
      assert.equal((await userGroupIds(u(0))).includes(id), false);
    });

    it('re-adding an existing member is a no-op: 204, no duplicate, never 409, version unchanged', async () => {
      const id = await freshGroup([u(0)]);
      const userBefore = await storedUser(t, u(0));
      await patchNoOp(id, { op: 'add', path: 'members', value: [{ value: u(0) }] });
      await patchNoOp(id, { op: 'add', value: { members: [{ value: u(0) }] } });
      assert.deepEqual(await storedUser(t, u(0)), userBefore, 'the member is unchanged');
      const group = await t.scim.get(`/Groups/${id}`);
      assert.equal((group.body.members as Json[]).length, 1);
    });

    it('the same member twice in one request is added once', async () => {
      const id = await freshGroup();
      const members = await patchChanges(
        id,
        { op: 'add', path: 'members', value: [{ value: u(4) }, { value: u(4) }] },
        { op: 'add', path: 'members', value: [{ value: u(4) }] },
      );
      assert.deepEqual(members, [u(4)]);
      assert.equal((await storedUser(t, u(4))).groupIds.filter((groupId) => groupId === id).length, 1);
    });

    it('path-less {"members":[...]} add', async () => {
      const id = await freshGroup([u(0)]);
      assert.deepEqual(await patchChanges(id, { op: 'add', value: { members: [{ value: u(5) }] } }), sortedIds([u(0), u(5)]));
    });

    it('a group can be added as a member (type Group) and lists the parent', async () => {
      const parent = await freshGroup();
      const child = await freshGroup();
      assert.deepEqual(await patchChanges(parent, { op: 'add', path: 'members', value: [{ value: child, type: 'Group' }] }), [child]);
      assert.deepEqual((await storedGroup(t, child)).groupIds, [parent]);
      const read = await t.scim.get(`/Groups/${parent}`);
      assert.equal((read.body.members as Json[])[0]?.['type'], 'Group');
    });
  });

  describe('§3.5.2.2 remove members', () => {
    it('removes by members[value eq "x"] (Okta, Entra aadOptscim062020)', async () => {
      const id = await freshGroup([u(0), u(1)]);
      const userBefore = await storedUser(t, u(0));
      assert.deepEqual(await patchChanges(id, { op: 'remove', path: `members[value eq "${u(0)}"]` }), [u(1)]);
      const userAfter = await storedUser(t, u(0));
      assert.equal(userAfter.groupIds.includes(id), false);
      assert.ok(userAfter.version > userBefore.version, 'the removed member changed version');
      const read = await t.scim.get(`/Users/${u(0)}`);
      assert.equal(((read.body.groups ?? []) as Json[]).some((ref) => ref['value'] === id), false);
    });

    it('removes several by members[value eq "a" or value eq "b"]', async () => {
      const id = await freshGroup([u(0), u(1), u(2)]);
      assert.deepEqual(await patchChanges(id, { op: 'remove', path: `members[value eq "${u(0)}" or value eq "${u(2)}"]` }), [u(1)]);
    });

    it('Entra: {"op":"Remove","path":"members","value":[{"value":"u1"}]}', async () => {
      const id = await freshGroup([u(0), u(1), u(2)]);
      assert.deepEqual(await patchChanges(id, { op: 'Remove', path: 'members', value: [{ value: u(1) }, { value: u(2) }] }), [u(0)]);
      assert.equal((await userGroupIds(u(1))).includes(id), false);
      assert.equal((await userGroupIds(u(2))).includes(id), false);
    });

    it('removes all members with path "members" and no value', async () => {
      const id = await freshGroup([u(0), u(1), u(2)]);
      assert.deepEqual(await patchChanges(id, { op: 'remove', path: 'members' }), []);
      for (const member of [u(0), u(1), u(2)]) assert.equal((await userGroupIds(member)).includes(id), false);
      const read = await t.scim.get(`/Groups/${id}`);
      assert.deepEqual(read.body.members ?? [], []);
    });

    it('removes by a filter that is not value eq (display)', async () => {
      const id = await freshGroup([u(0), u(1)]);
      assert.deepEqual(await patchChanges(id, { op: 'remove', path: `members[display eq "Member 1"]` }), [u(0)]);
    });

    it('Okta: removing a member that is not (or no longer) in the group is a no-op', async () => {
      const id = await freshGroup([u(0)]);
      await patchNoOp(id, { op: 'remove', path: `members[value eq "${u(3)}"]` });
      await patchNoOp(id, { op: 'remove', path: 'members[value eq "00000000-0000-0000-0000-000000000000"]' });
      assert.deepEqual(await storedMemberIds(t, id), [u(0)]);
    });
  });

  describe('§3.5.2.3 replace members', () => {
    it('replace members with a list makes the list exactly that', async () => {
      const id = await freshGroup([u(0), u(1)]);
      assert.deepEqual(await patchChanges(id, { op: 'replace', path: 'members', value: [{ value: u(1) }, { value: u(2) }] }), sortedIds([u(1), u(2)]));
      assert.equal((await userGroupIds(u(0))).includes(id), false);
      assert.ok((await userGroupIds(u(1))).includes(id));
      assert.ok((await userGroupIds(u(2))).includes(id));
    });

    it('replace members with [] empties the group', async () => {
      const id = await freshGroup([u(0), u(1)]);
      assert.deepEqual(await patchChanges(id, { op: 'replace', path: 'members', value: [] }), []);
      assert.equal((await userGroupIds(u(0))).includes(id), false);
    });

    it('path-less {"members":[...]} replace, together with displayName', async () => {
      const id = await freshGroup([u(0), u(1)]);
      assert.deepEqual(await patchChanges(id, { op: 'replace', value: { displayName: `Replaced ${id}`, members: [{ value: u(3) }] } }), [u(3)]);
      assert.equal((await storedGroup(t, id)).attributes['displayName'], `Replaced ${id}`);
    });

    it('path-less {"members":[]} replace empties the group', async () => {
      const id = await freshGroup([u(0), u(1)]);
      assert.deepEqual(await patchChanges(id, { op: 'replace', value: { members: [] } }), []);
    });
  });

  describe('invalid members change nothing at all', () => {
    const MISSING = '11111111-2222-3333-4444-555555555555';

    async function assertRejectedUnchanged(id: string, operations: Operation[], scimType: string, watched: string[]): Promise<void> {
      const before = await groupSnapshot(t, id);
      const membersBefore = await Promise.all(watched.map((member) => storedUser(t, member)));
      const response = await sendPatch(t, `/Groups/${id}`, patchOp(...operations));
      assertScimError(response, 400, scimType);
      assert.deepEqual(await groupSnapshot(t, id), before, 'the group and its members are unchanged');
      assert.deepEqual(await Promise.all(watched.map((member) => storedUser(t, member))), membersBefore, 'no user changed');
    }

    it('a nonexistent member id → 400 invalidValue; neither the other members nor displayName change', async () => {
      const id = await freshGroup([u(0)]);
      await assertRejectedUnchanged(
        id,
        [
          { op: 'replace', path: 'displayName', value: `Must Not Rename ${id}` },
          { op: 'add', path: 'members', value: [{ value: u(1) }] },
          { op: 'add', path: 'members', value: [{ value: u(2) }, { value: MISSING }] },
          { op: 'remove', path: `members[value eq "${u(0)}"]` },
        ],
        'invalidValue',
        [u(0), u(1), u(2)],
      );
    });

    it('Okta path-less rename + members with a nonexistent id → 400, nothing changed', async () => {
      const id = await freshGroup([u(0)]);
      await assertRejectedUnchanged(
        id,
        [{ op: 'replace', value: { id, displayName: `Nope ${id}`, members: [{ value: u(1) }, { value: MISSING }] } }],
        'invalidValue',
        [u(0), u(1)],
      );
    });

    it('a nonexistent member in a replace → 400, the old members stay', async () => {
      const id = await freshGroup([u(0), u(1)]);
      await assertRejectedUnchanged(id, [{ op: 'replace', path: 'members', value: [{ value: u(2) }, { value: MISSING }] }], 'invalidValue', [u(0), u(1), u(2)]);
    });

    it('the group as its own member → 400 invalidValue, nothing changed', async () => {
      const id = await freshGroup([u(0)]);
      await assertRejectedUnchanged(
        id,
        [
          { op: 'replace', path: 'displayName', value: `Self ${id}` },
          { op: 'add', path: 'members', value: [{ value: u(1) }, { value: id }] },
        ],
        'invalidValue',
        [u(0), u(1)],
      );
      assert.deepEqual((await storedGroup(t, id)).groupIds, []);
    });

    it('a member without a value → 400 invalidValue, nothing changed', async () => {
      const id = await freshGroup([u(0)]);
      await assertRejectedUnchanged(id, [{ op: 'add', path: 'members', value: [{ value: u(1) }, { display: 'no id' }] }], 'invalidValue', [u(0), u(1)]);
    });
  });

  describe('unknown group and preconditions', () => {
    it('unknown id → 404 with a SCIM error', async () => {
      const response = await sendPatch(t, '/Groups/00000000-0000-0000-0000-000000000404', patchOp({ op: 'add', path: 'members', value: [{ value: u(0) }] }));
      assertScimError(response, 404);
      assert.equal((await userGroupIds(u(0))).includes('00000000-0000-0000-0000-000000000404'), false);
    });

    it('If-Match stale → 412 and nothing changed; current → 204', async () => {
      const id = await freshGroup([u(0)]);
      const before = await groupSnapshot(t, id);
      const stale = `W/"${before.record.version - 1}"`;
      const operations = [
        { op: 'replace', path: 'displayName', value: `Conditional ${id}` },
        { op: 'add', path: 'members', value: [{ value: u(1) }] },
      ];
      assertScimError(await sendPatch(t, `/Groups/${id}`, patchOp(...operations), stale), 412);
      assert.deepEqual(await groupSnapshot(t, id), before);
      assert.equal((await userGroupIds(u(1))).includes(id), false);

      const current = `W/"${before.record.version}"`;
      const response = await sendPatch(t, `/Groups/${id}`, patchOp(...operations), current);
      await assertGroup204(t, response, id);
      assert.equal((await storedGroup(t, id)).attributes['displayName'], `Conditional ${id}`);
      assert.deepEqual(await storedMemberIds(t, id), sortedIds([u(0), u(1)]));
    });
  });
});
