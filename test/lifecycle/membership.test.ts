import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import type { AuditEntry } from '../../src/lifecycle/types.js';
import { assertScimError, startTestApp, sweep, type TestApp } from '../support/app.js';
import { testDatabaseUri } from '../support/engine.js';
import { failNext } from '../support/faults.js';
import { auditOf, context, createUser, employee, eventsOf, expectStatus, group, oktaClient, patchOp, TENANT, uniqueName, type Client } from './helpers.js';

interface StoredGroup {
  _id: string;
  version: number;
  hasPending?: boolean;
  pending?: { events: string[]; audit: string[] };
}

/**
 * A membership change is the group's version bump carrying its event and audit entry (one
 * single-document write), then the members' documents, then the relay. What a failure leaves in
 * the group is completed (members written) before it is relayed, so the audit trail holds an
 * entry exactly when its change is stored (docs/lifecycle.md, "Pipeline").
 */
describe('lifecycle: membership changes record what happened', () => {
  let t: TestApp;
  let okta: Client;
  let client: MongoClient;

  before(async () => {
    t = await startTestApp('lifecycle-membership-audit');
    okta = oktaClient(t);
    client = await MongoClient.connect(testDatabaseUri(t.dbName!));
  });

  after(async () => {
    await client.close();
    await t.close();
  });

  const storedGroup = async (id: string) => (await client.db(t.dbName).collection<StoredGroup>('groups').findOne({ _id: id }))!;
  const membershipEntries = async (groupId: string): Promise<AuditEntry[]> => (await auditOf(t, groupId)).filter((entry) => entry.operation === 'membership');
  const addedBy = (entries: readonly AuditEntry[]) => entries.map((entry) => (entry.after?.['added'] as { value: string }[]).map((member) => member.value));
  const addMember = (groupId: string, memberId: string) => okta.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: memberId }] }));

  async function newGroup(): Promise<string> {
    const created = await okta.post('/Groups', group(uniqueName('audited-group')));
    assert.equal(created.status, 201, context(created));
    return String(created.body.id);
  }

  it("a PATCH adding a member stores its audit entry and event in the group's own write: with the relay failing, they wait in the group document, and the sweep stores them once", async () => {
    const groupId = await newGroup();
    const memberId = await createUser(okta, employee(uniqueName('member')));
    const version = (await storedGroup(groupId)).version;

    const fault = failNext(t.storage.audit, 'append');
    expectStatus(await addMember(groupId, memberId), 200, 204);
    assert.ok(fault.fired);

    const stored = await storedGroup(groupId);
    assert.equal(stored.version, version + 1, 'one write of the group');
    assert.equal(stored.hasPending, true);
    const pending = stored.pending!.audit.map((text) => JSON.parse(text) as AuditEntry);
    assert.deepEqual(
      pending.map((entry) => [entry.operation, entry.resourceId, entry.after?.['added']]),
      [['membership', groupId, [{ value: memberId, type: 'User' }]]],
    );
    assert.deepEqual(stored.pending!.events.map((text) => (JSON.parse(text) as { type: string }).type), ['group.members_changed']);
    assert.deepEqual((await t.storage.users.get(TENANT, memberId))!.groupIds, [groupId], 'the change is stored');

    assert.ok((await sweep(t)) >= 1);
    assert.deepEqual(addedBy(await membershipEntries(groupId)), [[memberId]], 'stored once');
    assert.equal((await eventsOf(t, groupId)).filter((event) => event.type === 'group.members_changed').length, 1);
    assert.equal((await storedGroup(groupId)).hasPending, false);
    assert.equal(await sweep(t), 0);
  });

  it('a change interrupted after the group was bumped (members not written: 503) shows no entry; the next change of the group completes it first, and each entry is stored once, in order', async () => {
    const groupId = await newGroup();
    const first = await createUser(okta, employee(uniqueName('first')));
    const second = await createUser(okta, employee(uniqueName('second')));

    const fault = failNext(t.storage.memberships, 'apply');
    const failed = await addMember(groupId, first);
    assert.ok(fault.fired);
    assertScimError(failed, 503);
    assert.deepEqual((await t.storage.users.get(TENANT, first))!.groupIds, [], 'no member written');
    assert.deepEqual(await membershipEntries(groupId), [], 'and no entry in the audit trail');
    assert.deepEqual((await eventsOf(t, groupId)).map((event) => event.type), ['group.created'], 'nor in the event log');

    expectStatus(await addMember(groupId, second), 200, 204);
    assert.deepEqual((await t.storage.memberships.membersOf(TENANT, groupId)).map((member) => member.id).sort(), [first, second].sort());
    assert.deepEqual(addedBy(await membershipEntries(groupId)), [[first], [second]]);
    assert.equal((await storedGroup(groupId)).hasPending, false);
  });

  it('a change interrupted after the group was bumped is completed by the sweep before its entry is stored', async () => {
    const groupId = await newGroup();
    const memberId = await createUser(okta, employee(uniqueName('swept-member')));
    const fault = failNext(t.storage.memberships, 'apply');
    assertScimError(await addMember(groupId, memberId), 503);
    assert.ok(fault.fired);

    assert.ok((await sweep(t)) >= 1);
    assert.deepEqual((await t.storage.users.get(TENANT, memberId))!.groupIds, [groupId]);
    assert.deepEqual(addedBy(await membershipEntries(groupId)), [[memberId]]);
  });

  it("a leaver's groups: the user's deactivating write carries each group's membership entry, relayed once", async () => {
    const groupId = await newGroup();
    const memberId = await createUser(okta, employee(uniqueName('leaver')));
    expectStatus(await addMember(groupId, memberId), 200, 204);
    const version = (await storedGroup(groupId)).version;

    const fault = failNext(t.storage.audit, 'append');
    expectStatus(await okta.patch(`/Users/${memberId}`, patchOp({ op: 'replace', value: { active: false } })), 200);
    assert.ok(fault.fired);
    const user = await client.db(t.dbName).collection<StoredGroup>('users').findOne({ _id: memberId });
    const carried = user!.pending!.audit.map((text) => JSON.parse(text) as AuditEntry);
    assert.deepEqual(carried.map((entry) => [entry.operation, entry.resourceType, entry.resourceId]), [['patch', 'User', memberId], ['membership', 'Group', groupId]]);
    assert.equal((await storedGroup(groupId)).version, version + 1, "the group's version changed");

    await sweep(t);
    const left = (await membershipEntries(groupId)).filter((entry) => entry.after?.['reason'] === 'deactivation');
    assert.deepEqual(left.map((entry) => entry.after?.['removed']), [[{ value: memberId, type: 'User' }]]);
  });
});
