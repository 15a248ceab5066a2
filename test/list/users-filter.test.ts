import assert from 'node:assert/strict';
import { ENTERPRISE, USER_SCHEMA, assertScimError, startTestApp, user, type TestApp } from '../support/app.js';
import { idsOf, list, listBody, namesOf, seedInOrder, type Created } from './list-helpers.js';

const DEPARTMENT = `${ENTERPRISE}:department`;

/** Seeded in this order; every expectation below lists userNames in this (default, creation) order. */
const SEED = [
  user('alice', {
    schemas: [USER_SCHEMA, ENTERPRISE],
    displayName: 'Alice Anderson',
    title: 'Engineer',
    name: { givenName: 'Alice', familyName: 'Anderson' },
    externalId: 'abc',
    emails: [
      { value: 'alice@example.com', type: 'work', primary: true },
      { value: 'alice@home.net', type: 'home' },
    ],
    [ENTERPRISE]: { department: 'Sales', employeeNumber: '1001' },
  }),
  user('Bob', {
    schemas: [USER_SCHEMA, ENTERPRISE],
    active: false,
    displayName: 'Bob Brown',
    title: 'Manager',
    name: { givenName: 'Bob', familyName: 'Brown' },
    externalId: 'ABC',
    emails: [{ value: 'bob@corp.com', type: 'work' }],
    [ENTERPRISE]: { department: 'Engineering' },
  }),
  user('a.b', {
    displayName: 'A Dot B',
    title: 'Engineer II',
    name: { familyName: 'Dotson' },
    externalId: 'jyoung',
    emails: [{ value: 'ab@corp.com', type: 'home' }],
  }),
  user('axb', {
    schemas: [USER_SCHEMA, ENTERPRISE],
    displayName: 'Axb',
    title: 'Senior engineer',
    externalId: '007',
    emails: [{ value: 'axb@example.com', type: 'work' }],
    [ENTERPRISE]: { department: 'sales' },
  }),
  user('(x'),
  user('carol', {
    displayName: 'Carol "CJ" Jones',
    title: 'Manager',
    name: { familyName: 'Jones' },
    externalId: 'x-9',
    emails: [{ value: 'carol@corp.com', type: 'work' }],
  }),
];

const ALL = ['alice', 'Bob', 'a.b', 'axb', '(x', 'carol'];
const except = (...names: string[]) => ALL.filter((name) => !names.includes(name));

type Case = [filter: string, expected: string[]];

