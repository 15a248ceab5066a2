import { strict as assert } from 'node:assert';
import { ScimError } from '../../src/errors/scim-error.js';
import type { ErrorCode } from '../../src/errors/catalogue.js';
import { parseFilter } from '../../src/scim/filter/parse.js';
import { parseResourceBody, type ResourceAttributes } from '../../src/scim/ingress.js';
import { applyPatch } from '../../src/scim/patch/apply.js';
import { splitMembershipOperations } from '../../src/scim/patch/membership.js';
import { matchesFilter } from '../../src/scim/filter/evaluate.js';
import { PATCH_OP_SCHEMA, parsePatchRequest, type PatchOperation } from '../../src/scim/patch/operations.js';
import { parsePatchPath } from '../../src/scim/patch/path.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, USER_RESOURCE, type AttributeSchema } from '../../src/scim/schema-registry.js';

const ENTERPRISE = ENTERPRISE_USER_SCHEMA;
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const USER_ID = 'user-1';
const GROUP_ID = 'group-1';

const USER: ResourceAttributes = {
  userName: 'bjensen',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@home.example', type: 'home' },
  ],
  [ENTERPRISE]: { department: 'Sales', employeeNumber: '42', manager: { value: 'boss-1' } },
};

const GROUP: ResourceAttributes = { displayName: 'Admins', members: [{ value: 'u1' }, { value: 'u2' }] };

function body(operations: unknown[]): Record<string, unknown> {
  return { schemas: [PATCH_OP_SCHEMA], Operations: operations };
}

/** Parses a wire-format PatchOp and applies it to a user, as the route will. */
function patchUser(attributes: ResourceAttributes, ...operations: unknown[]): ResourceAttributes {
  return applyPatch(USER_RESOURCE, attributes, parsePatchRequest(body(operations)), { resourceId: USER_ID });
}

function patchGroup(attributes: ResourceAttributes, ...operations: unknown[]): ResourceAttributes {
  return applyPatch(GROUP_RESOURCE, attributes, parsePatchRequest(body(operations)), { resourceId: GROUP_ID });
}

function splitGroup(...operations: unknown[]): ReturnType<typeof splitMembershipOperations> {
  return splitMembershipOperations(GROUP_RESOURCE, parsePatchRequest(body(operations)));
}

function user(changes: ResourceAttributes): ResourceAttributes {
  return { ...structuredClone(USER), ...changes };
}

function enterprise(changes: Record<string, unknown>): Record<string, unknown> {
  return { ...(USER[ENTERPRISE] as Record<string, unknown>), ...changes };
}

function assertScimError(run: () => unknown, code: ErrorCode, label: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ScimError, `${label}: threw ${String(error)} instead of a ScimError`);
    assert.equal(error.code, code, `${label}: code ${error.code} (${error.message})`);
    assert.ok(error.message.length > 10, `${label}: detail too short`);
    return true;
  }, `${label}: did not throw`);
}

