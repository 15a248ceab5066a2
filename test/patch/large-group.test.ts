import assert from 'node:assert/strict';
import type { MembershipStore } from '../../src/store/contract.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createGroup, createUser, idOf } from '../groups/helpers.js';
import { assertGroup204, inBatches, patchOp, sendPatch, sortedIds, storedGroup, storedMemberIds, storedUser, type Json } from './helpers.js';

/**
 * A membership PATCH on a large group must not need the group's member list (Okta pushes 100–1000
 * changes at a time and gives up after 60 s; other servers that loaded the list timed out). This is
 * a functional check, not a timing one: membersOf is observed (passed through unchanged) while the
 * PATCH runs, and the other members must be intact afterwards.
 */
describe('membership PATCH on a 300-member group (cost independent of group size)', function () {
  this.timeout(300_000);
  let t: TestApp;
  let groupId: string;
  let memberIds: string[];
  let extraIds: string[];

  before(async function () {
    this.timeout(900_000);
    t = await startTestApp('patch-large-group');
    // Sequentially: on FerretDB, parallel creation is slower per user than one at a time.
    memberIds = await inBatches(Array.from({ length: 300 }, (_, index) => index), 1, async (index) => idOf(await createUser(t, `large.member.${index}@example.com`)));
    extraIds = await inBatches([0, 1, 2], 3, async (index) => idOf(await createUser(t, `large.extra.${index}@example.com`)));
    groupId = idOf(await createGroup(t, 'Three Hundred', memberIds));
    assert.equal((await storedMemberIds(t, groupId)).length, 300);
  });

  after(() => t.close());

  /** Counts membersOf calls made while `work` runs; the real implementation still answers them. */
  async function countingMembersOf<T>(work: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
    const memberships = t.storage.memberships as MembershipStore;
    const original = memberships.membersOf;
    const calls: string[] = [];
    memberships.membersOf = (tenant, id) => {
      calls.push(id);
      return original.call(memberships, tenant, id);
    };
    try {
      return { result: await work(), calls };
    } finally {
      memberships.membersOf = original;
    }
  }

  it('adding one member answers 204 with no body, without loading the member list; the 300 stay', async () => {
    const before = await storedGroup(t, groupId);
    const { result: response, calls } = await countingMembersOf(() =>
      sendPatch(t, `/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: extraIds[0] }] })),
    );
    const after = await assertGroup204(t, response, groupId);
    assert.ok(after.version > before.version);
    assert.deepEqual(await storedMemberIds(t, groupId), sortedIds([...memberIds, extraIds[0] as string]), 'the 300 are intact and the new one is in');
    assert.deepEqual((await storedUser(t, extraIds[0] as string)).groupIds, [groupId]);
    assert.deepEqual(calls, [], 'the member list was loaded for a PATCH that neither returns nor needs it');
  });

  it('removing one member by members[value eq] answers 204 without loading the member list; the others stay', async () => {
    const removed = memberIds[150] as string;
    const { result: response, calls } = await countingMembersOf(() =>
      sendPatch(t, `/Groups/${groupId}`, patchOp({ op: 'remove', path: `members[value eq "${removed}"]` })),
    );
    await assertGroup204(t, response, groupId);
    const remaining = await storedMemberIds(t, groupId);
    assert.equal(remaining.includes(removed), false);
    assert.equal(remaining.length, 300);
    assert.deepEqual((await storedUser(t, removed)).groupIds, []);
    // Put it back for the next tests before asserting how it was done.
    await assertGroup204(t, await sendPatch(t, `/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: removed }] })), groupId);
    assert.deepEqual(calls, [], 'the member list was loaded for a PATCH that neither returns nor needs it');
  });

  it('Entra rename with ?excludedAttributes=members → 200 without members, the member list not loaded', async () => {
    const { result: response, calls } = await countingMembersOf(() =>
      sendPatch(t, `/Groups/${groupId}?excludedAttributes=members`, patchOp({ op: 'Replace', path: 'displayName', value: 'Three Hundred Renamed' })),
    );
    assert.equal(response.status, 200, response.text);
    assert.equal((response.body as Json)['displayName'], 'Three Hundred Renamed');
    assert.equal('members' in (response.body as Json), false);
    assert.deepEqual(calls, [], 'members were excluded, so they need not be loaded');
    assert.equal((await storedMemberIds(t, groupId)).length, 301);
  });

  it('?attributes=members → 200 with all 301 members', async () => {
    const response = await sendPatch(t, `/Groups/${groupId}?attributes=members`, patchOp({ op: 'add', path: 'members', value: [{ value: extraIds[1] }] }));
    assert.equal(response.status, 200, response.text);
    const returned = ((response.body as Json)['members'] as Json[]).map((member) => String(member['value']));
    assert.deepEqual(sortedIds(returned), sortedIds([...memberIds, extraIds[0] as string, extraIds[1] as string]));
  });

  it('Okta push of 100 removals and 100 re-adds in one request leaves the group as it was', async () => {
    const slice = memberIds.slice(0, 100);
    const response = await sendPatch(
      t,
      `/Groups/${groupId}`,
      patchOp(
        { op: 'replace', value: { id: groupId, displayName: 'Three Hundred' } },
        ...slice.map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })),
        { op: 'add', path: 'members', value: slice.map((value) => ({ value })) },
      ),
    );
    await assertGroup204(t, response, groupId);
    assert.deepEqual(await storedMemberIds(t, groupId), sortedIds([...memberIds, extraIds[0] as string, extraIds[1] as string]));
    assert.equal((await storedGroup(t, groupId)).attributes['displayName'], 'Three Hundred');
  });
});
