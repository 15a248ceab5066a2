import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { group, startTestApp, user, type TestApp } from '../support/app.js';
import { list, listBody, namesOf, seedInOrder, type Created } from './list-helpers.js';

/** The lookups Okta and Microsoft Entra ID send before they create or update (see shared notes). */
describe('GET /Users lookups sent by Okta and Entra (RFC 7644 §3.4.2.2)', () => {
  let t: TestApp;
  let users: Created[];
  let engineers: Created;
  let managers: Created;

  before(async () => {
    t = await startTestApp('list-idp-lookups');
    users = await seedInOrder(t, '/Users', [
      user('jyoung@example.com', { externalId: 'jyoung', emails: [{ value: 'jyoung@corp.example', type: 'work' }] }),
      user('Kim.Lee@Example.com', { externalId: '00123' }),
      user('a+b@example.com', { externalId: 'E-42' }),
      user("o'brien@example.com", { active: false }),
      user('nogroups@example.com', { displayName: 'Jörg Ärger' }),
    ]);
    const [jyoung, kim, plus, obrien] = users as [Created, Created, Created, Created];
    const groups = await seedInOrder(t, '/Groups', [
      group('Engineers', [jyoung.id, kim.id, obrien.id]),
      group('Managers', [kim.id, plus.id]),
    ]);
    engineers = groups[0]!;
    managers = groups[1]!;
  });

  after(async () => {
    await t.close();
  });

  function expectEmpty(body: ReturnType<typeof listBody>): void {
    assert.equal(body.totalResults, 0);
    assert.equal(body.startIndex, 1);
    assert.equal(body.itemsPerPage, 0);
    assert.deepEqual(body.Resources, []);
  }

  describe('Okta', () => {
    it('userName eq for an absent user with startIndex=1&count=100 is 200 with an empty ListResponse', async () => {
      const body = listBody(await list(t, '/Users', { filter: 'userName eq "absent@example.com"', startIndex: 1, count: 100 }));
      expectEmpty(body);
    });

    it('userName eq for a present user returns exactly that user', async () => {
      const body = listBody(await list(t, '/Users', { filter: 'userName eq "jyoung@example.com"', startIndex: 1, count: 100 }));
      assert.equal(body.totalResults, 1);
      assert.equal(body.Resources[0]?.id, users[0]!.id);
    });

    it('an upper-cased userName lookup finds the user and returns its stored case', async () => {
      const body = listBody(await list(t, '/Users', { filter: 'userName eq "KIM.LEE@EXAMPLE.COM"', startIndex: 1, count: 100 }));
      assert.deepEqual(namesOf(body), ['Kim.Lee@Example.com']);
    });

    it('finds userNames containing "+" and an apostrophe when they are percent-encoded', async () => {
      for (const name of ['a+b@example.com', "o'brien@example.com"]) {
        const body = listBody(await list(t, '/Users', { filter: `userName eq "${name}"` }));
        assert.deepEqual(namesOf(body), [name]);
      }
    });

    it('matches non-ASCII values case-insensitively (userName, and displayName via regex)', async () => {
      const byName = listBody(await list(t, '/Users', { filter: 'displayName eq "JÖRG ÄRGER"' }));
      assert.deepEqual(namesOf(byName), ['nogroups@example.com']);
      const bySubstring = listBody(await list(t, '/Users', { filter: 'displayName co "ärger"' }));
      assert.deepEqual(namesOf(bySubstring), ['nogroups@example.com']);
    });

    it('accepts "+" as the space in a form-encoded query string', async () => {
      const body = listBody(await t.scim.get('/Users?filter=userName+eq+%22jyoung%40example.com%22&startIndex=1&count=100'));
      assert.deepEqual(namesOf(body), ['jyoung@example.com']);
    });

    it('test connection: startIndex=1&count=2 returns the first two users and the full total', async () => {
      const body = listBody(await list(t, '/Users', { startIndex: 1, count: 2 }));
      assert.equal(body.totalResults, users.length);
      assert.equal(body.itemsPerPage, 2);
      assert.deepEqual(namesOf(body), ['jyoung@example.com', 'Kim.Lee@Example.com']);
    });

    it('returns deactivated users to a lookup (Okta never deletes, it deactivates)', async () => {
      const body = listBody(await list(t, '/Users', { filter: 'userName eq "O\'BRIEN@example.com"' }));
      assert.equal(body.Resources[0]?.['active'], false);
    });
  });

  describe('Microsoft Entra ID', () => {
    it('test connection looks up a random GUID userName: 200 with an empty ListResponse', async () => {
      const body = listBody(await list(t, '/Users', { filter: `userName eq "${randomUUID()}"` }));
      expectEmpty(body);
    });

    const EXTERNAL_ID_CASES: Array<[filter: string, expected: string[]]> = [
      ['externalId eq "jyoung"', ['jyoung@example.com']],
      ['externalId eq jyoung', ['jyoung@example.com']],
      ['externalId eq "00123"', ['Kim.Lee@Example.com']],
      ['externalId eq 00123', ['Kim.Lee@Example.com']],
      ['externalId eq "123"', []],
      ['externalId eq E-42', ['a+b@example.com']],
      ['externalId eq "e-42"', []],
      ['externalId eq "JYOUNG"', []],
      [`externalId eq "${randomUUID()}"`, []],
    ];

    for (const [filter, expected] of EXTERNAL_ID_CASES) {
      it(`matches by ${filter} → [${expected.join(', ')}]`, async () => {
        const body = listBody(await list(t, '/Users', { filter }));
        assert.deepEqual(namesOf(body), expected);
        assert.equal(body.totalResults, expected.length);
      });
    }

    it('matches on emails[type eq "work"].value eq when that is the matching attribute', async () => {
      const body = listBody(await list(t, '/Users', { filter: 'emails[type eq "work"].value eq "jyoung@corp.example"' }));
      assert.deepEqual(namesOf(body), ['jyoung@example.com']);
    });

    it('the pulling client: lowercase startindex=0 is treated as 1 and mixed-case attribute names work', async () => {
      const body = listBody(await t.scim.get('/Users').query({ filter: '(ActiVe eq true) and (meta.lastModified ge "2000-01-01T00:00:00Z")', startindex: 0, count: 2 }));
      assert.equal(body.startIndex, 1);
      assert.equal(body.totalResults, 4);
      assert.deepEqual(namesOf(body), ['jyoung@example.com', 'Kim.Lee@Example.com']);
    });

    it('GET /Groups?excludedAttributes=members&filter=displayName eq … returns the group without members', async () => {
      const body = listBody(await list(t, '/Groups', { excludedAttributes: 'members', filter: 'displayName eq "engineers"' }));
      assert.equal(body.totalResults, 1);
      assert.equal(body.Resources[0]?.id, engineers.id);
      assert.equal(body.Resources[0]?.['displayName'], 'Engineers');
      assert.equal('members' in body.Resources[0]!, false);
    });
  });

  describe('group membership from the user side: groups.value', () => {
    it('groups.value eq "<groupId>" returns exactly the direct members of that group', async () => {
      const engineerBody = listBody(await list(t, '/Users', { filter: `groups.value eq "${engineers.id}"` }));
      assert.deepEqual(namesOf(engineerBody), ['jyoung@example.com', 'Kim.Lee@Example.com', "o'brien@example.com"]);
      const managerBody = listBody(await list(t, '/Users', { filter: `groups.value eq "${managers.id}"` }));
      assert.deepEqual(namesOf(managerBody), ['Kim.Lee@Example.com', 'a+b@example.com']);
    });

    it('groups eq "<groupId>" compares the value sub-attribute', async () => {
      const body = listBody(await list(t, '/Users', { filter: `groups eq "${managers.id}"` }));
      assert.deepEqual(namesOf(body), ['Kim.Lee@Example.com', 'a+b@example.com']);
    });

    it('combines group membership with other tests', async () => {
      const both = listBody(await list(t, '/Users', { filter: `groups.value eq "${engineers.id}" and groups.value eq "${managers.id}"` }));
      assert.deepEqual(namesOf(both), ['Kim.Lee@Example.com']);
      const activeEngineers = listBody(await list(t, '/Users', { filter: `groups.value eq "${engineers.id}" and active eq true` }));
      assert.deepEqual(namesOf(activeEngineers), ['jyoung@example.com', 'Kim.Lee@Example.com']);
      const notEngineers = listBody(await list(t, '/Users', { filter: `not (groups.value eq "${engineers.id}")` }));
      assert.deepEqual(namesOf(notEngineers), ['a+b@example.com', 'nogroups@example.com']);
    });

    it('groups pr is true only for users in at least one group; an unknown group id matches nobody', async () => {
      const members = listBody(await list(t, '/Users', { filter: 'groups pr' }));
      assert.deepEqual(namesOf(members), ['jyoung@example.com', 'Kim.Lee@Example.com', 'a+b@example.com', "o'brien@example.com"]);
      const nobody = listBody(await list(t, '/Users', { filter: `groups.value eq "${randomUUID()}"` }));
      expectEmpty(nobody);
    });

    it('each returned user lists the group in its groups attribute', async () => {
      const body = listBody(await list(t, '/Users', { filter: `groups.value eq "${managers.id}"` }));
      for (const resource of body.Resources) {
        const groups = resource['groups'] as Array<{ value: string; display?: string }>;
        assert.ok(groups.some((ref) => ref.value === managers.id && ref.display === 'Managers'), JSON.stringify(resource));
      }
    });
  });
});