function attribute(name: string, type: AttributeSchema['type']): AttributeSchema {
  return { name, type, multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

describe('RFC 7644 §3.5.2 PATCH', () => {
  describe('§3.5.2.1 add', () => {
    it('sets a simple attribute, absent or present', () => {
      assert.deepEqual(patchUser(USER, { op: 'add', path: 'title', value: 'Tour Guide' }), user({ title: 'Tour Guide' }));
      assert.deepEqual(patchUser(USER, { op: 'add', path: 'userName', value: 'babs' }), user({ userName: 'babs' }));
    });

    it('merges sub-attributes into a single-valued complex attribute', () => {
      const result = patchUser(USER, { op: 'add', path: 'name', value: { MiddleName: 'Jane', givenName: 'Babs' } });
      assert.deepEqual(result['name'], { givenName: 'Babs', familyName: 'Jensen', middleName: 'Jane' });
    });

    it('appends one value or an array of values to a multi-valued attribute', () => {
      const one = { value: 'b@other.example', type: 'other' };
      const two = { value: 'c@other.example', type: 'other' };
      assert.deepEqual(patchUser(USER, { op: 'add', path: 'emails', value: one })['emails'], [...(USER['emails'] as unknown[]), one]);
      assert.deepEqual(patchUser(USER, { op: 'add', path: 'emails', value: [one, two] })['emails'], [...(USER['emails'] as unknown[]), one, two]);
      assert.deepEqual(patchUser({ userName: 'x' }, { op: 'add', path: 'emails', value: [one] }), { userName: 'x', emails: [one] });
    });

    it('never duplicates a value that is already there (value compared case-insensitively)', () => {
      const again = { value: 'BJensen@Example.com', type: 'Work', primary: 'True' };
      assert.deepEqual(patchUser(USER, { op: 'add', path: 'emails', value: [again, again] }), USER);
      const twice = { value: 'new@example.com' };
      assert.deepEqual(patchUser(USER, { op: 'add', path: 'emails', value: [twice, twice] })['emails'], [...(USER['emails'] as unknown[]), twice]);
    });

    it('sets a sub-attribute, creating the complex attribute when absent', () => {
      assert.deepEqual(patchUser(USER, { op: 'add', path: 'name.givenName', value: 'Babs' })['name'], { givenName: 'Babs', familyName: 'Jensen' });
      assert.deepEqual(patchUser({ userName: 'x' }, { op: 'add', path: 'name.familyName', value: 'Doe' }), { userName: 'x', name: { familyName: 'Doe' } });
    });

    it('sets a sub-attribute of the elements a filter selects', () => {
      const result = patchUser(USER, { op: 'add', path: 'emails[type eq "work"].value', value: 'barbara@example.com' });
      assert.deepEqual(result['emails'], [
        { value: 'barbara@example.com', type: 'work', primary: true },
        { value: 'babs@home.example', type: 'home' },
      ]);
    });

    it('merges an object into the elements a filter selects', () => {
      const result = patchUser(USER, { op: 'add', path: 'emails[type eq "home"]', value: { display: 'Home', Primary: false } });
      assert.deepEqual((result['emails'] as unknown[])[1], { value: 'babs@home.example', type: 'home', display: 'Home', primary: false });
    });

    it('sets a sub-attribute of every element when a multi-valued attribute has no filter', () => {
      const result = patchUser(USER, { op: 'add', path: 'emails.display', value: 'E-mail' });
      assert.deepEqual((result['emails'] as Array<Record<string, unknown>>).map((email) => email['display']), ['E-mail', 'E-mail']);
    });

    it('applies each key of a path-less value as if it were the path', () => {
      const result = patchUser(USER, {
        op: 'add',
        value: { Title: 'Guide', emails: [{ value: 'x@example.com' }], name: { middleName: 'J' }, [ENTERPRISE]: { costCenter: 'CC1' } },
      });
      assert.deepEqual(
        result,
        user({
          title: 'Guide',
          emails: [...(USER['emails'] as unknown[]), { value: 'x@example.com' }],
          name: { givenName: 'Barbara', familyName: 'Jensen', middleName: 'J' },
          [ENTERPRISE]: enterprise({ costCenter: 'CC1' }),
        }),
      );
    });

    it('accepts a writeOnly password (the caller extracts it)', () => {
      assert.equal(patchUser(USER, { op: 'add', path: 'password', value: 'secret' })['password'], 'secret');
    });
  });

  describe('§3.5.2.2 remove', () => {
    it('removes an attribute; an absent one is a no-op', () => {
      const { active: _removed, ...rest } = USER;
      assert.deepEqual(patchUser(USER, { op: 'remove', path: 'active' }), rest);
      assert.deepEqual(patchUser(USER, { op: 'remove', path: 'title' }), USER);
      assert.deepEqual(patchUser({ userName: 'x' }, { op: 'remove', path: `${ENTERPRISE}:department` }), { userName: 'x' });
    });

    it('removes the elements a filter selects; no match is a no-op', () => {
      assert.deepEqual(patchUser(USER, { op: 'remove', path: 'emails[type eq "work"]' })['emails'], [{ value: 'babs@home.example', type: 'home' }]);
      assert.deepEqual(patchUser(USER, { op: 'remove', path: 'emails[type eq "other"]' }), USER);
      const { emails: _removed, ...rest } = USER;
      assert.deepEqual(patchUser(USER, { op: 'remove', path: 'emails[value co "EXAMPLE"]' }), rest);
    });

    it('removes a sub-attribute of the elements a filter selects', () => {
      const result = patchUser(USER, { op: 'remove', path: 'emails[type eq "work"].primary' });
      assert.deepEqual((result['emails'] as unknown[])[0], { value: 'bjensen@example.com', type: 'work' });
    });

    it('removes a sub-attribute, and the complex attribute once it is empty', () => {
      assert.deepEqual(patchUser(USER, { op: 'remove', path: 'name.givenName' })['name'], { familyName: 'Jensen' });
      const result = patchUser(USER, { op: 'remove', path: 'name.givenName' }, { op: 'remove', path: 'name.familyName' });
      assert.equal('name' in result, false);
    });

    it('removes the listed values of a multi-valued attribute, matched by "value"', () => {
      const result = patchUser(USER, { op: 'remove', path: 'emails', value: [{ value: 'BABS@home.example', type: 'ignored' }] });
      assert.deepEqual(result['emails'], [{ value: 'bjensen@example.com', type: 'work', primary: true }]);
    });

    it('removes listed values without a "value" sub-attribute by all the sub-attributes given', () => {
      const attributes = { userName: 'x', addresses: [{ type: 'work', locality: 'Oslo' }, { type: 'home', locality: 'Bergen' }] };
      const result = patchUser(attributes, { op: 'remove', path: 'addresses', value: [{ type: 'home' }] });
      assert.deepEqual(result['addresses'], [{ type: 'work', locality: 'Oslo' }]);
    });

    it('removes a whole extension, and an extension object once it is empty', () => {
      const { [ENTERPRISE]: _removed, ...rest } = USER;
      assert.deepEqual(patchUser(USER, { op: 'remove', path: ENTERPRISE }), rest);
      const attributes = { userName: 'x', [ENTERPRISE]: { department: 'Sales' } };
      assert.deepEqual(patchUser(attributes, { op: 'remove', path: `${ENTERPRISE}:department` }), { userName: 'x' });
    });
  });

  describe('§3.5.2.3 replace', () => {
    it('replaces a simple attribute, or adds it when absent', () => {
      assert.deepEqual(patchUser(USER, { op: 'replace', path: 'userName', value: 'babs' }), user({ userName: 'babs' }));
      assert.deepEqual(patchUser(USER, { op: 'replace', path: 'nickName', value: 'Babs' }), user({ nickName: 'Babs' }));
    });

    it('replaces a single-valued complex attribute as a whole', () => {
      assert.deepEqual(patchUser(USER, { op: 'replace', path: 'name', value: { givenName: 'Babs' } })['name'], { givenName: 'Babs' });
    });

    it('replaces the whole list of a multi-valued attribute, with or without a path', () => {
      const emails = [{ value: 'only@example.com', type: 'work' }];
      assert.deepEqual(patchUser(USER, { op: 'replace', path: 'emails', value: emails })['emails'], emails);
      assert.deepEqual(patchUser(USER, { op: 'replace', value: { emails } })['emails'], emails);
      assert.deepEqual(patchUser(USER, { op: 'replace', path: 'emails', value: emails[0] })['emails'], emails);
    });

    it('empties a multi-valued attribute replaced with []', () => {
      assert.equal('emails' in patchUser(USER, { op: 'replace', path: 'emails', value: [] }), false);
    });

    it('replaces a sub-attribute of, or the whole of, the elements a filter selects', () => {
      const value = patchUser(USER, { op: 'replace', path: 'emails[type eq "work"].value', value: 'new@example.com' });
      assert.deepEqual((value['emails'] as unknown[])[0], { value: 'new@example.com', type: 'work', primary: true });
      const whole = patchUser(USER, { op: 'replace', path: 'emails[type eq "work"]', value: { value: 'new@example.com', type: 'work' } });
      assert.deepEqual((whole['emails'] as unknown[])[0], { value: 'new@example.com', type: 'work' });
    });

    it('replaces only the named attributes of an extension', () => {
      const result = patchUser(USER, { op: 'replace', path: ENTERPRISE, value: { department: 'Marketing' } });
      assert.deepEqual(result[ENTERPRISE], enterprise({ department: 'Marketing' }));
    });

    it('applies each key of a path-less value as a replace', () => {
      const result = patchUser(USER, { op: 'replace', value: { displayName: 'Babs', name: { familyName: 'J' }, 'name.givenName': 'B' } });
      assert.deepEqual(result, user({ displayName: 'Babs', name: { familyName: 'J', givenName: 'B' } }));
    });
  });

  describe('paths', () => {
    const accepted: Array<[string, unknown]> = [
      ['userName', { attribute: 'userName' }],
      ['USERNAME', { attribute: 'userName' }],
      ['externalId', { attribute: 'externalId' }],
      ['name.givenName', { attribute: 'name', subAttribute: 'givenName' }],
      ['Name.GIVENNAME', { attribute: 'name', subAttribute: 'givenName' }],
      ['emails', { attribute: 'emails' }],
      ['emails[type eq "work"]', { attribute: 'emails', filter: parseFilter('type eq "work"') }],
      ['emails[TYPE eq "work"].VALUE', { attribute: 'emails', filter: parseFilter('type eq "work"'), subAttribute: 'value' }],
      ['emails[value eq "a]b"]', { attribute: 'emails', filter: parseFilter('value eq "a]b"') }],
      ['phoneNumbers[type eq "mobile" and primary eq true].value', { attribute: 'phoneNumbers', filter: parseFilter('type eq "mobile" and primary eq true'), subAttribute: 'value' }],
      [`${CORE_USER}:userName`, { attribute: 'userName' }],
      [`${CORE_USER.toLowerCase()}:emails[type eq "work"].value`, { attribute: 'emails', filter: parseFilter('type eq "work"'), subAttribute: 'value' }],
      [`${ENTERPRISE}:department`, { extension: ENTERPRISE, attribute: 'department' }],
      [`${ENTERPRISE.toUpperCase()}:DEPARTMENT`, { extension: ENTERPRISE, attribute: 'department' }],
      [`${ENTERPRISE}:manager`, { extension: ENTERPRISE, attribute: 'manager' }],
      [`${ENTERPRISE}:manager.value`, { extension: ENTERPRISE, attribute: 'manager', subAttribute: 'value' }],
      [`${ENTERPRISE}:manager.$ref`, { extension: ENTERPRISE, attribute: 'manager', subAttribute: '$ref' }],
      [ENTERPRISE, { extension: ENTERPRISE, attribute: '' }],
      [' title ', { attribute: 'title' }],
    ];
    accepted.forEach(([text, expected]) => {
      it(`parses ${JSON.stringify(text)}`, () => {
        assert.deepEqual(parsePatchPath(USER_RESOURCE, text), expected);
      });
    });

    it('parses Group paths', () => {
      assert.deepEqual(parsePatchPath(GROUP_RESOURCE, 'members[value eq "u1"]'), { attribute: 'members', filter: parseFilter('value eq "u1"') });
      assert.deepEqual(parsePatchPath(GROUP_RESOURCE, 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName'), { attribute: 'displayName' });
    });

    const rejected: Array<[string, ErrorCode]> = [
      ['', 'invalidPath'],
      ['nosuch', 'invalidPath'],
      ['name.nosuch', 'invalidPath'],
      ['userName.x', 'invalidPath'],
      ['name.givenName.x', 'invalidPath'],
      ['name[givenName eq "x"]', 'invalidPath'],
      ['userName[value eq "x"]', 'invalidPath'],
      ['emails[type eq "work"', 'invalidPath'],
      ['emails[type eq "work"]value', 'invalidPath'],
      ['emails[type eq "work"].', 'invalidPath'],
      ['emails[type eq "work"].nosuch', 'invalidPath'],
      ['emails.value[type eq "work"]', 'invalidPath'],
      ['emails [type eq "work"]', 'invalidPath'],
      ['urn:example:unknown:2.0:User:userName', 'invalidPath'],
      [`${CORE_USER}`, 'invalidPath'],
      [`${ENTERPRISE}:nosuch`, 'invalidPath'],
      [`${ENTERPRISE}[department eq "x"]`, 'invalidPath'],
      ['members', 'invalidPath'],
      ['emails[]', 'invalidFilter'],
      ['emails[type eq]', 'invalidFilter'],
      ['emails[nosuch eq "x"]', 'invalidFilter'],
      ['emails[type.x eq "x"]', 'invalidFilter'],
      ['emails[x[type eq "y"]]', 'invalidPath'],
      ['emails[x[type eq "y"]', 'invalidFilter'],
    ];
    rejected.forEach(([text, code]) => {
      it(`rejects ${JSON.stringify(text)} with ${code}`, () => {
        assertScimError(() => parsePatchPath(USER_RESOURCE, text), code, text);
      });
    });
  });

  describe('value filters (in-memory evaluation)', () => {
    const email = { value: 'BJensen@Example.com', type: 'work', primary: 'True', display: 'Babs' };
    const emailSubs = USER_RESOURCE.attributes.find((attribute) => attribute.name === 'emails')?.subAttributes ?? [];
    const cases: Array<[string, boolean]> = [
      ['value eq "bjensen@example.com"', true],
      ['value ne "bjensen@example.com"', false],
      ['value co "JENSEN"', true],
      ['value sw "bj"', true],
      ['value ew ".COM"', true],
      ['value ew ".org"', false],
      ['value gt "a"', true],
      ['value lt "a"', false],
      ['value ge "bjensen@example.com"', true],
      ['value le "bjensen@example.com"', true],
      ['type pr', true],
      ['primary eq true', true],
      ['primary eq "true"', true],
      ['primary ne false', true],
      ['type eq "work" and primary eq true', true],
      ['type eq "home" or primary eq true', true],
      ['not (type eq "work")', false],
      ['display eq null', false],
      ['display ne null', true],
    ];
    cases.forEach(([filter, expected]) => {
      it(`${filter} → ${expected}`, () => {
        assert.equal(matchesFilter(parseFilter(filter), email, emailSubs), expected);
      });
    });

    it('compares caseExact sub-attributes exactly, and is false for absent sub-attributes', () => {
      const certificates = USER_RESOURCE.attributes.find((attribute) => attribute.name === 'x509Certificates')?.subAttributes ?? [];
      assert.equal(matchesFilter(parseFilter('value eq "AbC"'), { value: 'AbC' }, certificates), true);
      assert.equal(matchesFilter(parseFilter('value eq "abc"'), { value: 'AbC' }, certificates), false);
      assert.equal(matchesFilter(parseFilter('display eq "x"'), { value: 'AbC' }, certificates), false);
      assert.equal(matchesFilter(parseFilter('display pr'), { value: 'AbC', display: '' }, certificates), false);
    });

    it('compares dateTime as instants and numbers numerically', () => {
      const subs: AttributeSchema[] = [
        { name: 'since', type: 'dateTime', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
        { name: 'rank', type: 'integer', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
      ];
      const element = { since: '2026-01-31T12:00:00+01:00', rank: 10 };
      assert.equal(matchesFilter(parseFilter('since eq "2026-01-31T11:00:00Z"'), element, subs), true);
      assert.equal(matchesFilter(parseFilter('since gt "2026-01-31T10:59:59Z"'), element, subs), true);
      assert.equal(matchesFilter(parseFilter('since lt "2026-01-31T10:59:59Z"'), element, subs), false);
      assert.equal(matchesFilter(parseFilter('rank gt 9'), element, subs), true);
      assert.equal(matchesFilter(parseFilter('rank le "9"'), element, subs), false);
    });

    const invalid: string[] = ['primary gt true', 'primary co "t"', 'primary eq "yes"', 'value eq true', 'nosuch eq "x"', 'value gt null'];
    invalid.forEach((filter) => {
      it(`rejects ${filter} with invalidFilter`, () => {
        assertScimError(() => matchesFilter(parseFilter(filter), email, emailSubs), 'invalidFilter', filter);
      });
    });
  });

  describe('Entra default mode quirks', () => {
    it('accepts capitalised ops and leaves "False" for ingress to convert', () => {
      const result = patchUser(USER, { op: 'Replace', path: 'active', value: 'False' });
      assert.equal(result['active'], 'False');
      assert.equal(parseResourceBody(USER_RESOURCE, result).attributes['active'], false);
    });

    it('creates the element when adding to a filtered path that matches nothing', () => {
      const attributes = { userName: 'x', emails: [{ value: 'h@home.example', type: 'home' }] };
      const result = patchUser(
        attributes,
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'w@example.com' },
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555' },
        { op: 'Add', path: 'addresses[type eq "work"].streetAddress', value: '1 Main St' },
        { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Oslo' },
      );
      assert.deepEqual(result, {
        userName: 'x',
        emails: [{ value: 'h@home.example', type: 'home' }, { type: 'work', value: 'w@example.com' }],
        phoneNumbers: [{ type: 'mobile', value: '+1 555' }],
        addresses: [{ type: 'work', streetAddress: '1 Main St', locality: 'Oslo' }],
      });
      assert.doesNotThrow(() => parseResourceBody(USER_RESOURCE, result));
    });

    it('creates the element for replace too, and from a conjunction of eq comparisons', () => {
      const replaced = patchUser({ userName: 'x' }, { op: 'Replace', path: 'emails[type eq "work"].value', value: 'w@example.com' });
      assert.deepEqual(replaced['emails'], [{ type: 'work', value: 'w@example.com' }]);
      const both = patchUser({ userName: 'x' }, { op: 'Add', path: 'emails[type eq "work" and primary eq true].value', value: 'w@example.com' });
      assert.deepEqual(both['emails'], [{ type: 'work', primary: true, value: 'w@example.com' }]);
      const whole = patchUser({ userName: 'x' }, { op: 'Add', path: 'emails[type eq "work"]', value: { value: 'w@example.com' } });
      assert.deepEqual(whole['emails'], [{ type: 'work', value: 'w@example.com' }]);
    });

    it('answers noTarget when a filter that is not a conjunction of eq matches nothing', () => {
      const filters = ['value co "x"', 'type eq "work" or type eq "home"', 'type ne "home"', 'not (type eq "home")', 'type pr', 'display eq null'];
      filters.forEach((filter) => {
        assertScimError(() => patchUser({ userName: 'x' }, { op: 'Add', path: `emails[${filter}].value`, value: 'a@b' }), 'noTarget', filter);
      });
    });

    it('patches enterprise attributes through URN paths', () => {
      const result = patchUser(
        USER,
        { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Marketing' },
        { op: 'Add', path: `${ENTERPRISE}:costCenter`, value: 'CC' },
      );
      assert.deepEqual(result[ENTERPRISE], enterprise({ department: 'Marketing', costCenter: 'CC' }));
      assert.deepEqual(patchUser({ userName: 'x' }, { op: 'Add', path: `${ENTERPRISE}:department`, value: 'D' }), { userName: 'x', [ENTERPRISE]: { department: 'D' } });
    });

    const managers: Array<[string, unknown]> = [
      ['an array with a null $ref', [{ $ref: null, value: 'boss-2' }]],
      ['a bare string', 'boss-2'],
      ['an object with a null $ref', { $ref: null, value: 'boss-2' }],
      ['{value}', { value: 'boss-2' }],
      ['a one-element array of a string', ['boss-2']],
    ];
    managers.forEach(([label, value]) => {
      it(`stores a manager sent as ${label} as {value}`, () => {
        for (const op of ['Add', 'Replace']) {
          const result = patchUser(USER, { op, path: `${ENTERPRISE}:manager`, value });
          assert.deepEqual(result[ENTERPRISE], enterprise({ manager: { value: 'boss-2' } }), op);
        }
      });
    });

    it('removes the manager, with or without a value', () => {
      const { manager: _removed, ...rest } = USER[ENTERPRISE] as Record<string, unknown>;
      for (const value of [undefined, [{ value: 'boss-1' }], 'boss-1']) {
        const operation = value === undefined ? { op: 'Remove', path: `${ENTERPRISE}:manager` } : { op: 'Remove', path: `${ENTERPRISE}:manager`, value };
        assert.deepEqual(patchUser(USER, operation)[ENTERPRISE], rest, JSON.stringify(value));
      }
    });

    describe('legacy unqualified "manager" (resolved against the one extension that defines it)', () => {
      it('adds and replaces the manager through the path "manager"', () => {
        for (const op of ['Add', 'Replace']) {
          assert.deepEqual(patchUser(USER, { op, path: 'manager', value: [{ $ref: null, value: 'boss-2' }] })[ENTERPRISE], enterprise({ manager: { value: 'boss-2' } }), op);
          assert.deepEqual(patchUser({ userName: 'x' }, { op, path: 'Manager', value: 'boss-3' }), { userName: 'x', [ENTERPRISE]: { manager: { value: 'boss-3' } } }, op);
        }
      });

      it('removes the manager through the path "manager", with or without a value', () => {
        const { manager: _removed, ...rest } = USER[ENTERPRISE] as Record<string, unknown>;
        assert.deepEqual(patchUser(USER, { op: 'Remove', path: 'manager' })[ENTERPRISE], rest);
        assert.deepEqual(patchUser(USER, { op: 'Remove', path: 'manager', value: [{ $ref: null, value: 'boss-1' }] })[ENTERPRISE], rest);
      });

      it('resolves other unqualified names and sub-attributes the same way, path-less keys included', () => {
        assert.deepEqual(patchUser(USER, { op: 'replace', path: 'department', value: 'Ops' })[ENTERPRISE], enterprise({ department: 'Ops' }));
        assert.deepEqual(patchUser(USER, { op: 'replace', path: 'manager.value', value: 'boss-4' })[ENTERPRISE], enterprise({ manager: { value: 'boss-4' } }));
        assert.deepEqual(patchUser(USER, { op: 'replace', value: { costCenter: 'CC-9' } })[ENTERPRISE], enterprise({ costCenter: 'CC-9' }));
      });

      it('keeps core names core: "displayName" is the User attribute, not an extension\'s', () => {
        assert.deepEqual(parsePatchPath(USER_RESOURCE, 'displayName'), { attribute: 'displayName' });
        assert.deepEqual(parsePatchPath(USER_RESOURCE, 'manager'), { extension: ENTERPRISE, attribute: 'manager' });
      });

      it('answers 400 invalidPath when several extensions define the name', () => {
        const second = { urn: 'urn:ietf:params:scim:schemas:extension:second:2.0:User', storageKey: 'second', required: false, attributes: [attribute('manager', 'string')] };
        const ambiguous = { ...USER_RESOURCE, extensions: [...USER_RESOURCE.extensions, second] };
        for (const path of ['manager', 'manager.value', 'Manager']) {
          assertScimError(() => parsePatchPath(ambiguous, path), 'invalidPath', path);
        }
        assertScimError(() => applyPatch(ambiguous, USER, [{ op: 'replace', value: { manager: 'x' } }]), 'invalidPath', 'path-less');
        assert.deepEqual(parsePatchPath(ambiguous, `${second.urn}:manager`), { extension: second.urn, attribute: 'manager' });
      });
    });

    it('removes values listed in a Remove (emails on a User, members on a Group)', () => {
      const result = patchUser(USER, { op: 'Remove', path: 'emails', value: [{ value: 'bjensen@example.com' }] });
      assert.deepEqual(result['emails'], [{ value: 'babs@home.example', type: 'home' }]);
      assert.deepEqual(splitGroup({ op: 'Remove', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] }), {
        membership: [{ kind: 'remove', ids: ['u1', 'u2'] }],
        others: [],
      });
    });

    it('clears an attribute patched with null or ""', () => {
      const { title: _title, ...withoutTitle } = user({ title: 'T' });
      for (const op of ['Add', 'Replace']) {
        for (const value of [null, '']) {
          const label = `${op} ${JSON.stringify(value)}`;
          assert.deepEqual(patchUser(user({ title: 'T' }), { op, path: 'title', value }), withoutTitle, label);
          assert.equal('emails' in patchUser(USER, { op, path: 'emails', value }), false, label);
          assert.equal('name' in patchUser(USER, { op, path: 'name', value }), false, label);
          assert.deepEqual(patchUser(USER, { op, path: 'name.givenName', value })['name'], { familyName: 'Jensen' }, label);
          assert.deepEqual(patchUser(USER, { op, path: `${ENTERPRISE}:manager`, value })[ENTERPRISE], { department: 'Sales', employeeNumber: '42' }, label);
          assert.deepEqual(patchUser(USER, { op, path: 'emails[type eq "work"].primary', value })['emails'], [
            { value: 'bjensen@example.com', type: 'work' },
            { value: 'babs@home.example', type: 'home' },
          ], label);
          assert.deepEqual(patchUser(USER, { op, path: 'emails[type eq "other"].value', value }), USER, label);
          assert.deepEqual(patchUser(user({ title: 'T' }), { op, value: { title: value } }), withoutTitle, label);
        }
      }
    });
  });

  describe('Entra aadOptscim062020 quirks', () => {
    it('applies dotted and URN-prefixed keys of a path-less value', () => {
      const result = patchUser(USER, {
        op: 'add',
        value: {
          'name.givenName': 'Babs',
          'NAME.middleName': 'J',
          [`${ENTERPRISE}:employeeNumber`]: '43',
          [`${CORE_USER}:userName`]: 'babs',
          [`${ENTERPRISE}:manager`]: 'boss-2',
          active: false,
        },
      });
      assert.deepEqual(
        result,
        user({
          userName: 'babs',
          active: false,
          name: { givenName: 'Babs', familyName: 'Jensen', middleName: 'J' },
          [ENTERPRISE]: enterprise({ employeeNumber: '43', manager: { value: 'boss-2' } }),
        }),
      );
    });

    it('replaces an extension given as a nested object key by key', () => {
      const result = patchUser(USER, { op: 'replace', value: { [ENTERPRISE]: { department: 'Ops', manager: { value: 'boss-3' } } } });
      assert.deepEqual(result[ENTERPRISE], enterprise({ department: 'Ops', manager: { value: 'boss-3' } }));
    });

    it('removes members by members[value eq "…"]', () => {
      assert.deepEqual(splitGroup({ op: 'remove', path: 'members[value eq "u1"]' }), { membership: [{ kind: 'remove', ids: ['u1'] }], others: [] });
      assert.deepEqual(splitGroup({ op: 'remove', path: 'members[value eq "u1" or value eq "u2"]' }).membership, [{ kind: 'remove', ids: ['u1', 'u2'] }]);
    });

    it('hands other member filters to the caller as removeWhere', () => {
      const { membership } = splitGroup({ op: 'remove', path: 'members[type eq "User" and value eq "u1"]' });
      assert.deepEqual(membership, [{ kind: 'removeWhere', filter: parseFilter('type eq "User" and value eq "u1"') }]);
    });
  });

  describe('Okta', () => {
    it('deactivates and reactivates with a path-less replace', () => {
      assert.deepEqual(patchUser(USER, { op: 'replace', value: { active: false } }), user({ active: false }));
      assert.deepEqual(patchUser(user({ active: false }), { op: 'replace', value: { active: true } }), USER);
    });

    it('renames a group with a value that repeats the group id; another id is a mutability error', () => {
      const value = { id: GROUP_ID, displayName: 'Admins 2', schemas: ['x'], meta: { resourceType: 'Group' } };
      assert.deepEqual(patchGroup(GROUP, { op: 'replace', value }), { ...GROUP, displayName: 'Admins 2' });
      assertScimError(() => patchGroup(GROUP, { op: 'replace', value: { ...value, id: 'other' } }), 'mutability', 'other id');
      assertScimError(() => applyPatch(GROUP_RESOURCE, GROUP, [{ op: 'replace', value }]), 'mutability', 'no resourceId');
    });

    it('splits a membership push into membership operations, in order', () => {
      const split = splitGroup(
        { op: 'remove', path: 'members[value eq "u1"]' },
        { op: 'add', path: 'members', value: [{ value: 'u3', display: 'Carol' }, { value: 'u4' }] },
        { op: 'replace', value: { id: GROUP_ID, displayName: 'Renamed' } },
        { op: 'add', path: 'members', value: { value: 'u5' } },
      );
      assert.deepEqual(split, {
        membership: [
          { kind: 'remove', ids: ['u1'] },
          { kind: 'add', ids: ['u3', 'u4'] },
          { kind: 'add', ids: ['u5'] },
        ],
        others: [{ op: 'replace', value: { id: GROUP_ID, displayName: 'Renamed' } }],
      });
    });

    it('splits replace of the full member list, [] and removal of all members', () => {
      assert.deepEqual(
        splitGroup(
          { op: 'replace', path: 'members', value: [{ value: 'u1' }] },
          { op: 'replace', path: 'members', value: [] },
          { op: 'remove', path: 'members' },
          { op: 'replace', path: 'members', value: null },
        ).membership,
        [{ kind: 'replace', ids: ['u1'] }, { kind: 'replace', ids: [] }, { kind: 'removeAll' }, { kind: 'removeAll' }],
      );
    });

    it('splits the members key out of path-less values and keeps the other keys', () => {
      const split = splitGroup(
        { op: 'add', value: { members: [{ value: 'u1' }] } },
        { op: 'replace', value: { displayName: 'G', Members: [{ value: 'u2' }] } },
        { op: 'replace', value: { 'urn:ietf:params:scim:schemas:core:2.0:Group:members': [] } },
      );
      assert.deepEqual(split, {
        membership: [{ kind: 'add', ids: ['u1'] }, { kind: 'replace', ids: ['u2'] }, { kind: 'replace', ids: [] }],
        others: [{ op: 'replace', value: { displayName: 'G' } }],
      });
    });

    it('leaves non-member operations, and every User operation, unsplit', () => {
      const operations: PatchOperation[] = [{ op: 'replace', path: 'displayName', value: 'G' }];
      assert.deepEqual(splitMembershipOperations(GROUP_RESOURCE, operations), { membership: [], others: operations });
      const userOperations: PatchOperation[] = [{ op: 'add', path: 'emails', value: [{ value: 'a@b' }] }];
      assert.deepEqual(splitMembershipOperations(USER_RESOURCE, userOperations), { membership: [], others: userOperations });
    });

    it('treats removing a member that is already gone as a no-op', () => {
      assert.deepEqual(patchGroup(GROUP, { op: 'remove', path: 'members[value eq "gone"]' }), GROUP);
    });
  });

  describe('malformed PATCH requests → 400 scimType', () => {
    const requests: Array<[string, unknown, ErrorCode]> = [
      ['a non-object body', [], 'invalidSyntax'],
      ['a null body', null, 'invalidSyntax'],
      ['no schemas', { Operations: [{ op: 'add', path: 'title', value: 'x' }] }, 'invalidSyntax'],
      ['another schema', { schemas: [CORE_USER], Operations: [{ op: 'add', path: 'title', value: 'x' }] }, 'invalidSyntax'],
      ['schemas as a string', { schemas: PATCH_OP_SCHEMA, Operations: [{ op: 'add', path: 'title', value: 'x' }] }, 'invalidSyntax'],
      ['no Operations', { schemas: [PATCH_OP_SCHEMA] }, 'invalidSyntax'],
      ['empty Operations', body([]), 'invalidSyntax'],
      ['Operations as an object', { schemas: [PATCH_OP_SCHEMA], Operations: { op: 'add' } }, 'invalidSyntax'],
      ['an operation that is not an object', body(['add']), 'invalidSyntax'],
      ['an unknown op', body([{ op: 'copy', path: 'title', value: 'x' }]), 'invalidSyntax'],
      ['no op', body([{ path: 'title', value: 'x' }]), 'invalidSyntax'],
      ['a numeric op', body([{ op: 1, path: 'title', value: 'x' }]), 'invalidSyntax'],
      ['remove without path', body([{ op: 'remove' }]), 'noTarget'],
      ['remove with a blank path', body([{ op: 'remove', path: ' ' }]), 'noTarget'],
      ['add without value', body([{ op: 'add', path: 'title' }]), 'invalidSyntax'],
      ['replace without value', body([{ op: 'replace' }]), 'invalidSyntax'],
      ['a numeric path', body([{ op: 'add', path: 5, value: 'x' }]), 'invalidPath'],
    ];
    requests.forEach(([label, request, code]) => {
      it(`rejects ${label} with ${code}`, () => {
        assertScimError(() => parsePatchRequest(request), code, label);
      });
    });

    it('accepts 1000 operations, a lowercase "operations" key and a null path', () => {
      assert.equal(parsePatchRequest(body(Array.from({ length: 1000 }, () => ({ op: 'add', path: 'title', value: 'x' })))).length, 1000);
      assert.deepEqual(parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], operations: [{ Op: 'ADD', Path: null, Value: { title: 'x' } }] }), [
        { op: 'add', value: { title: 'x' } },
      ]);
      assert.deepEqual(parsePatchRequest(body([{ op: 'Replace', path: 'title', value: null }])), [{ op: 'replace', path: 'title', value: null }]);
    });

    const operations: Array<[string, unknown, ErrorCode]> = [
      ['an unknown attribute', { op: 'add', path: 'nosuch', value: 'x' }, 'invalidPath'],
      ['an unknown sub-attribute', { op: 'replace', path: 'name.nosuch', value: 'x' }, 'invalidPath'],
      ['a filter on a single-valued attribute', { op: 'replace', path: 'name[givenName eq "x"]', value: 'x' }, 'invalidPath'],
      ['a broken bracket filter', { op: 'remove', path: 'emails[type eq ]' }, 'invalidFilter'],
      ['an unknown key in a path-less value', { op: 'add', value: { nosuch: 'x' } }, 'invalidPath'],
      ['an unknown key in an extension value', { op: 'add', value: { [ENTERPRISE]: { nosuch: 'x' } } }, 'invalidPath'],
      ['a path-less value that is not an object', { op: 'replace', value: 'x' }, 'invalidValue'],
      ['a path-less value that is an array', { op: 'add', value: [{ title: 'x' }] }, 'invalidValue'],
      ['a non-object value for a complex attribute', { op: 'replace', path: 'name', value: 'x' }, 'invalidValue'],
      ['a non-object value for an extension', { op: 'add', path: ENTERPRISE, value: 'x' }, 'invalidValue'],
      ['a non-object value for a filtered element', { op: 'add', path: 'emails[type eq "work"]', value: 'x' }, 'invalidValue'],
      ['two managers', { op: 'add', path: `${ENTERPRISE}:manager`, value: [{ value: 'a' }, { value: 'b' }] }, 'invalidValue'],
      ['a non-object value to remove', { op: 'remove', path: 'emails', value: ['a@b'] }, 'invalidValue'],
      ['a path to id', { op: 'replace', path: 'id', value: 'x' }, 'mutability'],
      ['removing id', { op: 'remove', path: 'id' }, 'mutability'],
      ['a path to meta.lastModified', { op: 'replace', path: 'meta.lastModified', value: 'x' }, 'mutability'],
      ['a path to groups', { op: 'add', path: 'groups', value: [{ value: 'g' }] }, 'mutability'],
      ['a path to schemas', { op: 'replace', path: 'schemas', value: [] }, 'mutability'],
      ['a read-only sub-attribute', { op: 'replace', path: `${ENTERPRISE}:manager.displayName`, value: 'x' }, 'mutability'],
      ['a path-less id of another resource', { op: 'replace', value: { id: 'user-2' } }, 'mutability'],
      ['a path-less groups key', { op: 'replace', value: { groups: [] } }, 'mutability'],
      ['a sub-attribute of a multi-valued attribute without values', { op: 'add', path: 'phoneNumbers.value', value: 'x' }, 'noTarget'],
      ['a no-match filter that is not a conjunction of eq', { op: 'replace', path: 'emails[type sw "x"].value', value: 'x' }, 'noTarget'],
    ];
    operations.forEach(([label, operation, code]) => {
      it(`rejects ${label} with ${code}`, () => {
        assertScimError(() => patchUser(USER, operation), code, label);
      });
    });

    it('rejects a path-less remove passed straight to applyPatch with noTarget', () => {
      assertScimError(() => applyPatch(USER_RESOURCE, USER, [{ op: 'remove' }]), 'noTarget', 'path-less remove');
    });

    const membership: Array<[string, unknown, ErrorCode]> = [
      ['a member without value', { op: 'add', path: 'members', value: [{ display: 'x' }] }, 'invalidValue'],
      ['a member with an empty value', { op: 'add', path: 'members', value: [{ value: '' }] }, 'invalidValue'],
      ['a member given as a bare string', { op: 'replace', path: 'members', value: ['u1'] }, 'invalidValue'],
      ['a numeric member value', { op: 'remove', path: 'members', value: [{ value: 1 }] }, 'invalidValue'],
      ['a path-less member without value', { op: 'add', value: { members: [{}] } }, 'invalidValue'],
      ['a member sub-attribute', { op: 'replace', path: 'members[value eq "u1"].display', value: 'x' }, 'mutability'],
      ['removing a member sub-attribute', { op: 'remove', path: 'members.value' }, 'mutability'],
      ['adding to a filtered members path', { op: 'add', path: 'members[value eq "u1"]', value: { value: 'u1' } }, 'invalidPath'],
      ['a broken members filter', { op: 'remove', path: 'members[value eq]' }, 'invalidFilter'],
    ];
    membership.forEach(([label, operation, code]) => {
      it(`rejects ${label} on a Group with ${code}`, () => {
        assertScimError(() => splitGroup(operation), code, label);
      });
    });
  });

  describe('purity', () => {
    it('never mutates its input attributes or operations', () => {
      const attributes = deepFreeze(structuredClone(USER));
      const operations = deepFreeze<PatchOperation[]>([
        { op: 'add', path: 'emails', value: [{ value: 'x@example.com' }] },
        { op: 'replace', path: 'name.givenName', value: 'B' },
        { op: 'remove', path: 'emails[type eq "home"]' },
        { op: 'add', path: `${ENTERPRISE}:department`, value: 'D' },
        { op: 'replace', value: { displayName: 'Babs', [ENTERPRISE]: { costCenter: 'C' } } },
        { op: 'add', path: 'emails[type eq "work"].display', value: 'W' },
      ]);
      const result = applyPatch(USER_RESOURCE, attributes, operations);
      assert.deepEqual(attributes, USER);
      assert.notDeepEqual(result, USER);
    });

    it('does not share objects with the operations it applied', () => {
      const value = { givenName: 'B' };
      const result = applyPatch(USER_RESOURCE, USER, [{ op: 'replace', path: 'name', value }]);
      value.givenName = 'changed';
      assert.deepEqual(result['name'], { givenName: 'B' });
    });

    it('keeps a client\'s "__proto__" key from replacing an object\'s prototype', () => {
      const value: unknown = JSON.parse('{"__proto__": {"polluted": true}, "givenName": "B"}');
      for (const op of ['add', 'replace']) {
        const name = patchUser(USER, { op, path: 'name', value })['name'] as Record<string, unknown>;
        assert.equal(Object.getPrototypeOf(name), Object.prototype, op);
        assert.equal((name as { polluted?: boolean }).polluted, undefined, op);
      }
      const split = splitGroup({ op: 'replace', value: JSON.parse('{"__proto__": {"polluted": true}, "members": []}') });
      assert.equal(Object.getPrototypeOf(split.others[0]?.value), Object.prototype);
    });

    it('returns equal attributes for a no-op patch', () => {
      const result = patchUser(
        USER,
        { op: 'add', path: 'emails', value: { value: 'BJENSEN@example.com', type: 'work', primary: true } },
        { op: 'remove', path: 'title' },
        { op: 'remove', path: 'emails[type eq "other"]' },
        { op: 'replace', path: 'userName', value: 'bjensen' },
        { op: 'add', path: 'name', value: { givenName: 'Barbara' } },
      );
      assert.deepEqual(result, USER);
      assert.notEqual(result, USER);
    });
  });
});
