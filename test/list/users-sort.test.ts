import assert from 'node:assert/strict';
import { ENTERPRISE, USER_SCHEMA, startTestApp, user, type TestApp } from '../support/app.js';
import { idsOf, list, listBody, namesOf, seedInOrder, sleep, type Created, type Query } from './list-helpers.js';

const DEPARTMENT = `${ENTERPRISE}:department`;

function person(userName: string, familyName: string | undefined, department: string | undefined, extra: Record<string, unknown>) {
  return user(userName, {
    schemas: department ? [USER_SCHEMA, ENTERPRISE] : [USER_SCHEMA],
    ...(familyName ? { name: { familyName } } : {}),
    ...(department ? { [ENTERPRISE]: { department } } : {}),
    ...extra,
  });
}

/** Seeded in this order, which is none of the sort orders below. */
const SEED = [
  person('carol', 'Chavez', 'Operations', { title: 'engineer', externalId: 'b-2' }),
  person('Alice', 'Adams', 'Sales', { title: 'Architect', externalId: 'B-1' }),
  person('eve', 'Evans', 'Engineering', { title: 'developer', externalId: 'a-3' }),
  person('bob', 'Brown', 'Marketing', { title: 'Manager', externalId: 'A-9', active: false }),
  person('Dave', 'Davis', 'Finance', { title: 'analyst' }),
  person('frank', undefined, undefined, { title: 'Tester', active: false }),
];
const CREATED_ORDER = ['carol', 'Alice', 'eve', 'bob', 'Dave', 'frank'];
const BY_USERNAME = ['Alice', 'bob', 'carol', 'Dave', 'eve', 'frank'];
const reversed = (names: string[]) => [...names].reverse();

