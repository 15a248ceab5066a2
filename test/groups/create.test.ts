import assert from 'node:assert/strict';
import { assertScimError, GROUP_SCHEMA, group, startTestApp, type TestApp } from '../support/app.js';
import {
  bodyOf,
  createGroup,
  createUser,
  idOf,
  membersOf,
  sorted,
  storedGroupCount,
  storedGroupGroupIds,
  storedMemberIds,
  storedUserGroupIds,
  type Json,
} from './helpers.js';

describe('POST /Groups (RFC 7644 §3.3)', () => {
  let t: TestApp;
  let alice: Json;
  let bob: Json;

  before(async () => {
    t = await startTestApp('groups-create');
    alice = await createUser(t, 'alice@example.com', { displayName: 'Alice Liddell' });
    bob = await createUser(t, 'bob@example.com');
  });

  after(() => t.close());

  describe('successful creation (§3.3, RFC 7643 §4.2)', () => {
    it('answers 201 with Location = meta.location, an ETag = meta.version, and the full group', async () => {
      const response = await t.scim.post('/Groups').send(group('Engineering', [idOf(alice), idOf(bob)]));
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.match(String(response.headers['content-type']), /^application\/scim\+json/);
      const body = bodyOf(response);
      const meta = body['meta'] as Json;

      assert.deepEqual(body['schemas'], [GROUP_SCHEMA]);
      assert.equal(typeof body['id'], 'string');
      assert.equal(body['displayName'], 'Engineering');
      assert.equal(meta['resourceType'], 'Group');
      assert.match(String(meta['version']), /^W\/"\d+"$/);
      assert.equal(response.headers['etag'], meta['version']);
      assert.equal(response.headers['location'], meta['location']);
      assert.match(String(meta['location']), new RegExp(`^https?://[^/]+/scim/v2/Groups/${idOf(body)}$`));
      assert.ok(!Number.isNaN(Date.parse(String(meta['created']))), 'meta.created is a date');
      assert.ok(!Number.isNaN(Date.parse(String(meta['lastModified']))), 'meta.lastModified is a date');

      const stored = await t.storage.groups.get(t.config.defaultTenant, idOf(body));
      assert.ok(stored, 'the group is stored');
      assert.equal(stored.attributes['displayName'], 'Engineering');
      assert.equal(meta['version'], `W/"${stored.version}"`);
      assert.equal(stored.attributes['members'], undefined, 'members are not stored on the group');
      assert.deepEqual(await storedMemberIds(t, idOf(body)), sorted([idOf(alice), idOf(bob)]));
    });

    it('starts a group created without members at version W/"1"', async () => {
      const response = await t.scim.post('/Groups').send(group('Version One'));
      assert.equal(response.status, 201);
      assert.equal((bodyOf(response)['meta'] as Json)['version'], 'W/"1"');
      assert.equal(response.headers['etag'], 'W/"1"');
    });

    it('represents each member with value, $ref, display and type; display falls back to userName', async () => {
      const response = await t.scim.post('/Groups').send(group('Members Shape', [idOf(alice), idOf(bob)]));
      assert.equal(response.status, 201);
      const base = String((bodyOf(response)['meta'] as Json)['location']).replace(/\/Groups\/[^/]+$/, '');
      const byId = new Map(membersOf(bodyOf(response)).map((member) => [member.value, member]));
      assert.equal(byId.size, 2);
      assert.deepEqual(byId.get(idOf(alice)), { value: idOf(alice), $ref: `${base}/Users/${idOf(alice)}`, display: 'Alice Liddell', type: 'User' });
      assert.deepEqual(byId.get(idOf(bob)), { value: idOf(bob), $ref: `${base}/Users/${idOf(bob)}`, display: 'bob@example.com', type: 'User' });
    });

    it('accepts a nested group as a member, represented with type "Group" and a /Groups $ref', async () => {
      const child = await createGroup(t, 'Nested Child', [idOf(alice)]);
      const response = await t.scim.post('/Groups').send(group('Nested Parent', [idOf(child), idOf(bob)]));
      assert.equal(response.status, 201, JSON.stringify(response.body));
      const parent = bodyOf(response);
      const nested = membersOf(parent).find((member) => member.value === idOf(child));
      assert.ok(nested, 'the child group is listed');
      assert.equal(nested.type, 'Group');
      assert.equal(nested.display, 'Nested Child');
      assert.match(String(nested.$ref), new RegExp(`/scim/v2/Groups/${idOf(child)}$`));
      assert.deepEqual(await storedGroupGroupIds(t, idOf(child)), [idOf(parent)]);
      assert.deepEqual(await storedMemberIds(t, idOf(parent)), sorted([idOf(child), idOf(bob)]));
    });

    it('accepts members sent with the read-only display, $ref and type a client copied from a GET', async () => {
      const response = await t.scim.post('/Groups').send({
        schemas: [GROUP_SCHEMA],
        displayName: 'Copied Members',
        members: [{ value: idOf(alice), display: 'Someone Else', type: 'User', $ref: `https://elsewhere.example/Users/${idOf(alice)}` }],
      });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      const [member] = membersOf(bodyOf(response));
      assert.equal(member?.display, 'Alice Liddell', 'display is derived from the member, not copied from the request');
      assert.match(String(member?.$ref), /\/scim\/v2\/Users\//);
    });
  });

  describe('what identity providers send (docs: idp-behaviour.md)', () => {
    it('creates an Okta group push {displayName, members: []} → 201 with no members', async () => {
      const response = await t.scim
        .post('/Groups')
        .set('Content-Type', 'application/json')
        .set('User-Agent', 'Okta SCIM Client 1.0.0')
        .send({ schemas: [GROUP_SCHEMA], displayName: 'Okta Pushed', members: [] });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.deepEqual(membersOf(bodyOf(response)), []);
      assert.deepEqual(await storedMemberIds(t, idOf(bodyOf(response))), []);
    });

    it('tolerates the extra Microsoft schema URN Entra puts in `schemas` and answers with the core schema only', async () => {
      const response = await t.scim.post('/Groups').send({
        schemas: [GROUP_SCHEMA, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        displayName: 'Entra Group',
        meta: { resourceType: 'Group' },
      });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      const body = bodyOf(response);
      assert.deepEqual(body['schemas'], [GROUP_SCHEMA]);
      assert.equal(body['displayName'], 'Entra Group');
      assert.equal(body['externalId'], '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159');
    });

    it('tolerates an unknown URN of the urn: form in `schemas` too', async () => {
      const response = await t.scim.post('/Groups').send({
        schemas: ['urn:ietf:params:scim:schemas:extension:Microsoft:2.0:Group', GROUP_SCHEMA],
        displayName: 'Entra Group URN',
      });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.deepEqual(bodyOf(response)['schemas'], [GROUP_SCHEMA]);
    });
  });

  describe('invalid members (RFC 7644 §3.12 invalidValue)', () => {
    const ghost = '00000000-0000-4000-8000-000000000000';

    it('rejects members that do not exist with 400 invalidValue and creates nothing', async () => {
      const bodies: Array<[string, Json]> = [
        ['only an unknown id', group('Ghost Only', [ghost])],
        ['an unknown id among real ones', group('Ghost Among Real', [idOf(alice), ghost, idOf(bob)])],
        ['an id that is not a UUID', group('Not A Uuid', ['not-a-real-id'])],
      ];
      for (const [label, body] of bodies) {
        const before = await storedGroupCount(t);
        const aliceGroups = await storedUserGroupIds(t, idOf(alice));
        const response = await t.scim.post('/Groups').send(body);
        assertScimError(response, 400, 'invalidValue');
        assert.equal(await storedGroupCount(t), before, `${label}: no group was created`);
        assert.deepEqual(await storedUserGroupIds(t, idOf(alice)), aliceGroups, `${label}: no membership was added`);
        const lookup = await t.scim.get(`/Groups?filter=${encodeURIComponent(`displayName eq "${String(body['displayName'])}"`)}`);
        assert.equal(lookup.body.totalResults, 0, `${label}: the name was not taken`);
      }
    });

    it('lets a rejected name be used afterwards (the failed POST claimed nothing)', async () => {
      assertScimError(await t.scim.post('/Groups').send(group('Retry After Failure', [ghost])), 400, 'invalidValue');
      const response = await t.scim.post('/Groups').send(group('Retry After Failure', [idOf(alice)]));
      assert.equal(response.status, 201, JSON.stringify(response.body));
    });

    it('rejects a member whose value is missing, empty or not a string with 400 and creates nothing', async () => {
      const badMembers: Array<[string, unknown[]]> = [
        ['no value', [{ display: 'Alice' }]],
        ['empty value', [{ value: '' }]],
        ['an empty value after a valid one', [{ value: idOf(alice) }, { value: '' }]],
        ['a numeric value', [{ value: 42 }]],
      ];
      for (const [label, members] of badMembers) {
        const before = await storedGroupCount(t);
        const response = await t.scim.post('/Groups').send({ schemas: [GROUP_SCHEMA], displayName: `Bad Member ${label}`, members });
        assertScimError(response, 400);
        assert.equal(await storedGroupCount(t), before, `${label}: no group was created`);
      }
    });
  });

  describe('duplicated members in one body', () => {
    it('stores a member listed twice once, and represents it once', async () => {
      const response = await t.scim.post('/Groups').send(group('Twice Listed', [idOf(alice), idOf(bob), idOf(alice)]));
      assert.equal(response.status, 201, JSON.stringify(response.body));
      const body = bodyOf(response);
      assert.deepEqual(sorted(membersOf(body).map((member) => member.value)), sorted([idOf(alice), idOf(bob)]));
      assert.deepEqual(await storedMemberIds(t, idOf(body)), sorted([idOf(alice), idOf(bob)]));
      const aliceGroups = await storedUserGroupIds(t, idOf(alice));
      assert.equal(aliceGroups.filter((id) => id === idOf(body)).length, 1, "the group appears once in alice's groupIds");
    });
  });

  describe('large groups', () => {
    it('creates a group of 300 members in one POST and returns all 300 on GET', async function () {
      this.timeout(120_000);
      const ids: string[] = [];
      for (let start = 0; start < 300; start += 25) {
        const batch = await Promise.all(
          Array.from({ length: 25 }, (_, offset) => createUser(t, `bulk-${String(start + offset).padStart(3, '0')}@example.com`)),
        );
        ids.push(...batch.map(idOf));
      }
      const created = await t.scim.post('/Groups').send(group('Three Hundred', ids));
      assert.equal(created.status, 201, JSON.stringify(created.body).slice(0, 500));
      assert.equal(membersOf(bodyOf(created)).length, 300);

      const response = await t.scim.get(`/Groups/${idOf(bodyOf(created))}`);
      assert.equal(response.status, 200);
      const members = membersOf(bodyOf(response));
      assert.equal(members.length, 300);
      assert.deepEqual(sorted(members.map((member) => member.value)), sorted(ids));
      assert.ok(members.every((member) => member.type === 'User' && member.display?.startsWith('bulk-')));
      assert.equal((await storedMemberIds(t, idOf(bodyOf(created)))).length, 300);
    });
  });
});
