import assert from 'node:assert/strict';
import { assertScimError, group, startTestApp, user, type TestApp } from '../support/app.js';
import { clientFor, issueToken } from '../security/helpers.js';

/**
 * "Is X a member of this group?": filters on a Group's `members` (what several IdPs and pulling apps
 * send), answered from the member's own document (membership lives on the member).
 */
describe('GET /Groups filtered by member (members[value eq], members.value eq, members eq)', () => {
  let t: TestApp;
  const ids: Record<string, string> = {};

  async function create(endpoint: '/Users' | '/Groups', body: Record<string, unknown>): Promise<string> {
    const response = await t.scim.post(endpoint).send(body);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return String(response.body.id);
  }

  before(async () => {
    t = await startTestApp('groups-member-filter');
    for (const name of ['alice', 'bob', 'carol']) ids[name] = await create('/Users', user(`${name}@example.com`));
    ids['engineering'] = await create('/Groups', group('Engineering', [ids['alice'] as string, ids['bob'] as string]));
    ids['everyone'] = await create('/Groups', group('Everyone', [ids['alice'] as string, ids['engineering'] as string]));
    ids['empty'] = await create('/Groups', group('Empty'));
  });
  after(async () => {
    await t.close();
  });

  async function groupNames(filter: string, extra: Record<string, string> = {}): Promise<string[]> {
    const response = await t.scim.get('/Groups').query({ filter, excludedAttributes: 'members', ...extra });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.totalResults, response.body.Resources.length);
    return (response.body.Resources as { displayName: string }[]).map((resource) => resource.displayName).sort();
  }

  const id = (name: string) => ids[name] as string;
  const cases: [string, () => string, string[]][] = [
    ['members[value eq] for a user in two groups', () => `members[value eq "${id('alice')}"]`, ['Engineering', 'Everyone']],
    ['members.value eq for a user in one group', () => `members.value eq "${id('bob')}"`, ['Engineering']],
    ['members eq (the value sub-attribute, RFC 7644 §3.4.2.2)', () => `members eq "${id('bob')}"`, ['Engineering']],
    ['the Group schema URN in front', () => `urn:ietf:params:scim:schemas:core:2.0:Group:members.value eq "${id('bob')}"`, ['Engineering']],
    ['a user in no group', () => `members[value eq "${id('carol')}"]`, []],
    ['a group that is a member of another', () => `members[value eq "${id('engineering')}"]`, ['Everyone']],
    ['an id that is nobody', () => 'members[value eq "00000000-0000-4000-8000-000000000000"]', []],
    ['ANDed with displayName eq (member present)', () => `displayName eq "engineering" and members[value eq "${id('alice')}"]`, ['Engineering']],
    ['ANDed with displayName eq (member absent)', () => `displayName eq "Everyone" and members.value eq "${id('bob')}"`, []],
    ['ANDed with id eq', () => `id eq "${id('everyone')}" and members eq "${id('engineering')}"`, ['Everyone']],
    ['two members, both required', () => `members.value eq "${id('alice')}" and members.value eq "${id('bob')}"`, ['Engineering']],
    ['either of two members (inside the brackets)', () => `members[value eq "${id('bob')}" or value eq "${id('engineering')}"]`, ['Engineering', 'Everyone']],
    ['or with another condition', () => `members.value eq "${id('bob')}" or displayName eq "Empty"`, ['Empty', 'Engineering']],
    ['not', () => `not (members[value eq "${id('bob')}"])`, ['Empty', 'Everyone']],
  ];
  for (const [label, filter, expected] of cases) {
    it(label, async () => {
      assert.deepEqual(await groupNames(filter()), expected);
    });
  }

  it('pages and counts within the matching groups, with the members included when asked', async () => {
    const response = await t.scim.get('/Groups').query({ filter: `members[value eq "${id('alice')}"]`, count: '1', sortBy: 'displayName' });
    assert.equal(response.body.totalResults, 2);
    assert.equal(response.body.Resources[0].displayName, 'Engineering');
    assert.deepEqual(response.body.Resources[0].members.map((member: { value: string }) => member.value).sort(), [id('alice'), id('bob')].sort());
  });

  it("never finds groups of another tenant, even with the other tenant's member ids", async () => {
    const other = clientFor(t.app, await issueToken(t.storage.credentials, 'other-tenant', 'other', ['scim:read', 'scim:write']));
    const theirs = (await other.post('/Users', user('dave@example.com'))).body.id as string;
    await other.post('/Groups', group('Theirs', [theirs]));
    assert.deepEqual(await groupNames(`members[value eq "${theirs}"]`), []);
    const seen = await other.get(`/Groups?filter=${encodeURIComponent(`members[value eq "${id('alice')}"]`)}`);
    assert.equal(seen.body.totalResults, 0);
    assert.equal((await other.get(`/Groups?filter=${encodeURIComponent(`members[value eq "${theirs}"]`)}`)).body.totalResults, 1);
  });

  it('follows membership changes', async () => {
    const patched = await t.scim.patch(`/Groups/${id('empty')}`).send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: id('carol') }] }] });
    assert.equal(patched.status, 204);
    assert.deepEqual(await groupNames(`members[value eq "${id('carol')}"]`), ['Empty']);
  });

  const refused = [
    'members[type eq "User"]',
    'members[value eq "x" and type eq "User"]',
    'members[value eq "x"].display eq "y"',
    'members.display eq "Alice"',
    'members.value ne "x"',
    'members pr',
    'members.value sw "x"',
  ];
  for (const filter of refused) {
    it(`answers 400 invalidFilter naming the supported forms for ${filter}`, async () => {
      const response = await t.scim.get('/Groups').query({ filter });
      assertScimError(response, 400, 'invalidFilter');
      assert.match(String(response.body.detail), /members\[value eq "<id>"\]/);
    });
  }
});