describe('GET /Users filtering (RFC 7644 §3.4.2.2)', () => {
  let t: TestApp;
  let seeded: Created[];

  before(async () => {
    t = await startTestApp('list-users-filter');
    seeded = await seedInOrder(t, '/Users', SEED);
  });

  after(async () => {
    await t.close();
  });

  async function expectMatches(filter: string, expected: string[]): Promise<void> {
    const body = listBody(await list(t, '/Users', { filter }));
    const context = `filter ${filter}`;
    assert.deepEqual(namesOf(body), expected, context);
    assert.equal(body.totalResults, expected.length, context);
    assert.equal(body.startIndex, 1, context);
    assert.equal(body.itemsPerPage, expected.length, context);
  }

  function table(title: string, cases: Case[]): void {
    describe(title, () => {
      for (const [filter, expected] of cases) {
        it(`${filter} → [${expected.join(', ')}]`, () => expectMatches(filter, expected));
      }
    });
  }

  it('without a filter returns every user in creation order', async () => {
    const body = listBody(await list(t, '/Users'));
    assert.deepEqual(namesOf(body), ALL);
    assert.deepEqual(idsOf(body), seeded.map((created) => created.id));
    assert.equal(body.totalResults, ALL.length);
  });

  it('an empty filter parameter is the same as no filter', async () => {
    const body = listBody(await list(t, '/Users', { filter: '' }));
    assert.deepEqual(namesOf(body), ALL);
  });

  table('every operator on userName (caseExact false: compared lower-cased, stored case preserved)', [
    ['userName eq "alice"', ['alice']],
    ['userName eq "ALICE"', ['alice']],
    ['userName eq "bob"', ['Bob']],
    ['userName ne "alice"', except('alice')],
    ['userName ne "BOB"', except('Bob')],
    ['userName co "A"', ['alice', 'a.b', 'axb', 'carol']],
    ['userName sw "B"', ['Bob']],
    ['userName ew "B"', ['Bob', 'a.b', 'axb']],
    ['userName gt "b"', ['Bob', 'carol']],
    ['userName ge "BOB"', ['Bob', 'carol']],
    ['userName lt "B"', ['alice', 'a.b', 'axb', '(x']],
    ['userName le "ALICE"', ['alice', 'a.b', '(x']],
    ['userName pr', ALL],
    ['userName eq "nobody"', []],
  ]);

  table('operators on displayName, title and name.familyName (caseExact false)', [
    ['displayName eq "bob brown"', ['Bob']],
    ['displayName ne "Axb"', except('axb')],
    ['displayName co "AND"', ['alice']],
    ['displayName sw "a"', ['alice', 'a.b', 'axb']],
    ['displayName ew "BROWN"', ['Bob']],
    ['displayName pr', except('(x')],
    ['title eq "engineer"', ['alice']],
    ['title co "ENGINEER"', ['alice', 'a.b', 'axb']],
    ['title sw "Engineer"', ['alice', 'a.b']],
    ['title ew "er"', ['alice', 'Bob', 'axb', 'carol']],
    ['title pr', except('(x')],
    ['name.familyName eq "anderson"', ['alice']],
    ['name.familyName sw "do"', ['a.b']],
    ['name.familyName co "O"', ['alice', 'Bob', 'a.b', 'carol']],
    ['name.familyName ew "SON"', ['alice', 'a.b']],
    ['name.familyName pr', ['alice', 'Bob', 'a.b', 'carol']],
    ['name.givenName eq "alice"', ['alice']],
  ]);

  table('externalId is caseExact: only the exact case matches, ordering is by code point', [
    ['externalId eq "ABC"', ['Bob']],
    ['externalId eq "abc"', ['alice']],
    ['externalId eq "Abc"', []],
    ['externalId ne "abc"', except('alice')],
    ['externalId co "b"', ['alice']],
    ['externalId co "B"', ['Bob']],
    ['externalId sw "A"', ['Bob']],
    ['externalId ew "9"', ['carol']],
    ['externalId gt "abc"', ['a.b', 'carol']],
    ['externalId ge "jyoung"', ['a.b', 'carol']],
    ['externalId lt "a"', ['Bob', 'axb']],
    ['externalId le "ABC"', ['Bob', 'axb']],
    ['externalId pr', except('(x')],
  ]);

  table('booleans: active, including the string forms Entra sends', [
    ['active eq true', except('Bob')],
    ['active eq false', ['Bob']],
    ['active eq "False"', ['Bob']],
    ['active eq False', ['Bob']],
    ['active eq "true"', except('Bob')],
    ['active ne true', ['Bob']],
    ['active ne false', except('Bob')],
    ['active pr', ALL],
  ]);

  table('enterprise extension attributes by their URN', [
    [`${DEPARTMENT} eq "Sales"`, ['alice', 'axb']],
    [`${DEPARTMENT} eq "SALES"`, ['alice', 'axb']],
    [`${DEPARTMENT} co "eng"`, ['Bob']],
    [`${DEPARTMENT} sw "S"`, ['alice', 'axb']],
    [`${DEPARTMENT} ne "sales"`, ['Bob', 'a.b', '(x', 'carol']],
    [`${DEPARTMENT} pr`, ['alice', 'Bob', 'axb']],
    [`${ENTERPRISE}:employeeNumber eq "1001"`, ['alice']],
    [`${ENTERPRISE.toUpperCase()}:DEPARTMENT eq "sales"`, ['alice', 'axb']],
    [`${USER_SCHEMA}:userName eq "alice"`, ['alice']],
    [`${DEPARTMENT} eq "Sales" and active eq true`, ['alice', 'axb']],
  ]);

  table('multi-valued complex attributes: emails, by dotted path', [
    ['emails.value co "@example.com"', ['alice', 'axb']],
    ['emails.value eq "ALICE@EXAMPLE.COM"', ['alice']],
    ['emails.value ew "@corp.com"', ['Bob', 'a.b', 'carol']],
    ['emails.type eq "home"', ['alice', 'a.b']],
    ['emails eq "bob@corp.com"', ['Bob']],
    ['emails co "@corp.com"', ['Bob', 'a.b', 'carol']],
    ['emails pr', except('(x')],
    // Separate tests on a multi-valued attribute may be satisfied by different elements.
    ['emails.type eq "work" and emails.value eq "alice@home.net"', ['alice']],
  ]);

  table('multi-valued complex attributes: emails, by value filter [...] (one element must satisfy all of it)', [
    ['emails[type eq "work" and value ew "@corp.com"]', ['Bob', 'carol']],
    ['emails[type eq "work"].value eq "alice@example.com"', ['alice']],
    ['emails[type eq "work"].value eq "bob@corp.com"', ['Bob']],
    // alice's home address is not a work address: the value filter applies to ONE element.
    ['emails[type eq "work"].value eq "alice@home.net"', []],
    ['emails[type eq "work" and value eq "alice@home.net"]', []],
    ['emails[not (type eq "work")]', ['alice', 'a.b']],
    ['emails[value sw "AXB"]', ['axb']],
    ['emails[primary eq true]', ['alice']],
    ['emails[type eq "home"] or userName eq "carol"', ['alice', 'a.b', 'carol']],
    ['EMAILS[TYPE EQ "work" AND VALUE EW "@corp.com"]', ['Bob', 'carol']],
    ['Emails[Type eq "work"].Value eq "bob@corp.com"', ['Bob']],
  ]);

  table('and / or / not, parentheses and precedence (not > and > or)', [
    ['userName eq "alice" or userName eq "Bob"', ['alice', 'Bob']],
    ['userName sw "a" and active eq true', ['alice', 'a.b', 'axb']],
    // "and" binds tighter than "or": alice or (axb and inactive); left-to-right would give nothing.
    ['userName eq "alice" or userName eq "axb" and active eq false', ['alice']],
    ['userName eq "axb" and active eq false or userName eq "alice"', ['alice']],
    ['(userName eq "alice" or userName eq "Bob") and active eq false', ['Bob']],
    ['not (userName eq "alice" or userName eq "Bob")', except('alice', 'Bob')],
    ['not (active eq true) and title pr', ['Bob']],
    ['title eq "Manager" and not (active eq false)', ['carol']],
    ['not (title pr)', ['(x']],
    ['not (not (userName eq "alice"))', ['alice']],
    ['((userName eq "alice") or (active eq false and (title sw "Man")))', ['alice', 'Bob']],
    ['userName sw "a" and (title co "engineer" or emails.value ew "@corp.com")', ['alice', 'a.b', 'axb']],
    ['(((((userName eq "carol")))))', ['carol']],
    ['userName eq "alice" and userName eq "Bob"', []],
  ]);

  table('mixed-case attribute names, operators and keywords', [
    ['USERNAME EQ "alice"', ['alice']],
    ['(ActiVe eq true) and userName Sw "A"', ['alice', 'a.b', 'axb']],
    ['userName eq "alice" OR userName eQ "Bob"', ['alice', 'Bob']],
    ['NOT (Active Eq TRUE)', ['Bob']],
    ['Name.FamilyName SW "bro"', ['Bob']],
    ['title PR', except('(x')],
    ['ExternalID eq "abc"', ['alice']],
  ]);

  // RFC 7644 §3.4.2.2: gt/ge/lt/le on a caseExact=false string compare case-insensitively, like eq does.
  table('ordering operators on caseExact=false attributes ignore case', [
    ['displayName gt "b"', ['Bob', 'carol']],
    ['name.familyName ge "d"', ['a.b', 'carol']],
    ['title lt "MANAGER"', ['alice', 'a.b']],
  ]);

  table('values are literals: regex metacharacters, escaped quotes, legacy unquoted values, null', [
    ['userName co "a.b"', ['a.b']],
    ['userName eq "a.b"', ['a.b']],
    ['userName sw "a."', ['a.b']],
    ['userName co "."', ['a.b']],
    ['userName co ".*"', []],
    ['userName eq "a+b"', []],
    ['userName eq "^alice$"', []],
    ['userName eq "(x"', ['(x']],
    ['userName co "("', ['(x']],
    ['userName sw "(x"', ['(x']],
    ['displayName co "\\"CJ\\""', ['carol']],
    ['displayName eq "Carol \\"CJ\\" Jones"', ['carol']],
    ['displayName co "\\""', ['carol']],
    ['externalId eq jyoung', ['a.b']],
    ['externalId eq 007', ['axb']],
    ['externalId eq x-9 or externalId eq jyoung', ['a.b', 'carol']],
    ['title eq null', ['(x']],
    ['title ne null', except('(x')],
    ['userName eq null', []],
  ]);

  describe('dateTime attributes against real timestamps', () => {
    /** Expected userNames computed from the server's own meta values, in creation order. */
    function where(attribute: 'created' | 'lastModified', test: (time: number) => boolean): string[] {
      return seeded.filter((created) => test(Date.parse(created[attribute]))).map((created) => created.name);
    }

    it('the seeded users have distinct, increasing meta.created timestamps', () => {
      const times = seeded.map((created) => Date.parse(created.created));
      for (let index = 1; index < times.length; index += 1) assert.ok(times[index]! > times[index - 1]!, JSON.stringify(seeded));
    });

    for (const attribute of ['created', 'lastModified'] as const) {
      it(`compares meta.${attribute} with gt, ge, lt, le, eq, ne and pr`, async () => {
        const pivot = seeded[2]!;
        const stamp = pivot[attribute];
        const time = Date.parse(stamp);
        const cases: Case[] = [
          [`meta.${attribute} gt "${stamp}"`, where(attribute, (value) => value > time)],
          [`meta.${attribute} ge "${stamp}"`, where(attribute, (value) => value >= time)],
          [`meta.${attribute} lt "${stamp}"`, where(attribute, (value) => value < time)],
          [`meta.${attribute} le "${stamp}"`, where(attribute, (value) => value <= time)],
          [`meta.${attribute} eq "${stamp}"`, where(attribute, (value) => value === time)],
          [`meta.${attribute} ne "${stamp}"`, where(attribute, (value) => value !== time)],
          [`meta.${attribute} pr`, ALL],
        ];
        assert.deepEqual(cases[0]![1], ['axb', '(x', 'carol']);
        assert.deepEqual(cases[3]![1], ['alice', 'Bob', 'a.b']);
        for (const [filter, expected] of cases) await expectMatches(filter, expected);
      });
    }

    it('accepts timestamps with a numeric offset and with fractional seconds', async () => {
      const pivot = seeded[3]!;
      const time = Date.parse(pivot.created);
      // The same instant written two hours ahead: 2026-01-01T10:00:00.123Z = 2026-01-01T12:00:00.123+02:00.
      const shifted = new Date(time + 2 * 3600_000).toISOString().replace('Z', '+02:00');
      await expectMatches(`meta.created eq "${shifted}"`, ['axb']);
      await expectMatches(`meta.created ge "${shifted}"`, ['axb', '(x', 'carol']);
      await expectMatches('meta.created gt "2000-01-01T00:00:00Z"', ALL);
      await expectMatches('meta.created lt "2000-01-01T00:00:00.000Z"', []);
    });

    it('serves the pulling client filter: active eq true and (meta.lastModified ge … and meta.lastModified le …)', async () => {
      const from = seeded[1]!.lastModified;
      const to = seeded[4]!.lastModified;
      const filter = `active eq true and (meta.lastModified ge "${from}" and meta.lastModified le "${to}")`;
      await expectMatches(filter, ['a.b', 'axb', '(x']);
      await expectMatches(`(ActiVe eq true) and (meta.LastModified ge "${from}")`, ['a.b', 'axb', '(x', 'carol']);
    });
  });

  it('id eq finds one user by id, and an unknown id finds none', async () => {
    await expectMatches(`id eq "${seeded[3]!.id}"`, ['axb']);
    await expectMatches(`id eq "${seeded[3]!.id.toUpperCase()}"`, []);
    await expectMatches('id eq "00000000-0000-4000-8000-000000000000"', []);
  });

  it('returns the stored case of userName for a case-insensitive match', async () => {
    const body = listBody(await list(t, '/Users', { filter: 'userName eq "BOB"' }));
    assert.equal(body.Resources[0]?.['userName'], 'Bob');
    assert.equal(body.Resources[0]?.id, seeded[1]!.id);
  });

  it('combines a filter with paging: totalResults counts all matches, not the page', async () => {
    const body = listBody(await list(t, '/Users', { filter: 'active eq true', startIndex: 2, count: 2 }));
    assert.equal(body.totalResults, 5);
    assert.equal(body.startIndex, 2);
    assert.deepEqual(namesOf(body), ['a.b', 'axb']);
  });
});

