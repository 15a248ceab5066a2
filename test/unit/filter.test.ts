import { strict as assert } from 'node:assert';
import { ScimError } from '../../src/errors/scim-error.js';
import { parseFilter } from '../../src/scim/filter/parse.js';
import type { AttributeInfo, AttributeResolver } from '../../src/scim/filter/resolver.js';
import { correlatedValuePaths, filterToMongo, sortToMongo, valuePathSuperset } from '../../src/scim/filter/to-mongo.js';

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:user:';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function attribute(field: string, type: AttributeInfo['type'], extra: Partial<AttributeInfo> = {}): AttributeInfo {
  return { field, type, caseExact: false, multiValued: false, ...extra };
}

const ATTRIBUTES: Record<string, AttributeInfo> = {
  username: attribute('data.userName', 'string', { lowercaseField: 'userNameLc' }),
  displayname: attribute('data.displayName', 'string'),
  externalid: attribute('data.externalId', 'string', { caseExact: true }),
  active: attribute('data.active', 'boolean'),
  id: attribute('_id', 'string', { caseExact: true }),
  name: attribute('data.name', 'complex'),
  'name.givenname': attribute('data.name.givenName', 'string'),
  'name.familyname': attribute('data.name.familyName', 'string'),
  emails: attribute('data.emails', 'complex', { multiValued: true }),
  'emails.value': attribute('data.emails.value', 'string', { lowercaseField: 'data.emails.valueLc' }),
  'emails.type': attribute('data.emails.type', 'string'),
  'emails.primary': attribute('data.emails.primary', 'boolean'),
  members: attribute('data.members', 'complex', { multiValued: true }),
  'members.value': attribute('data.members.value', 'string', { caseExact: true }),
  'meta.lastmodified': attribute('lastModified', 'dateTime'),
  'meta.created': attribute('created', 'dateTime'),
  logincount: attribute('data.loginCount', 'integer'),
  [`${ENTERPRISE}:department`.toLowerCase()]: attribute('ext.enterprise.department', 'string'),
  [`${ENTERPRISE}:employeeNumber`.toLowerCase()]: attribute('ext.enterprise.employeeNumber', 'string', { caseExact: true }),
};

const resolver: AttributeResolver = {
  resolve(path) {
    const lower = path.toLowerCase();
    return ATTRIBUTES[lower.startsWith(CORE_USER) ? lower.slice(CORE_USER.length) : lower];
  },
};

const ALLOWED_OPERATORS = new Set(['$and', '$or', '$nor', '$not', '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$regex', '$options']);

function mongo(filter: string): Record<string, unknown> {
  const query = filterToMongo(parseFilter(filter), resolver);
  assertOnlySafeKeys(query);
  return query;
}

/** Every key must be an allowed operator or a storage field, never something taken from user input. */
function assertOnlySafeKeys(value: unknown): void {
  if (Array.isArray(value)) return value.forEach(assertOnlySafeKeys);
  if (value === null || typeof value !== 'object' || value instanceof Date) return;
  for (const [key, child] of Object.entries(value)) {
    assert.ok(ALLOWED_OPERATORS.has(key) || /^[A-Za-z_][\w.]*$/.test(key), `unexpected key ${key}`);
    assertOnlySafeKeys(child);
  }
}

function assertInvalidFilter(run: () => unknown, label: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ScimError, `${label}: threw ${String(error)} instead of a ScimError`);
    assert.equal(error.code, 'invalidFilter', `${label}: code ${error.code}`);
    assert.ok(error.message.length > 10, `${label}: message too short`);
    return true;
  }, `${label}: did not throw`);
}

function rejects(filter: string): void {
  assertInvalidFilter(() => filterToMongo(parseFilter(filter), resolver), JSON.stringify(filter));
}

function nested(depth: number): string {
  return `${'('.repeat(depth)}userName eq "a"${')'.repeat(depth)}`;
}

const USER_A = { userNameLc: { $eq: 'a' } };
const USER_B = { userNameLc: { $eq: 'b' } };

