import fc from 'fast-check';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** Real attribute paths, their odd spellings, and made-up or hostile ones. */
export const attributePath = fc.oneof(
  fc.constantFrom(
    'userName', 'USERNAME', 'name.givenName', 'name.familyName', 'emails', 'emails.value', 'emails.type', 'active', 'title',
    'displayName', 'externalId', 'meta.lastModified', 'meta.created', 'id', 'members', 'members.value', 'groups', 'phoneNumbers.value',
    `${ENTERPRISE}:department`, `${ENTERPRISE}:manager.value`, `${CORE}:userName`, ENTERPRISE, 'x509Certificates.value',
    '$where', '__proto__', 'constructor.prototype', 'name..givenName', 'name.', '.name', 'a:b:c', 'urn:', 'emails[', 'emails]',
  ),
  fc.stringMatching(/^[A-Za-z$_][A-Za-z0-9_.:$-]{0,30}$/),
  fc.string({ maxLength: 40 }),
);

const scalar = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null));

/** A filter value as it appears in filter text: JSON-encoded (quotes, escapes) or a bare word. */
const filterValue = fc.oneof(
  fc.string({ maxLength: 20 }).map((text) => JSON.stringify(text)),
  fc.constantFrom('".*"', '"^"', '"$"', '"\\\\"', '"\\u0000"', '"(("', '"[a-z]+"', 'true', 'false', 'null', '42', '-1.5e3', '"2026-01-01T00:00:00Z"'),
  fc.integer().map(String),
  fc.stringMatching(/^[a-z]{1,6}$/),
);

const operator = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'Co', 'xx');

/** Grammar-based filters: mostly well-formed, with the odd broken token. */
export const filterText: fc.Arbitrary<string> = fc.letrec<{ filter: string }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(attributePath, operator, filterValue).map(([path, op, value]) => `${path} ${op} ${value}`),
    attributePath.map((path) => `${path} pr`),
    fc.tuple(tie('filter'), fc.constantFrom('and', 'or', 'AND', 'Or'), tie('filter')).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('filter').map((inner) => `(${inner})`),
    tie('filter').map((inner) => `not (${inner})`),
    fc.tuple(fc.constantFrom('emails', 'members', 'addresses', 'phoneNumbers', 'x'), tie('filter')).map(([path, inner]) => `${path}[${inner}]`),
    fc.tuple(tie('filter'), fc.constantFrom('(', ')', '[', ']', '"', 'and', 'not', '')).map(([inner, junk]) => `${inner} ${junk}`),
  ),
})).filter;

const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(attributePath, fc.constantFrom('value', 'type', 'primary', 'display', '$ne', '$set')), tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** Values a PATCH of a real attribute would plausibly carry. */
const plausibleValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(''),
  fc.record({ value: fc.string({ maxLength: 12 }), type: fc.constantFrom('work', 'home') }, { requiredKeys: ['value'] }).map((item) => [item]),
  fc.record({ givenName: fc.string({ maxLength: 8 }), familyName: fc.string({ maxLength: 8 }) }, { requiredKeys: [] }),
);

const realPath = fc.constantFrom(
  'title', 'displayName', 'nickName', 'name.givenName', 'name', 'emails', 'emails[type eq "work"].value', 'phoneNumbers[type eq "mobile"].value',
  'active', 'externalId', 'userName', `${ENTERPRISE}:department`, `${ENTERPRISE}:manager`, 'members', 'members[value eq "nobody"]', 'id', 'meta.created',
);

/** Mostly well-formed operations on real attributes (so some apply), with random ones mixed in. */
const patchOperation = fc.oneof(
  { arbitrary: fc.record({ op: fc.constantFrom('add', 'replace', 'Replace', 'remove'), path: realPath, value: plausibleValue }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constantFrom('add', 'replace'), value: fc.dictionary(realPath, plausibleValue, { maxKeys: 3 }) }), weight: 1 },
  {
    arbitrary: fc.record(
      {
        op: fc.oneof(fc.constantFrom('add', 'remove', 'replace', 'copy', ''), scalar),
        path: fc.oneof(attributePath, fc.tuple(fc.constantFrom('emails', 'members', 'phoneNumbers', 'addresses'), filterText).map(([a, f]) => `${a}[${f}]`), scalar),
        value,
      },
      { requiredKeys: [] },
    ),
    weight: 2,
  },
);