describe('GET /Users malformed or unsupported filters (RFC 7644 §3.4.2.2, §3.12)', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp('list-users-badfilter');
    await seedInOrder(t, '/Users', [user('alice')]);
  });

  after(async () => {
    await t.close();
  });

  const INVALID: string[] = [
    'userName',
    'userName eq',
    'foo eq "x"',
    'userName zz "a"',
    '(userName eq "a"',
    'userName eq "a")',
    '((userName eq "a") or (userName eq "b")',
    'not userName eq "a"',
    `userName eq "${'a'.repeat(5000)}"`,
    'active gt true',
    'active co "t"',
    'active eq "yes"',
    'meta.lastModified gt "yesterday"',
    'meta.created lt "2024-02-30T00:00:00Z"',
    'meta.created co "2024"',
    'name eq "x"',
    'name[familyName eq "x"]',
    'emails.value[type eq "work"]',
    'emails[type eq "work"',
    'emails[type eq "work"] eq "x"',
    'userName eq "a" and',
    'and userName eq "a"',
    'userName eq "unterminated',
    'userName eq "bad \\q escape"',
    'userName eq {"a":1}',
    'userName eq ["a"]',
    'userName sw null',
    'userName eq "a" userName eq "b"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nosuch eq "x"',
    `${'('.repeat(40)}userName eq "a"${')'.repeat(40)}`,
  ];

  for (const filter of INVALID) {
    const label = filter.length > 60 ? `${filter.slice(0, 40)}… (${filter.length} chars)` : filter;
    it(`rejects ${label} with 400 invalidFilter`, async () => {
      const response = await list(t, '/Users', { filter });
      assertScimError(response, 400, 'invalidFilter');
      assert.equal(typeof response.body.detail, 'string');
    });
  }

  it('accepts a filter of exactly 4096 characters and rejects one of 4097', async () => {
    const ofLength = (length: number) => `userName eq "${'a'.repeat(length - 'userName eq ""'.length)}"`;
    assert.equal(ofLength(4096).length, 4096);
    const body = listBody(await list(t, '/Users', { filter: ofLength(4096) }));
    assert.equal(body.totalResults, 0);
    assertScimError(await list(t, '/Users', { filter: ofLength(4097) }), 400, 'invalidFilter');
  });

  it('accepts parentheses nested 32 deep and rejects 33', async () => {
    const nested = (depth: number) => `${'('.repeat(depth)}userName eq "alice"${')'.repeat(depth)}`;
    const body = listBody(await list(t, '/Users', { filter: nested(32) }));
    assert.equal(body.totalResults, 1);
    assertScimError(await list(t, '/Users', { filter: nested(33) }), 400, 'invalidFilter');
  });

  it('rejects a filter given twice with 400 invalidValue', async () => {
    const response = await t.scim.get('/Users?filter=userName%20eq%20%22a%22&filter=userName%20eq%20%22b%22');
    assertScimError(response, 400, 'invalidValue');
  });

  const INVALID_PARAMETERS: Array<[query: Record<string, string>, scimType: string]> = [
    [{ sortBy: 'nosuchAttribute' }, 'invalidValue'],
    [{ sortBy: 'name' }, 'invalidValue'],
    [{ sortBy: 'user name' }, 'invalidValue'],
    [{ sortOrder: 'sideways' }, 'invalidValue'],
    [{ sortBy: 'userName', sortOrder: 'up' }, 'invalidValue'],
    [{ startIndex: 'abc' }, 'invalidValue'],
    [{ startIndex: '1.5' }, 'invalidValue'],
    [{ startIndex: '1e2' }, 'invalidValue'],
    [{ count: '1.5' }, 'invalidValue'],
    [{ count: 'ten' }, 'invalidValue'],
    [{ count: '5abc' }, 'invalidValue'],
  ];

  for (const [query, scimType] of INVALID_PARAMETERS) {
    it(`rejects ${new URLSearchParams(query).toString()} with 400 ${scimType}`, async () => {
      assertScimError(await list(t, '/Users', query), 400, scimType);
    });
  }

  it('rejects an unknown sortBy even when no page is read (count=0, or startIndex past the end)', async () => {
    assertScimError(await list(t, '/Users', { sortBy: 'nosuchAttribute', count: 0 }), 400, 'invalidValue');
    assertScimError(await list(t, '/Users', { sortBy: 'nosuchAttribute', startIndex: 50 }), 400, 'invalidValue');
    assertScimError(await list(t, '/Users', { sortBy: 'nosuchAttribute', filter: 'userName eq "nobody"' }), 400, 'invalidValue');
  });
});
