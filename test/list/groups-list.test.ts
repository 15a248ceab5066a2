import assert from 'node:assert/strict';
import { assertScimError, group, startTestApp, user, type TestApp } from '../support/app.js';
import { idsOf, list, listBody, namesOf, seedInOrder, type Created } from './list-helpers.js';

/** Seeded in this order; expectations list displayNames in this (default, creation) order. */
const NAMES = [
  'Engineers',
  'engineering-leads',
  'Sales',
  'Sales EMEA',
  'Admins (global)',
  'Marketing',
  'a.b team',
  'axb team',
  'Support',
  'Finance',
  'HR',
  'Legal',
];
const displayNames = (body: ReturnType<typeof listBody>) => namesOf(body, 'displayName');

describe('GET /Groups listing', () => {
  let t: TestApp;
  let groups: Created[];
  let members: Created[];

  before(async () => {
    t = await startTestApp('list-groups');
    members = await seedInOrder(t, '/Users', [user('member-1'), user('member-2')]);
    const bodies = NAMES.map((name, index) => ({
      ...group(name, index === 0 ? members.map((member) => member.id) : []),
      ...(index < 3 ? { externalId: `ext-${name}` } : {}),
    }));
    groups = await seedInOrder(t, '/Groups', bodies);
  });

  after(async () => {
    await t.close();
  });

  describe('filtering (RFC 7644 §3.4.2.2)', () => {
    const CASES: Array<[filter: string, expected: string[]]> = [
      ['displayName eq "Sales"', ['Sales']],
      ['displayName eq "sales"', ['Sales']],
      ['DisplayName EQ "ENGINEERS"', ['Engineers']],
      ['displayName eq "Nobody"', []],
      ['displayName ne "Sales"', NAMES.filter((name) => name !== 'Sales')],
      ['displayName co "sales"', ['Sales', 'Sales EMEA']],
      ['displayName co "TEAM"', ['a.b team', 'axb team']],
      ['displayName co "a.b"', ['a.b team']],
      ['displayName co "("', ['Admins (global)']],
      ['displayName eq "Admins (global)"', ['Admins (global)']],
      ['displayName sw "eng"', ['Engineers', 'engineering-leads']],
      ['displayName ew "S"', ['Engineers', 'engineering-leads', 'Sales']],
      ['displayName gt "s"', ['Sales', 'Sales EMEA', 'Support']],
      ['displayName lt "B"', ['Admins (global)', 'a.b team', 'axb team']],
      ['displayName pr', NAMES],
      ['displayName sw "Sales" and not (displayName co "EMEA")', ['Sales']],
      ['displayName eq "HR" or displayName eq "Legal"', ['HR', 'Legal']],
      ['externalId eq "ext-Sales"', ['Sales']],
      ['externalId eq "ext-sales"', []],
      ['externalId pr', ['Engineers', 'engineering-leads', 'Sales']],
    ];

    for (const [filter, expected] of CASES) {
      it(`${filter} → [${expected.join(', ')}]`, async () => {
        const body = listBody(await list(t, '/Groups', { filter }));
        assert.deepEqual(displayNames(body), expected);
        assert.equal(body.totalResults, expected.length);
        assert.equal(body.startIndex, 1);
      });
    }

    it('id eq finds one group', async () => {
      const body = listBody(await list(t, '/Groups', { filter: `id eq "${groups[4]!.id}"` }));
      assert.deepEqual(displayNames(body), ['Admins (global)']);
    });

    it('compares meta.created and meta.lastModified with the first group\'s real timestamps', async () => {
      const engineers = listBody(await list(t, '/Groups', { filter: 'displayName eq "Engineers"' })).Resources[0]!;
      const meta = engineers['meta'] as { created: string; lastModified: string };
      const after = listBody(await list(t, '/Groups', { filter: `meta.created ge "${meta.created}"` }));
      assert.deepEqual(displayNames(after), NAMES);
      const before = listBody(await list(t, '/Groups', { filter: `meta.created lt "${meta.created}"` }));
      assert.deepEqual(displayNames(before), []);
      const modified = listBody(await list(t, '/Groups', { filter: `meta.lastModified ge "${meta.created}" and displayName sw "S"` }));
      assert.deepEqual(displayNames(modified), ['Sales', 'Sales EMEA', 'Support']);
    });

    it('lists members by default and omits them with excludedAttributes=members', async () => {
      const withMembers = listBody(await list(t, '/Groups', { filter: 'displayName eq "Engineers"' }));
      const listed = (withMembers.Resources[0]!['members'] as Array<{ value: string }>).map((member) => member.value).sort();
      assert.deepEqual(listed, members.map((member) => member.id).sort());
      const without = listBody(await list(t, '/Groups', { filter: 'displayName eq "Engineers"', excludedAttributes: 'members' }));
      assert.equal('members' in without.Resources[0]!, false);
    });

    for (const filter of ['displayName', 'displayName eq', 'userName eq "x"', 'displayName zz "x"', 'displayName eq "x" or', '(displayName eq "x"', 'active eq true']) {
      it(`rejects ${filter} with 400 invalidFilter`, async () => {
        assertScimError(await list(t, '/Groups', { filter }), 400, 'invalidFilter');
      });
    }
  });

  describe('paging (RFC 7644 §3.4.2.4)', () => {
    it('without parameters returns all groups in creation order with exact totals', async () => {
      const body = listBody(await list(t, '/Groups'));
      assert.equal(body.totalResults, NAMES.length);
      assert.equal(body.itemsPerPage, NAMES.length);
      assert.deepEqual(displayNames(body), NAMES);
      assert.deepEqual(idsOf(body), groups.map((created) => created.id));
    });

    const PAGES: Array<[startIndex: number, count: number, expected: string[]]> = [
      [1, 5, NAMES.slice(0, 5)],
      [6, 5, NAMES.slice(5, 10)],
      [11, 5, NAMES.slice(10)],
      [12, 5, ['Legal']],
      [13, 5, []],
      [5, 1, ['Admins (global)']],
      [0, 2, NAMES.slice(0, 2)],
      [1, 0, []],
    ];

    for (const [startIndex, count, expected] of PAGES) {
      it(`startIndex=${startIndex}&count=${count} → ${expected.length} group(s), totalResults ${NAMES.length}`, async () => {
        const body = listBody(await list(t, '/Groups', { startIndex, count }));
        assert.equal(body.totalResults, NAMES.length);
        assert.equal(body.startIndex, Math.max(1, startIndex));
        assert.deepEqual(displayNames(body), expected);
      });
    }

    it('the Okta test connection GET /Groups?startIndex=1&count=100 returns every group', async () => {
      const body = listBody(await list(t, '/Groups', { startIndex: 1, count: 100 }));
      assert.equal(body.totalResults, NAMES.length);
      assert.deepEqual(displayNames(body), NAMES);
    });

    it('walking pages of 5 covers every group exactly once', async () => {
      const walked: string[] = [];
      for (let startIndex = 1; startIndex <= NAMES.length; startIndex += 5) {
        walked.push(...idsOf(listBody(await list(t, '/Groups', { startIndex, count: 5, excludedAttributes: 'members' }))));
      }
      assert.deepEqual(walked, groups.map((created) => created.id));
    });

    it('filter and paging: displayName co "a" page 2 of 3 with the filtered total', async () => {
      const matching = NAMES.filter((name) => name.toLowerCase().includes('a'));
      const body = listBody(await list(t, '/Groups', { filter: 'displayName co "A"', startIndex: 4, count: 3 }));
      assert.equal(body.totalResults, matching.length);
      assert.equal(body.startIndex, 4);
      assert.deepEqual(displayNames(body), matching.slice(3, 6));
    });
  });

  describe('sorting (RFC 7644 §3.4.2.3)', () => {
    const caseInsensitive = [...NAMES].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));

    it('sortBy=displayName is case-insensitive, ascending and descending', async () => {
      assert.deepEqual(displayNames(listBody(await list(t, '/Groups', { sortBy: 'displayName' }))), caseInsensitive);
      assert.deepEqual(displayNames(listBody(await list(t, '/Groups', { sortBy: 'displayName', sortOrder: 'descending' }))), [...caseInsensitive].reverse());
    });

    it('sortBy=displayName with paging: page 2 of size 4', async () => {
      const body = listBody(await list(t, '/Groups', { sortBy: 'displayName', startIndex: 5, count: 4 }));
      assert.deepEqual(displayNames(body), caseInsensitive.slice(4, 8));
    });

    it('rejects sortBy on an unknown attribute with 400 invalidValue', async () => {
      assertScimError(await list(t, '/Groups', { sortBy: 'userName' }), 400, 'invalidValue');
    });
  });
});