/** PATCH bodies: usually a PatchOp envelope with random operations, sometimes a broken envelope. */
export const patchBody = fc.oneof(
  { arbitrary: fc.array(patchOperation, { minLength: 1, maxLength: 4 }).map((operations) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations })), weight: 6 },
  { arbitrary: fc.record({ schemas: fc.oneof(fc.constant(['urn:ietf:params:scim:api:messages:2.0:PatchOp']), value), Operations: value }, { requiredKeys: [] }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);

/** A PATCH every resource type accepts, so that both properties also see writes that succeed. */
export const validPatch = fc.uuid().map((id) => ({
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: [{ op: 'replace', path: 'externalId', value: `ext-${id}` }],
}));

/** User-shaped JSON with random attributes and values, and JSON of any shape. */
export const resourceBody = fc.oneof(
  {
    arbitrary: fc.record(
      {
        schemas: fc.constant([CORE]),
        userName: fc.string({ minLength: 1, maxLength: 16 }),
        displayName: fc.string({ maxLength: 12 }),
        title: plausibleValue,
        name: plausibleValue,
        emails: plausibleValue,
        active: fc.oneof(fc.boolean(), fc.constantFrom('True', 'false', 'yes')),
        members: fc.oneof(fc.constant([]), plausibleValue),
      },
      { requiredKeys: ['schemas', 'userName', 'displayName'] },
    ),
    weight: 3,
  },
  fc.record(
    {
      schemas: fc.oneof(fc.constant([CORE]), fc.constant([CORE, ENTERPRISE]), value),
      userName: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), value),
      name: value,
      emails: value,
      active: value,
      [ENTERPRISE]: value,
      displayName: value,
      members: value,
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(attributePath, value, { maxKeys: 5 }),
  fc.jsonValue({ maxDepth: 4 }),
);

/** A well-formed create with a fresh name, so that most properties also see writes that succeed. */
export const validCreate = fc.oneof(
  fc.uuid().map((id) => ({ path: '/Users', data: { schemas: [CORE], userName: `valid-${id}@example.com` } as Record<string, unknown> })),
  fc.uuid().map((id) => ({ path: '/Groups', data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `valid ${id}` } as Record<string, unknown> })),
);

const plausibleBulkOperation = fc.oneof(
  fc.tuple(validCreate, fc.uuid()).map(([create, bulkId]) => ({ method: 'POST', bulkId, ...create })),
  fc.record({ method: fc.constant('POST'), path: fc.constantFrom('/Users', '/Groups'), bulkId: fc.uuid(), data: resourceBody }),
  fc.record({ method: fc.constantFrom('PATCH', 'PUT', 'DELETE'), path: fc.constantFrom('/Users/unknown', '/Groups/unknown'), data: fc.oneof(resourceBody, patchBody) }),
);

const randomBulkOperation = fc.record(
  {
    method: fc.oneof(fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'GET'), scalar),
    path: fc.oneof(fc.constantFrom('/Users', '/Groups', '/Users/unknown', '/Users/bulkId:b1', '/Bulk', '/'), fc.string({ maxLength: 20 }), scalar),
    bulkId: fc.oneof(fc.constantFrom('b1', 'b2'), scalar),
    data: fc.oneof(resourceBody, patchBody),
    version: fc.oneof(fc.constantFrom('W/"1"', '*'), scalar),
  },
  { requiredKeys: [] },
);

/** Bulk requests: mostly plausible operations (so some run), with random ones and random envelopes mixed in. */
export const bulkBody = fc.oneof(
  {
    arbitrary: fc.record({
      schemas: fc.constant(['urn:ietf:params:scim:api:messages:2.0:BulkRequest']),
      Operations: fc.array(fc.oneof({ arbitrary: plausibleBulkOperation, weight: 4 }, { arbitrary: randomBulkOperation, weight: 1 }), { minLength: 1, maxLength: 4 }),
      failOnErrors: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 2 }, { arbitrary: scalar, weight: 1 }),
    }),
    weight: 4,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);