describe('RFC 7644 §3.4.2.2 filter parsing', () => {
  it('parses an attribute comparison', () => {
    assert.deepEqual(parseFilter('userName eq "bjensen"'), {
      kind: 'compare',
      path: 'userName',
      op: 'eq',
      value: { kind: 'string', value: 'bjensen' },
    });
  });

  it('parses pr', () => {
    assert.deepEqual(parseFilter('title pr'), { kind: 'present', path: 'title' });
  });

  it('keeps a URN prefix, including its dots, as part of the path', () => {
    const path = `${ENTERPRISE}:department`;
    assert.deepEqual(parseFilter(`${path} eq "Sales"`), {
      kind: 'compare',
      path,
      op: 'eq',
      value: { kind: 'string', value: 'Sales' },
    });
    assert.deepEqual(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:name.familyName pr'), {
      kind: 'present',
      path: 'urn:ietf:params:scim:schemas:core:2.0:User:name.familyName',
    });
  });

  it('decodes JSON string escapes', () => {
    const node = parseFilter('displayName eq "say \\"hi\\" \\\\ caf\\u00e9 \\/ \\t"');
    assert.deepEqual(node, { kind: 'compare', path: 'displayName', op: 'eq', value: { kind: 'string', value: 'say "hi" \\ café / \t' } });
  });

  it('parses numbers, booleans and null, with literals case-insensitive', () => {
    const values = ['-1.5', '0', '1e3', 'true', 'False', 'NULL'].map((text) => {
      const node = parseFilter(`loginCount eq ${text}`);
      return node.kind === 'compare' ? node.value : undefined;
    });
    assert.deepEqual(values, [
      { kind: 'number', value: -1.5, text: '-1.5' },
      { kind: 'number', value: 0, text: '0' },
      { kind: 'number', value: 1000, text: '1e3' },
      { kind: 'boolean', value: true },
      { kind: 'boolean', value: false },
      { kind: 'null' },
    ]);
  });

  it('builds an n-ary node for a chain of the same logical operator', () => {
    const node = parseFilter('a pr and b pr and c pr');
    assert.equal(node.kind, 'and');
    assert.equal(node.kind === 'and' ? node.operands.length : 0, 3);
  });

  it('parses a value path with a trailing sub-attribute', () => {
    assert.deepEqual(parseFilter('emails[type eq "work"].value eq "x"'), {
      kind: 'valuePath',
      path: 'emails',
      filter: { kind: 'compare', path: 'type', op: 'eq', value: { kind: 'string', value: 'work' } },
      subAttribute: { kind: 'compare', path: 'value', op: 'eq', value: { kind: 'string', value: 'x' } },
    });
  });

  it('accepts nesting up to maxDepth and honours custom limits', () => {
    assert.equal(parseFilter(nested(32)).kind, 'compare');
    assertInvalidFilter(() => parseFilter(nested(33)), '33 levels');
    assertInvalidFilter(() => parseFilter(nested(3), { maxDepth: 2 }), 'maxDepth 2');
    assertInvalidFilter(() => parseFilter('userName eq "abc"', { maxLength: 10 }), 'maxLength 10');
    assert.equal(parseFilter(`userName eq "${'a'.repeat(4000)}"`).kind, 'compare');
  });

  it('reports the position of a syntax error', () => {
    assert.throws(() => parseFilter('userName zz "a"'), /Unknown operator 'zz' at character 10/);
    assert.throws(() => parseFilter('(userName eq "a"'), /Expected '\)' at character 17 to close the '\(' at character 1, but found end of filter/);
  });
});

