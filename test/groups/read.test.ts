import assert from 'node:assert/strict';
import { assertScimError, GROUP_SCHEMA, LIST_SCHEMA, startTestApp, type TestApp } from '../support/app.js';
import { bodyOf, createGroup, createUser, idOf, membersOf, sorted, type Json } from './helpers.js';

describe('GET /Groups (RFC 7644 §3.4)', () => {
  let t: TestApp;
  let alice: Json;
  let bob: Json;
  let admins: Json;

  before(async () => {
    t = await startTestApp('groups-read');
    alice = await createUser(t, 'alice@example.com', { displayName: 'Alice' });
    bob = await createUser(t, 'bob@example.com');
    admins = await createGroup(t, 'Portal Admins', [idOf(alice), idOf(bob)]);
    await createGroup(t, 'Portal Users', [idOf(bob)]);
    await createGroup(t, 'Portal Admins Backup', [idOf(alice)]);
  });

  after(() => t.close());

  const filterQuery = (filter: string) => `filter=${encodeURIComponent(filter)}`;

  describe('GET /Groups/{id} (§3.4.1)', () => {
    it('returns the group with its members, an ETag = meta.version and no Location', async () => {
      const response = await t.scim.get(`/Groups/${idOf(admins)}`);
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^application\/scim\+json/);
      const body = bodyOf(response);
      assert.deepEqual(body['schemas'], [GROUP_SCHEMA]);
      assert.equal(body['displayName'], 'Portal Admins');
      assert.equal(response.headers['etag'], (body['meta'] as Json)['version']);
      assert.deepEqual(sorted(membersOf(body).map((member) => member.value)), sorted([idOf(alice), idOf(bob)]));
    });

    it('answers 404 with a SCIM error for an unknown id', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'nope', idOf(alice)]) {
        assertScimError(await t.scim.get(`/Groups/${id}`), 404);
      }
    });
  });

  describe('attributes and excludedAttributes (§3.4.2.5, §3.9)', () => {
    it('omits the members key entirely with excludedAttributes=members, in any case (Entra)', async () => {
      for (const excluded of ['members', 'Members', `${GROUP_SCHEMA}:members`]) {
        const response = await t.scim.get(`/Groups/${idOf(admins)}?excludedAttributes=${encodeURIComponent(excluded)}`);
        assert.equal(response.status, 200, `${excluded}: ${JSON.stringify(response.body)}`);
        const body = bodyOf(response);
        assert.ok(!('members' in body), `${excluded}: members absent`);
        assert.equal(body['id'], idOf(admins));
        assert.equal(body['displayName'], 'Portal Admins');
        assert.equal((body['meta'] as Json)['resourceType'], 'Group');
        assert.equal(response.headers['etag'], (body['meta'] as Json)['version']);
      }
    });

    it('returns only schemas, id and displayName with attributes=displayName', async () => {
      const response = await t.scim.get(`/Groups/${idOf(admins)}?attributes=displayName`);
      assert.equal(response.status, 200);
      assert.deepEqual(sorted(Object.keys(bodyOf(response))), ['displayName', 'id', 'schemas']);
      assert.deepEqual(bodyOf(response)['schemas'], [GROUP_SCHEMA]);
    });

    it('returns the members alone with attributes=members, and only their values with attributes=members.value', async () => {
      const all = await t.scim.get(`/Groups/${idOf(admins)}?attributes=members`);
      assert.equal(all.status, 200);
      assert.deepEqual(sorted(Object.keys(bodyOf(all))), ['id', 'members', 'schemas']);
      assert.equal(membersOf(bodyOf(all)).length, 2);

      const values = await t.scim.get(`/Groups/${idOf(admins)}?attributes=members.value`);
      assert.equal(values.status, 200);
      assert.deepEqual(
        sorted(membersOf(bodyOf(values)).map((member) => JSON.stringify(member))),
        sorted([idOf(alice), idOf(bob)].map((value) => JSON.stringify({ value }))),
      );
    });
  });

  describe('GET /Groups with filter (§3.4.2.2)', () => {
    it('finds one group by displayName eq with members excluded (Entra) → ListResponse without members', async () => {
      const response = await t.scim.get(`/Groups?excludedAttributes=members&${filterQuery('displayName eq "Portal Admins"')}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const body = bodyOf(response);
      assert.deepEqual(body['schemas'], [LIST_SCHEMA]);
      assert.equal(body['totalResults'], 1);
      const resources = body['Resources'] as Json[];
      assert.equal(resources.length, 1);
      assert.equal(resources[0]?.['id'], idOf(admins));
      assert.ok(!('members' in (resources[0] ?? {})), 'members absent');
    });

    it('matches displayName eq case-insensitively (caseExact false, RFC 7643 §4.2)', async () => {
      for (const value of ['portal admins', 'PORTAL ADMINS', 'pOrTaL aDmInS']) {
        const response = await t.scim.get(`/Groups?${filterQuery(`displayName eq "${value}"`)}`);
        assert.equal(response.status, 200);
        assert.equal(bodyOf(response)['totalResults'], 1, value);
        assert.equal((bodyOf(response)['Resources'] as Json[])[0]?.['id'], idOf(admins), value);
      }
    });

    it('includes members in listed groups unless excluded', async () => {
      const response = await t.scim.get(`/Groups?${filterQuery('displayName eq "Portal Admins"')}`);
      const [listed] = bodyOf(response)['Resources'] as Json[];
      assert.ok(listed);
      assert.deepEqual(sorted(membersOf(listed).map((member) => member.value)), sorted([idOf(alice), idOf(bob)]));
    });

    it('answers 200 with an empty ListResponse when no group matches', async () => {
      for (const filter of ['displayName eq "Nobody Here"', 'displayName eq "Portal"']) {
        const response = await t.scim.get(`/Groups?excludedAttributes=members&${filterQuery(filter)}`);
        assert.equal(response.status, 200);
        assert.equal(bodyOf(response)['totalResults'], 0, filter);
        assert.deepEqual(bodyOf(response)['Resources'], [], filter);
      }
    });

    it('filters with sw and co on displayName', async () => {
      const cases: Array<[string, number]> = [
        ['displayName sw "portal admins"', 2],
        ['displayName co "users"', 1],
        ['displayName sw "Portal" and displayName ew "Backup"', 1],
      ];
      for (const [filter, expected] of cases) {
        const response = await t.scim.get(`/Groups?excludedAttributes=members&${filterQuery(filter)}`);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.equal(bodyOf(response)['totalResults'], expected, filter);
      }
    });

    it('answers the Okta connection test GET /Groups?startIndex=1&count=100 with every group', async () => {
      const response = await t.scim.get('/Groups?startIndex=1&count=100');
      assert.equal(response.status, 200);
      assert.equal(bodyOf(response)['totalResults'], 3);
      assert.equal(bodyOf(response)['startIndex'], 1);
      assert.equal((bodyOf(response)['Resources'] as Json[]).length, 3);
    });
  });

  describe('GET /Users filtered by membership', () => {
    it('finds the members of a group with groups.value eq "<group id>"', async () => {
      const response = await t.scim.get(`/Users?${filterQuery(`groups.value eq "${idOf(admins)}"`)}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const ids = (bodyOf(response)['Resources'] as Json[]).map(idOf);
      assert.deepEqual(sorted(ids), sorted([idOf(alice), idOf(bob)]));
    });
  });
});
