import assert from 'node:assert/strict';
import { assertScimError, group, startTestApp, type TestApp } from '../support/app.js';
import { bodyOf, createGroup, createUser, idOf, storedGroupCount, storedGroupVersion, storedMemberIds, storedUserGroupIds, type Json } from './helpers.js';

describe('Group displayName uniqueness (RFC 7644 §3.3, §3.5.1: 409 uniqueness)', () => {
  let t: TestApp;
  let member: Json;

  before(async () => {
    t = await startTestApp('groups-uniqueness');
    member = await createUser(t, 'member@example.com');
  });

  after(() => t.close());

  describe('POST /Groups', () => {
    it('rejects an exact or case-variant duplicate displayName with 409 uniqueness and stores nothing', async () => {
      const original = await createGroup(t, 'Sales Team');
      const duplicates = ['Sales Team', 'sales team', 'SALES TEAM', 'sAlEs TeAm'];
      for (const displayName of duplicates) {
        const before = await storedGroupCount(t);
        const memberGroups = await storedUserGroupIds(t, idOf(member));
        const response = await t.scim.post('/Groups').send(group(displayName, [idOf(member)]));
        assertScimError(response, 409, 'uniqueness');
        assert.equal(await storedGroupCount(t), before, `${displayName}: no group was created`);
        assert.deepEqual(await storedUserGroupIds(t, idOf(member)), memberGroups, `${displayName}: no membership was added`);
      }
      const stored = await t.storage.groups.get(t.config.defaultTenant, idOf(original));
      assert.equal(stored?.attributes['displayName'], 'Sales Team');
      assert.equal(stored?.version, 1);
    });

    it('lets exactly one of several concurrent POSTs of case variants of a name win', async () => {
      const variants = ['Race Name', 'race name', 'RACE NAME', 'Race name', 'rAcE nAmE'];
      const before = await storedGroupCount(t);
      const responses = await Promise.all(variants.map((displayName) => t.scim.post('/Groups').send(group(displayName, [idOf(member)]))));
      const winners = responses.filter((response) => response.status === 201);
      assert.equal(winners.length, 1, responses.map((response) => response.status).join(','));
      for (const response of responses.filter((candidate) => candidate.status !== 201)) assertScimError(response, 409, 'uniqueness');
      assert.equal(await storedGroupCount(t), before + 1);
      const memberGroups = await storedUserGroupIds(t, idOf(member));
      assert.ok(memberGroups.includes(idOf(bodyOf(winners[0]!))), 'the winner got its member');
      const lookup = await t.scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "race name"')}`);
      assert.equal(bodyOf(lookup)['totalResults'], 1);
    });

    it('lets the name be taken again once the group holding it is deleted', async () => {
      const first = await createGroup(t, 'Recycled Name');
      assert.equal((await t.scim.delete(`/Groups/${idOf(first)}`)).status, 204);
      const response = await t.scim.post('/Groups').send(group('RECYCLED NAME'));
      assert.equal(response.status, 201, JSON.stringify(response.body));
    });

    it('does not confuse a group displayName with a userName (uniqueness is per resource type)', async () => {
      const response = await t.scim.post('/Groups').send(group('member@example.com'));
      assert.equal(response.status, 201, JSON.stringify(response.body));
    });
  });

  describe('PUT /Groups/{id}', () => {
    it('rejects a rename to a name another group holds, in any case, with 409 and leaves the group unchanged', async () => {
      await createGroup(t, 'Taken Name');
      const renamed = await createGroup(t, 'Free Name', [idOf(member)]);
      const version = await storedGroupVersion(t, idOf(renamed));
      for (const displayName of ['Taken Name', 'taken name', 'TAKEN NAME']) {
        const response = await t.scim.put(`/Groups/${idOf(renamed)}`).send(group(displayName, []));
        assertScimError(response, 409, 'uniqueness');
        const stored = await t.storage.groups.get(t.config.defaultTenant, idOf(renamed));
        assert.equal(stored?.attributes['displayName'], 'Free Name', `${displayName}: name unchanged`);
        assert.equal(stored?.version, version, `${displayName}: version unchanged`);
        assert.deepEqual(await storedMemberIds(t, idOf(renamed)), [idOf(member)], `${displayName}: members unchanged`);
      }
      const get = await t.scim.get(`/Groups/${idOf(renamed)}`);
      assert.equal(bodyOf(get)['displayName'], 'Free Name');
    });

    it('allows a group to change the case of its own name', async () => {
      const own = await createGroup(t, 'case change');
      const response = await t.scim.put(`/Groups/${idOf(own)}`).send(group('Case Change'));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(bodyOf(response)['displayName'], 'Case Change');
    });

    it('frees the old name after a rename', async () => {
      const renamed = await createGroup(t, 'Old Name');
      assert.equal((await t.scim.put(`/Groups/${idOf(renamed)}`).send(group('New Name'))).status, 200);
      const response = await t.scim.post('/Groups').send(group('old name'));
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assertScimError(await t.scim.post('/Groups').send(group('new name')), 409, 'uniqueness');
    });
  });
});