describe('RFC 7644 §3.4.2.2 operators', () => {
  it('translates every operator on a caseExact:false string with a lower-cased copy', () => {
    assert.deepEqual(mongo('userName eq "BJensen"'), { userNameLc: { $eq: 'bjensen' } });
    assert.deepEqual(mongo('userName ne "BJensen"'), { userNameLc: { $ne: 'bjensen' } });
    assert.deepEqual(mongo('userName co "Jen"'), { userNameLc: { $regex: 'jen' } });
    assert.deepEqual(mongo('userName sw "B.J"'), { userNameLc: { $regex: '^b\\.j' } });
    assert.deepEqual(mongo('userName ew "SEN"'), { userNameLc: { $regex: 'sen$' } });
    assert.deepEqual(mongo('userName gt "M"'), { userNameLc: { $gt: 'm' } });
    assert.deepEqual(mongo('userName ge "M"'), { userNameLc: { $gte: 'm' } });
    assert.deepEqual(mongo('userName lt "M"'), { userNameLc: { $lt: 'm' } });
    assert.deepEqual(mongo('userName le "M"'), { userNameLc: { $lte: 'm' } });
  });

  it('falls back to case-insensitive regexes on a caseExact:false string without a lower-cased copy', () => {
    assert.deepEqual(mongo('displayName eq "Babs J"'), { 'data.displayName': { $regex: '^Babs J$', $options: 'i' } });
    assert.deepEqual(mongo('displayName ne "Babs"'), { $nor: [{ 'data.displayName': { $regex: '^Babs$', $options: 'i' } }] });
    assert.deepEqual(mongo('displayName co "ab"'), { 'data.displayName': { $regex: 'ab', $options: 'i' } });
    assert.deepEqual(mongo('displayName sw "Ba"'), { 'data.displayName': { $regex: '^Ba', $options: 'i' } });
    assert.deepEqual(mongo('displayName ew "bs"'), { 'data.displayName': { $regex: 'bs$', $options: 'i' } });
    assert.deepEqual(mongo('displayName gt "B"'), { 'data.displayName': { $gt: 'B' } });
  });

  it('compares caseExact strings exactly', () => {
    assert.deepEqual(mongo('externalId eq "AbC"'), { 'data.externalId': { $eq: 'AbC' } });
    assert.deepEqual(mongo('externalId ne "AbC"'), { 'data.externalId': { $ne: 'AbC' } });
    assert.deepEqual(mongo('externalId co "b"'), { 'data.externalId': { $regex: 'b' } });
    assert.deepEqual(mongo('id eq "2819c223"'), { _id: { $eq: '2819c223' } });
    assert.deepEqual(mongo(`${ENTERPRISE}:employeeNumber lt "100"`), { 'ext.enterprise.employeeNumber': { $lt: '100' } });
  });

  it('translates pr to "exists, not null, not empty"', () => {
    assert.deepEqual(mongo('userName pr'), { 'data.userName': { $exists: true, $nin: [null, '', []] } });
    assert.deepEqual(mongo('emails pr'), { 'data.emails': { $exists: true, $nin: [null, '', []] } });
  });

  it('compares booleans, accepting Entra\'s "True"/"False" strings', () => {
    assert.deepEqual(mongo('active eq true'), { 'data.active': { $eq: true } });
    assert.deepEqual(mongo('active ne false'), { 'data.active': { $ne: false } });
    assert.deepEqual(mongo('active eq "True"'), { 'data.active': { $eq: true } });
    assert.deepEqual(mongo('active eq "FALSE"'), { 'data.active': { $eq: false } });
  });

  it('compares integers, converting numeric strings', () => {
    assert.deepEqual(mongo('loginCount gt 5'), { 'data.loginCount': { $gt: 5 } });
    assert.deepEqual(mongo('loginCount ge -2.5'), { 'data.loginCount': { $gte: -2.5 } });
    assert.deepEqual(mongo('loginCount le "10"'), { 'data.loginCount': { $lte: 10 } });
    assert.deepEqual(mongo('loginCount ne 0'), { 'data.loginCount': { $ne: 0 } });
  });

  it('turns dateTime operands into Dates', () => {
    assert.deepEqual(mongo('meta.lastModified gt "2026-01-01T00:00:00Z" and meta.lastModified le "2026-02-01T12:30:00.5+01:00"'), {
      $and: [
        { lastModified: { $gt: new Date('2026-01-01T00:00:00.000Z') } },
        { lastModified: { $lte: new Date('2026-02-01T11:30:00.500Z') } },
      ],
    });
    assert.deepEqual(mongo('meta.created eq "2024-02-29T23:59:59z"'), { created: { $eq: new Date('2024-02-29T23:59:59Z') } });
  });

  it('compares with null', () => {
    assert.deepEqual(mongo('displayName eq null'), { 'data.displayName': null });
    assert.deepEqual(mongo('userName ne null'), { 'data.userName': { $ne: null } });
    assert.deepEqual(mongo('meta.lastModified eq null'), { lastModified: null });
  });

  it('compares a multi-valued complex attribute through its value sub-attribute', () => {
    assert.deepEqual(mongo('emails eq "A@x.org"'), { 'data.emails.valueLc': { $eq: 'a@x.org' } });
    assert.deepEqual(mongo('emails co "@X"'), { 'data.emails.valueLc': { $regex: '@x' } });
  });

  it('accepts operator and attribute names in any case, and the core schema URN', () => {
    assert.deepEqual(mongo('ActiVe EQ true'), { 'data.active': { $eq: true } });
    assert.deepEqual(mongo('USERNAME Sw "A"'), { userNameLc: { $regex: '^a' } });
    assert.deepEqual(mongo('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "A"'), USER_A);
    assert.deepEqual(mongo(`${ENTERPRISE.toLowerCase()}:DEPARTMENT co "x"`), { 'ext.enterprise.department': { $regex: 'x', $options: 'i' } });
  });

  it('escapes every regex metacharacter so values match literally', () => {
    assert.deepEqual(mongo('displayName eq "a.b*c(d)"'), { 'data.displayName': { $regex: '^a\\.b\\*c\\(d\\)$', $options: 'i' } });
    const special = '\\^$.|?*+()[]{}-/';
    const query = mongo(`externalId co ${JSON.stringify(special)}`);
    const pattern = '\\\\\\^\\$\\.\\|\\?\\*\\+\\(\\)\\[\\]\\{\\}\\-\\/';
    assert.deepEqual(query, { 'data.externalId': { $regex: pattern } });
    assert.ok(new RegExp(pattern).test(`x${special}y`));
    assert.ok(!new RegExp(pattern).test('anything else'));
  });

  it('writes NUL as an escape, since BSON regex patterns cannot contain it', () => {
    assert.deepEqual(mongo('externalId sw "a\\u0000b"'), { 'data.externalId': { $regex: '^a\\x00b' } });
  });

  it('keeps operator-looking values as plain operands (no NoSQL injection)', () => {
    assert.deepEqual(mongo('externalId eq "$gt"'), { 'data.externalId': { $eq: '$gt' } });
    assert.deepEqual(mongo('externalId eq "{\\"$ne\\": null}"'), { 'data.externalId': { $eq: '{"$ne": null}' } });
    assert.deepEqual(mongo('displayName co ".*"'), { 'data.displayName': { $regex: '\\.\\*', $options: 'i' } });
  });
});