describe('GET /Users sorting (RFC 7644 §3.4.2.3)', () => {
  let t: TestApp;
  let seeded: Created[];
  /** userNames in meta.lastModified order after carol and then Alice are replaced. */
  const BY_LAST_MODIFIED = ['eve', 'bob', 'Dave', 'frank', 'carol', 'Alice'];

  before(async () => {
    t = await startTestApp('list-users-sort');
    seeded = await seedInOrder(t, '/Users', SEED);
    await sleep(5);
    for (const index of [0, 1]) {
      const response = await t.scim.put(`/Users/${seeded[index]!.id}`).send({ ...SEED[index]!, displayName: 'replaced' });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      await sleep(5);
    }
  });

  after(async () => {
    await t.close();
  });

  async function sorted(query: Query): Promise<string[]> {
    const body = listBody(await list(t, '/Users', query));
    return namesOf(body);
  }

  type SortCase = [query: Query, expected: string[]];
  const CASES: SortCase[] = [
    [{ sortBy: 'userName' }, BY_USERNAME],
    [{ sortBy: 'userName', sortOrder: 'ascending' }, BY_USERNAME],
    [{ sortBy: 'userName', sortOrder: 'descending' }, reversed(BY_USERNAME)],
    [{ sortBy: 'userName', sortOrder: 'Descending' }, reversed(BY_USERNAME)],
    [{ sortBy: 'USERNAME' }, BY_USERNAME],
    [{ sortBy: `${USER_SCHEMA}:userName`, sortOrder: 'descending' }, reversed(BY_USERNAME)],
    [{ sortBy: 'name.familyName', filter: 'name.familyName pr' }, ['Alice', 'bob', 'carol', 'Dave', 'eve']],
    [{ sortBy: 'Name.FamilyName', filter: 'name.familyName pr', sortOrder: 'descending' }, ['eve', 'Dave', 'carol', 'bob', 'Alice']],
    [{ sortBy: 'meta.created' }, CREATED_ORDER],
    [{ sortBy: 'meta.created', sortOrder: 'descending' }, reversed(CREATED_ORDER)],
    [{ sortBy: 'meta.lastModified' }, BY_LAST_MODIFIED],
    [{ sortBy: 'meta.lastModified', sortOrder: 'descending' }, reversed(BY_LAST_MODIFIED)],
    [{ sortBy: DEPARTMENT, filter: `${DEPARTMENT} pr` }, ['eve', 'Dave', 'bob', 'carol', 'Alice']],
    [{ sortBy: DEPARTMENT.toUpperCase(), filter: `${DEPARTMENT} pr`, sortOrder: 'descending' }, ['Alice', 'carol', 'bob', 'Dave', 'eve']],
    // externalId is caseExact: upper case sorts before lower case (code point order).
    [{ sortBy: 'externalId', filter: 'externalId pr' }, ['bob', 'Alice', 'eve', 'carol']],
    [{ sortBy: 'userName', filter: 'active eq true', sortOrder: 'descending' }, ['eve', 'Dave', 'carol', 'Alice']],
    // sortOrder alone does not change the default order (created, then id).
    [{ sortOrder: 'descending' }, CREATED_ORDER],
    [{ sortBy: '' }, CREATED_ORDER],
  ];

  for (const [query, expected] of CASES) {
    it(`${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()} → [${expected.join(', ')}]`, async () => {
      assert.deepEqual(await sorted(query), expected);
    });
  }

  it('sortBy=userName is case-insensitive: "bob" sorts before "carol" and after "Alice"', async () => {
    const names = await sorted({ sortBy: 'userName' });
    assert.ok(names.indexOf('Alice') < names.indexOf('bob'));
    assert.ok(names.indexOf('bob') < names.indexOf('carol'));
    assert.ok(names.indexOf('carol') < names.indexOf('Dave'));
  });

  it('sortBy=id orders by id', async () => {
    const body = listBody(await list(t, '/Users', { sortBy: 'id' }));
    assert.deepEqual(idsOf(body), seeded.map((created) => created.id).sort());
  });

  describe('combined with paging (§3.4.2.4)', () => {
    const PAGES: SortCase[] = [
      [{ sortBy: 'userName', startIndex: 1, count: 2 }, ['Alice', 'bob']],
      [{ sortBy: 'userName', startIndex: 3, count: 2 }, ['carol', 'Dave']],
      [{ sortBy: 'userName', startIndex: 5, count: 2 }, ['eve', 'frank']],
      [{ sortBy: 'userName', startIndex: 2, count: 2, sortOrder: 'descending' }, ['eve', 'Dave']],
      [{ sortBy: 'meta.lastModified', startIndex: 4, count: 10 }, ['frank', 'carol', 'Alice']],
      [{ sortBy: 'userName', filter: 'active eq true', startIndex: 2, count: 2 }, ['carol', 'Dave']],
      [{ sortBy: 'userName', startIndex: 7, count: 2 }, []],
    ];

    for (const [query, expected] of PAGES) {
      it(`${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()} → [${expected.join(', ')}]`, async () => {
        const body = listBody(await list(t, '/Users', query));
        assert.deepEqual(namesOf(body), expected);
        assert.equal(body.startIndex, query['startIndex']);
        assert.equal(body.totalResults, query['filter'] ? 4 : SEED.length);
      });
    }

    it('ties (sortBy=active) are broken deterministically: pages of 2 cover every user exactly once', async () => {
      for (const sortOrder of ['ascending', 'descending']) {
        const walked: string[] = [];
        for (let startIndex = 1; startIndex <= SEED.length; startIndex += 2) {
          walked.push(...namesOf(listBody(await list(t, '/Users', { sortBy: 'active', sortOrder, startIndex, count: 2 }))));
        }
        assert.equal(new Set(walked).size, SEED.length, walked.join());
        const inactive = ['bob', 'frank'];
        const firstTwo = walked.slice(0, 2).sort();
        if (sortOrder === 'ascending') assert.deepEqual(firstTwo, inactive);
        else assert.deepEqual(walked.slice(4).sort(), inactive);
      }
    });
  });

  describe('RFC 7644 §3.4.2.3 string and missing-value rules', () => {
    it('sorts caseExact=false attributes case-insensitively (sortBy=title)', async () => {
      assert.deepEqual(await sorted({ sortBy: 'title' }), ['Dave', 'Alice', 'eve', 'carol', 'bob', 'frank']);
    });

    it('puts resources without the attribute last when ascending and first when descending', async () => {
      assert.deepEqual(await sorted({ sortBy: 'name.familyName' }), ['Alice', 'bob', 'carol', 'Dave', 'eve', 'frank']);
      assert.deepEqual(await sorted({ sortBy: 'name.familyName', sortOrder: 'descending' }), ['frank', 'eve', 'Dave', 'carol', 'bob', 'Alice']);
    });
  });
});
