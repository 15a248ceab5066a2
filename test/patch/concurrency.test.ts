import assert from 'node:assert/strict';
import type supertest from 'supertest';
import { startTestApp, user, type TestApp } from '../support/app.js';
import { createGroup, createUser, idOf } from '../groups/helpers.js';
import { assertGroup204, inBatches, patchOp, sendPatch, sleep, sortedIds, storedGroup, storedMemberIds, storedUser, versionNumber, type Json } from './helpers.js';

/**
 * Concurrent writers to one resource (FerretDB applies updates without isolation; the server
 * serialises writes per document). Nothing may be lost, and If-Match must admit exactly one writer.
 */
describe('PATCH under concurrency', function () {
  this.timeout(300_000);
  let t: TestApp;
  /** 200 users shared by the membership tests (creating users is the slow part of the setup). */
  let pool: string[];

  before(async function () {
    this.timeout(900_000);
    t = await startTestApp('patch-concurrency');
    // Sequentially: on FerretDB, parallel creation is slower per user than one at a time.
    pool = await inBatches(Array.from({ length: 200 }, (_, index) => index), 1, async (index) => idOf(await createUser(t, `pool.${index}@example.com`)));
  });

  after(() => t.close());

  function statuses(responses: supertest.Response[]): Map<number, number> {
    const counts = new Map<number, number>();
    for (const response of responses) counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
    return counts;
  }

  function describeStatuses(responses: supertest.Response[]): string {
    return JSON.stringify([...statuses(responses)]) + ' ' + responses.filter((response) => response.status >= 300).slice(0, 3).map((response) => response.text).join(' | ');
  }

  describe('(a) 200 parallel single-member PATCHes on one group', () => {
    it('all succeed and the group has exactly the 200 members', async () => {
      const memberIds = pool;
      const groupId = idOf(await createGroup(t, 'Parallel Adds'));
      const versionBefore = (await storedGroup(t, groupId)).version;

      const responses = await Promise.all(
        memberIds.map((memberId) => sendPatch(t, `/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: memberId }] }))),
      );
      assert.ok(responses.every((response) => response.status === 204), describeStatuses(responses));

      assert.deepEqual(await storedMemberIds(t, groupId), sortedIds(memberIds), 'membersOf lists every member');
      const read = await t.scim.get(`/Groups/${groupId}`);
      assert.equal(read.status, 200);
      assert.deepEqual(sortedIds((read.body.members as Json[]).map((member) => String(member['value']))), sortedIds(memberIds), 'GET lists every member');
      for (const memberId of memberIds) assert.ok((await storedUser(t, memberId)).groupIds.includes(groupId), `member ${memberId} lists the group`);
      const versionAfter = (await storedGroup(t, groupId)).version;
      assert.ok(versionAfter >= versionBefore + 200, `every change bumped the group version (${versionBefore} → ${versionAfter})`);
    });

    it('100 parallel removals from a 200-member group leave exactly the other 100', async () => {
      const memberIds = pool;
      const groupId = idOf(await createGroup(t, 'Parallel Removals', memberIds));
      const removed = memberIds.filter((_, index) => index % 2 === 0);
      const kept = memberIds.filter((_, index) => index % 2 === 1);
      const responses = await Promise.all(
        removed.map((memberId) => sendPatch(t, `/Groups/${groupId}`, patchOp({ op: 'remove', path: `members[value eq "${memberId}"]` }))),
      );
      assert.ok(responses.every((response) => response.status === 204), describeStatuses(responses));
      assert.deepEqual(await storedMemberIds(t, groupId), sortedIds(kept));
      for (const memberId of removed) assert.equal((await storedUser(t, memberId)).groupIds.includes(groupId), false, `member ${memberId} still lists the group`);
      for (const memberId of kept) assert.ok((await storedUser(t, memberId)).groupIds.includes(groupId), `member ${memberId} lost the group`);
    });

    it('parallel renames and member adds on one group: every member kept, the name is one of those sent', async () => {
      const memberIds = pool.slice(0, 30);
      const groupId = idOf(await createGroup(t, 'Rename Race'));
      const names = memberIds.map((_, index) => `Rename Race ${index}`);
      const responses = await Promise.all(
        memberIds.map((memberId, index) =>
          sendPatch(
            t,
            `/Groups/${groupId}`,
            patchOp({ op: 'replace', value: { id: groupId, displayName: names[index] } }, { op: 'add', path: 'members', value: [{ value: memberId }] }),
          ),
        ),
      );
      assert.ok(responses.every((response) => response.status === 204), describeStatuses(responses));
      assert.deepEqual(await storedMemberIds(t, groupId), sortedIds(memberIds));
      assert.ok(names.includes(String((await storedGroup(t, groupId)).attributes['displayName'])));
    });
  });

  describe('(b) 50 parallel PATCHes on one user', () => {
    it('50 parallel email appends: none lost, one version per write', async () => {
      const userId = idOf(await createUser(t, 'fifty.emails@example.com', { emails: [{ value: 'seed@example.com', type: 'work' }] }));
      const before = await storedUser(t, userId);
      const emails = Array.from({ length: 50 }, (_, index) => `append.${index}@example.com`);
      const responses = await Promise.all(
        emails.map((email) => sendPatch(t, `/Users/${userId}`, patchOp({ op: 'add', path: 'emails', value: [{ value: email, type: 'other' }] }))),
      );
      assert.ok(responses.every((response) => response.status === 200), describeStatuses(responses));

      const stored = await storedUser(t, userId);
      const storedEmails = (stored.attributes['emails'] as Json[]).map((email) => String(email['value']));
      assert.deepEqual(sortedIds(storedEmails), sortedIds(['seed@example.com', ...emails]), 'all 50 emails present, no duplicates');
      assert.equal(stored.version, before.version + 50, 'exactly one write per PATCH');
      const versions = responses.map((response) => versionNumber(response.headers['etag'])).sort((a, b) => a - b);
      assert.deepEqual(versions, Array.from({ length: 50 }, (_, index) => before.version + 1 + index), 'each PATCH saw a distinct version');
      const read = await t.scim.get(`/Users/${userId}`);
      assert.equal((read.body.emails as Json[]).length, 51);
    });

    it('50 parallel PATCHes each setting a different attribute: all kept', async () => {
      const userId = idOf(await createUser(t, 'fifty.attributes@example.com'));
      const before = await storedUser(t, userId);
      // 50 distinct targets: 25 entitlements (filtered path, element created) and 25 other writes.
      const entitlementTypes = Array.from({ length: 25 }, (_, index) => `system${index}`);
      const others: Array<[string, unknown]> = [
        ['title', 'Title'],
        ['nickName', 'Nick'],
        ['displayName', 'Display'],
        ['profileUrl', 'https://example.com/p'],
        ['userType', 'Employee'],
        ['preferredLanguage', 'en-GB'],
        ['locale', 'en-GB'],
        ['timezone', 'Europe/London'],
        ['externalId', 'ext-50'],
        ['name.givenName', 'Given'],
        ['name.familyName', 'Family'],
        ['name.middleName', 'Middle'],
        ['name.honorificPrefix', 'Dr'],
        ['name.honorificSuffix', 'III'],
        ['name.formatted', 'Dr Given Middle Family III'],
        ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber', '50'],
        ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter', 'CC'],
        ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization', 'Org'],
        ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division', 'Div'],
        ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', 'Dept'],
        ['ims[type eq "aim"].value', 'aim-handle'],
        ['ims[type eq "xmpp"].value', 'xmpp-handle'],
        ['photos[type eq "photo"].value', 'https://example.com/photo.jpg'],
        ['photos[type eq "thumbnail"].value', 'https://example.com/thumb.jpg'],
        ['x509Certificates', [{ value: 'TUlJQ0lqQ0NBWXNDQWdQb01BMEdDU3FHU0liM0RRRUJCUVVBTUl' }]],
      ];
      const operations = [
        ...entitlementTypes.map((type, index) => ({ op: 'add', path: `entitlements[type eq "${type}"].value`, value: `grant-${index}` })),
        ...others.map(([path, value]) => ({ op: 'add', path, value })),
      ];
      assert.equal(operations.length, 50);
      const responses = await Promise.all(operations.map((operation) => sendPatch(t, `/Users/${userId}`, patchOp(operation))));
      assert.ok(responses.every((response) => response.status === 200), describeStatuses(responses));

      const stored = await storedUser(t, userId);
      assert.equal(stored.version, before.version + 50);
      // Applying all 50 operations in one request gives the same result (the order does not matter: they are independent).
      const probeId = idOf(await createUser(t, 'fifty.attributes.probe@example.com'));
      const probe = await sendPatch(t, `/Users/${probeId}`, patchOp(...operations));
      assert.equal(probe.status, 200, probe.text);
      const expected = (await storedUser(t, probeId)).attributes;
      const normalise = (attributes: Json): Json => ({
        ...attributes,
        userName: null,
        entitlements: sortedIds((attributes['entitlements'] as Json[]).map((entitlement) => JSON.stringify(entitlement))),
        ims: sortedIds((attributes['ims'] as Json[]).map((im) => JSON.stringify(im))),
        photos: sortedIds((attributes['photos'] as Json[]).map((photo) => JSON.stringify(photo))),
      });
      assert.deepEqual(normalise(stored.attributes), normalise(expected), 'no attribute write was lost');
      assert.equal((stored.attributes['entitlements'] as Json[]).length, 25);
    });
  });

  describe('(c) parallel conflicting writes with the same If-Match on one resource', () => {
    const WRITERS = 20;

    it('PUT: exactly one 200, the rest 412; stored state is the winner\'s body', async () => {
      const created = await createUser(t, 'if-match.put@example.com', { title: 'Original' });
      const userId = idOf(created);
      const before = await storedUser(t, userId);
      const etag = `W/"${before.version}"`;
      const bodies = Array.from({ length: WRITERS }, (_, index) =>
        user('if-match.put@example.com', { title: `Writer ${index}`, nickName: `nick-${index}`, emails: [{ value: `writer.${index}@example.com`, type: 'work' }] }),
      );
      const responses = await Promise.all(bodies.map((body) => t.scim.put(`/Users/${userId}`).set('If-Match', etag).send(body)));

      const winners = responses.filter((response) => response.status === 200);
      assert.equal(winners.length, 1, describeStatuses(responses));
      assert.equal(statuses(responses).get(412), WRITERS - 1, describeStatuses(responses));
      const winner = winners[0] as supertest.Response;
      const winnerIndex = bodies.findIndex((body) => body['title'] === winner.body.title);
      assert.ok(winnerIndex >= 0);

      const stored = await storedUser(t, userId);
      assert.equal(stored.version, before.version + 1, 'exactly one write');
      assert.equal(stored.attributes['title'], `Writer ${winnerIndex}`);
      assert.equal(stored.attributes['nickName'], `nick-${winnerIndex}`);
      assert.deepEqual(stored.attributes['emails'], [{ value: `writer.${winnerIndex}@example.com`, type: 'work' }]);
      assert.equal(winner.headers['etag'], `W/"${stored.version}"`);
    });

    it('PATCH: exactly one 200, the rest 412; stored state is the winner\'s change only', async () => {
      const userId = idOf(await createUser(t, 'if-match.patch@example.com', { title: 'Original' }));
      const before = await storedUser(t, userId);
      const etag = `W/"${before.version}"`;
      const responses = await Promise.all(
        Array.from({ length: WRITERS }, (_, index) =>
          sendPatch(
            t,
            `/Users/${userId}`,
            patchOp({ op: 'replace', path: 'title', value: `Patcher ${index}` }, { op: 'add', path: 'emails', value: [{ value: `patcher.${index}@example.com` }] }),
            etag,
          ),
        ),
      );
      const winners = responses.filter((response) => response.status === 200);
      assert.equal(winners.length, 1, describeStatuses(responses));
      assert.equal(statuses(responses).get(412), WRITERS - 1, describeStatuses(responses));
      const winnerIndex = Number(/Patcher (\d+)/.exec(String((winners[0] as supertest.Response).body.title))?.[1]);

      const stored = await storedUser(t, userId);
      assert.equal(stored.version, before.version + 1);
      assert.equal(stored.attributes['title'], `Patcher ${winnerIndex}`);
      assert.deepEqual(stored.attributes['emails'], [{ value: `patcher.${winnerIndex}@example.com` }], 'no loser\'s email was stored');
    });

    it('PATCH on a group: exactly one 2xx, the rest 412; only the winner\'s member is added', async () => {
      const memberIds = pool.slice(30, 30 + WRITERS);
      const groupId = idOf(await createGroup(t, 'If-Match Group'));
      const before = await storedGroup(t, groupId);
      const etag = `W/"${before.version}"`;
      // Membership changes are made slow to land (a pass-through delay on the real store), so that every
      // request's If-Match check runs before the first change lands: without it the race depends on load.
      const memberships = t.storage.memberships;
      const apply = memberships.apply;
      memberships.apply = async (...args: Parameters<typeof apply>) => {
        await sleep(300);
        return apply.apply(memberships, args);
      };
      let responses: supertest.Response[];
      try {
        responses = await Promise.all(
          memberIds.map((memberId) => sendPatch(t, `/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: memberId }] }), etag)),
        );
      } finally {
        memberships.apply = apply;
      }
      const winners = responses.filter((response) => response.status === 204);
      assert.equal(winners.length, 1, describeStatuses(responses));
      assert.equal(statuses(responses).get(412), WRITERS - 1, describeStatuses(responses));
      assert.equal((await storedMemberIds(t, groupId)).length, 1, 'only the winner\'s member was added');
    });
  });

  describe('(d) 20 parallel PATCHes adding one user to 20 groups', () => {
    it('the user\'s groups lists all 20, and each group lists the user', async () => {
      const userId = idOf(await createUser(t, 'twenty.groups@example.com'));
      const before = await storedUser(t, userId);
      const groupIds = await inBatches(Array.from({ length: 20 }, (_, index) => index), 10, async (index) => idOf(await createGroup(t, `Twenty ${index}`)));

      const responses = await Promise.all(
        groupIds.map((groupId) => sendPatch(t, `/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: userId }] }))),
      );
      for (const [index, response] of responses.entries()) await assertGroup204(t, response, groupIds[index] as string);

      const stored = await storedUser(t, userId);
      assert.deepEqual(sortedIds(stored.groupIds), sortedIds(groupIds), 'stored groupIds has all 20');
      assert.equal(stored.version, before.version + 20, 'each membership bumped the user once');
      const read = await t.scim.get(`/Users/${userId}`);
      assert.deepEqual(sortedIds((read.body.groups as Json[]).map((ref) => String(ref['value']))), sortedIds(groupIds), 'GET /Users lists all 20');
      for (const groupId of groupIds) assert.deepEqual(await storedMemberIds(t, groupId), [userId]);
    });

    it('20 parallel PATCHes removing the user from those 20 groups leave no group', async () => {
      const userId = idOf(await createUser(t, 'twenty.removals@example.com'));
      const groupIds = await inBatches(Array.from({ length: 20 }, (_, index) => index), 10, async (index) => idOf(await createGroup(t, `Twenty Removal ${index}`, [userId])));
      assert.equal((await storedUser(t, userId)).groupIds.length, 20);
      const responses = await Promise.all(groupIds.map((groupId) => sendPatch(t, `/Groups/${groupId}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: userId }] }))));
      assert.ok(responses.every((response) => response.status === 204), describeStatuses(responses));
      assert.deepEqual((await storedUser(t, userId)).groupIds, []);
    });
  });
});