describe('RFC 7644 §3.4.2.2 logical precedence and grouping', () => {
  it('binds and tighter than or', () => {
    assert.deepEqual(mongo('loginCount eq 1 or loginCount eq 2 and loginCount eq 3'), {
      $or: [{ 'data.loginCount': { $eq: 1 } }, { $and: [{ 'data.loginCount': { $eq: 2 } }, { 'data.loginCount': { $eq: 3 } }] }],
    });
  });

  it('lets parentheses override precedence', () => {
    assert.deepEqual(mongo('(userName eq "a" or userName eq "b") and active eq true'), {
      $and: [{ $or: [USER_A, USER_B] }, { 'data.active': { $eq: true } }],
    });
  });

  it('negates a whole parenthesized group with not', () => {
    assert.deepEqual(mongo('not (userName eq "a" or userName eq "b")'), { $nor: [{ $or: [USER_A, USER_B] }] });
    assert.deepEqual(mongo('NOT(userName eq "a") and not (not (userName eq "b"))'), {
      $and: [{ $nor: [USER_A] }, { $nor: [{ $nor: [USER_B] }] }],
    });
  });

  it('unwraps nested and redundant parentheses', () => {
    assert.deepEqual(mongo(nested(10)), USER_A);
    assert.deepEqual(mongo('((userName eq "a") or ((userName eq "b" and (active eq true))))'), {
      $or: [USER_A, { $and: [USER_B, { 'data.active': { $eq: true } }] }],
    });
  });

  it('accepts logical operators next to parentheses and quotes without spaces', () => {
    assert.deepEqual(mongo('(userName eq "a")or(userName eq "b")'), { $or: [USER_A, USER_B] });
  });

  it('handles escaped quotes inside grouped strings', () => {
    assert.deepEqual(mongo('(externalId eq "a \\") or (b" or externalId eq "c")'), {
      $or: [{ 'data.externalId': { $eq: 'a ") or (b' } }, { 'data.externalId': { $eq: 'c' } }],
    });
  });
});

describe('RFC 7644 §3.4.2.2 value paths', () => {
  // FerretDB 1.24 has no usable $elemMatch, so value paths never produce one.
  const parsedValuePath = (filter: string) => {
    const node = parseFilter(filter);
    const [valuePath] = correlatedValuePaths(node);
    assert.ok(valuePath, `${filter} should need correlation`);
    return { node, valuePath };
  };

  it('translates a one-condition bracket filter to an exact dotted path (any element matches)', () => {
    assert.deepEqual(mongo('emails[type eq "work"]'), { 'data.emails.type': { $regex: '^work$', $options: 'i' } });
    assert.deepEqual(mongo('members[value eq "u1"]'), { 'data.members.value': { $eq: 'u1' } });
  });

  it('translates an or-chain inside brackets to dotted paths, which is exact without correlation', () => {
    assert.deepEqual(mongo('emails[type eq "work" or type eq "home"]'), {
      $or: [{ 'data.emails.type': { $regex: '^work$', $options: 'i' } }, { 'data.emails.type': { $regex: '^home$', $options: 'i' } }],
    });
    assert.deepEqual(correlatedValuePaths(parseFilter('emails[type eq "work" or type eq "home"]')), []);
  });

  it('marks and, not and a trailing sub-attribute as needing one element to meet every condition', () => {
    for (const filter of ['emails[type eq "work" and value co "@x"]', 'emails[type eq "work"].value eq "x"', 'emails[not (type eq "work")]', 'emails[type eq "a" or (type eq "b" and primary eq true)]']) {
      assert.equal(correlatedValuePaths(parseFilter(filter)).length, 1, filter);
    }
  });

  it('replaces a correlated value path by the ids the caller resolved', () => {
    const { node, valuePath } = parsedValuePath('userName eq "a" or emails[type eq "work"].value eq "X@Y.org"');
    assert.deepEqual(filterToMongo(node, resolver, new Map([[valuePath, ['id1', 'id2']]])), {
      $or: [USER_A, { _id: { $in: ['id1', 'id2'] } }],
    });
  });

  it('refuses to translate a correlated value path nobody resolved', () => {
    assert.throws(() => mongo('emails[type eq "work"].value eq "x"'), /must be resolved/);
  });

  it('narrows candidates with an uncorrelated superset query', () => {
    const { valuePath } = parsedValuePath('emails[type eq "work"].value eq "X@Y.org"');
    assert.deepEqual(valuePathSuperset(valuePath, resolver), {
      $and: [{ 'data.emails.type': { $regex: '^work$', $options: 'i' } }, { 'data.emails.valueLc': { $eq: 'x@y.org' } }],
    });
  });

  it('widens not inside brackets away in the superset query', () => {
    const { valuePath } = parsedValuePath('emails[not (type eq "work")]');
    assert.deepEqual(valuePathSuperset(valuePath, resolver), { 'data.emails': { $exists: true } });
  });

  it('combines value paths with other expressions', () => {
    assert.deepEqual(mongo('userName eq "a" and EMAILS[Type eq "home"]'), {
      $and: [USER_A, { 'data.emails.type': { $regex: '^home$', $options: 'i' } }],
    });
  });

  it('rejects brackets on attributes that are not multi-valued complex', () => {
    rejects('name[givenName eq "x"]');
    rejects('userName[value eq "x"]');
    rejects('emails[foo eq "x"]');
    rejects('name.givenName[value eq "x"]');
    rejects('emails[type eq "work"].value');
    rejects('emails[type eq "work"] .value eq "x"');
    rejects('emails[emails[type eq "a"]]');
    rejects('emails[name.givenName eq "a"]');
  });
});

describe('legacy Entra inputs', () => {
  it('takes unquoted words as string values', () => {
    assert.deepEqual(mongo('externalId eq jyoung'), { 'data.externalId': { $eq: 'jyoung' } });
    assert.deepEqual(mongo('userName eq Alice@Example.com'), { userNameLc: { $eq: 'alice@example.com' } });
    assert.deepEqual(mongo('(externalId eq jyoung)'), { 'data.externalId': { $eq: 'jyoung' } });
    assert.deepEqual(mongo('emails[type eq work]'), { 'data.emails.type': { $regex: '^work$', $options: 'i' } });
  });

  it('keeps the typed text of unquoted numbers compared with strings', () => {
    assert.deepEqual(mongo('externalId eq 00123'), { 'data.externalId': { $eq: '00123' } });
    assert.deepEqual(mongo('externalId eq 1.50'), { 'data.externalId': { $eq: '1.50' } });
  });

  it('accepts capitalised booleans', () => {
    assert.deepEqual(mongo('active eq True'), { 'data.active': { $eq: true } });
  });
});

describe('RFC 7644 §3.4.2.3 sortBy', () => {
  it('prefers the lower-cased copy of caseExact:false strings', () => {
    assert.equal(sortToMongo('userName', resolver), 'userNameLc');
    assert.equal(sortToMongo(' USERNAME ', resolver), 'userNameLc');
  });

  it('uses the stored field otherwise', () => {
    assert.equal(sortToMongo('displayName', resolver), 'data.displayName');
    assert.equal(sortToMongo('meta.lastModified', resolver), 'lastModified');
    assert.equal(sortToMongo('emails.value', resolver), 'data.emails.valueLc');
    assert.equal(sortToMongo(`${ENTERPRISE}:employeeNumber`, resolver), 'ext.enterprise.employeeNumber');
  });

  it('rejects unknown, complex and malformed attributes with invalidValue', () => {
    for (const sortBy of ['foo', 'emails', 'name', '', 'user name', 'userName eq "a"', '$where', 'a.b.c']) {
      assert.throws(
        () => sortToMongo(sortBy, resolver),
        (error: unknown) => error instanceof ScimError && error.code === 'invalidValue',
        JSON.stringify(sortBy),
      );
    }
  });
});

describe('RFC 7644 §3.4.2.2 malformed filters → invalidFilter', () => {
  const syntaxErrors = [
    'x',
    'true',
    'userName',
    'userName eq',
    'eq "a"',
    'co and not or',
    'ne 1 1 co',
    'urn:x:y and userName ne',
    'userName eq "a" or',
    'userName eq "a" and',
    'and userName eq "a"',
    '(userName eq "a"',
    'userName eq "a")',
    '()',
    'userName zz "a"',
    'userName eq "unterminated',
    'userName eq "bad \\x escape"',
    'userName eq "trailing backslash\\"',
    'emails[type eq "work"',
    'emails[]',
    'emails]',
    'userName pr "x"',
    'not userName eq "a"',
    'not',
    'not ()',
    'userName eq "a" userName eq "b"',
    'userName eq and',
    'userName eq {"a":1}',
    'userName eq ["a"]',
    'userName eq 1e999',
    'user name eq "a"',
    '9lives eq "a"',
    'name.givenName.x eq "a"',
    ':userName eq "a"',
    'urn: eq "a"',
    '',
    '   ',
    'x'.repeat(5000),
    `userName eq "${'a'.repeat(4090)}"`,
    nested(40),
    `${'not ('.repeat(40)}userName eq "a"${')'.repeat(40)}`,
  ];

  for (const filter of syntaxErrors) {
    it(`rejects ${JSON.stringify(filter.length > 50 ? `${filter.slice(0, 30)}… (${filter.length} chars)` : filter)}`, () => {
      rejects(filter);
    });
  }

  it('rejects filters whose attributes or operands do not fit the schema', () => {
    const semanticErrors = [
      'foo eq "x"',
      'emails.foo eq "x"',
      'name eq "x"',
      'active gt true',
      'active co "t"',
      'active eq 1',
      'active eq "yes"',
      'loginCount co 1',
      'loginCount eq "abc"',
      'loginCount eq true',
      'meta.lastModified gt "yesterday"',
      'meta.lastModified gt "2026-02-30T00:00:00Z"',
      'meta.lastModified gt "2026-01-01T24:00:00Z"',
      'meta.lastModified gt "2026-01-01"',
      'meta.lastModified gt 20260101',
      'userName eq true',
      'userName gt null',
      'userName co null',
    ];
    for (const filter of semanticErrors) rejects(filter);
  });

  it('rejects non-string input', () => {
    assertInvalidFilter(() => parseFilter(undefined as unknown as string), 'undefined');
    assertInvalidFilter(() => parseFilter({} as unknown as string), 'object');
  });

  it('never throws anything but ScimError on mangled filters', () => {
    const seeds = [
      'emails[type eq "work" and value co "@example.com"].value eq "x"',
      'not (userName eq "a\\"b" or (active eq true and loginCount ge 2))',
      `${ENTERPRISE}:department sw "x" or meta.lastModified lt "2026-01-01T00:00:00Z"`,
    ];
    const pieces = ['(', ')', '[', ']', '"', '\\', ' ', '.', ':', 'not', 'and', 'pr', 'eq', '{', '\u0000', '1e9', 'null'];
    let state = 42;
    const random = (limit: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % limit;
    };
    for (let round = 0; round < 3000; round += 1) {
      const seed = seeds[round % seeds.length] ?? '';
      const cut = random(seed.length);
      const mangled = seed.slice(0, cut) + (pieces[random(pieces.length)] ?? '') + seed.slice(cut + random(4));
      try {
        const node = parseFilter(mangled);
        // As the store does: correlated value paths are resolved (here to no match) before translating.
        filterToMongo(node, resolver, new Map(correlatedValuePaths(node).map((valuePath) => [valuePath, []])));
      } catch (error) {
        assert.ok(error instanceof ScimError && error.code === 'invalidFilter', `${JSON.stringify(mangled)} threw ${String(error)}`);
      }
    }
  });
});
