import assert from 'node:assert/strict';
import { ENTERPRISE, assertScimError, startTestApp, type TestApp } from '../support/app.js';
import { createGroup, createUser, idOf } from '../groups/helpers.js';
import { rawUser } from '../users/helpers.js';
import { PATCH_OP, assertUser200, groupSnapshot, patchOp, sendPatch, storedUser, type Json, type Operation } from './helpers.js';

interface BadCase {
  label: string;
  /** A JSON value to send, or a raw string (sent as is). */
  body: unknown;
  scimType: string;
}

const op = (operation: Operation): Json => patchOp(operation);
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * Envelope errors: the same for both resource types. Paths naming attributes no schema defines are
 * not malformed: test/extensions/unknown-attributes.test.ts covers them (ignored, or 400 invalidPath
 * with UNKNOWN_ATTRIBUTES=reject).
 */
const ENVELOPE_CASES: BadCase[] = [
  { label: 'schemas missing', body: { Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, scimType: 'invalidSyntax' },
  { label: 'schemas naming the User schema', body: { schemas: [USER_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, scimType: 'invalidSyntax' },
  { label: 'schemas a string, not an array', body: { schemas: PATCH_OP, Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, scimType: 'invalidSyntax' },
  { label: 'schemas empty', body: { schemas: [], Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, scimType: 'invalidSyntax' },
  { label: 'Operations missing', body: { schemas: [PATCH_OP] }, scimType: 'invalidSyntax' },
  { label: 'Operations empty', body: { schemas: [PATCH_OP], Operations: [] }, scimType: 'invalidSyntax' },
  { label: 'Operations an object', body: { schemas: [PATCH_OP], Operations: { op: 'replace', path: 'title', value: 'x' } }, scimType: 'invalidSyntax' },
  { label: 'Operations a string', body: { schemas: [PATCH_OP], Operations: 'replace' }, scimType: 'invalidSyntax' },
  { label: 'Operations null', body: { schemas: [PATCH_OP], Operations: null }, scimType: 'invalidSyntax' },
  { label: 'an operation that is not an object', body: { schemas: [PATCH_OP], Operations: ['replace'] }, scimType: 'invalidSyntax' },
  { label: 'unknown op "copy"', body: op({ op: 'copy', path: 'title', value: 'x' }), scimType: 'invalidSyntax' },
  { label: 'op missing', body: op({ path: 'title', value: 'x' }), scimType: 'invalidSyntax' },
  { label: 'op not a string', body: op({ op: 1, path: 'title', value: 'x' }), scimType: 'invalidSyntax' },
  { label: 'add without a value', body: op({ op: 'add', path: 'externalId' }), scimType: 'invalidSyntax' },
  { label: 'replace without a value', body: op({ op: 'replace', path: 'externalId' }), scimType: 'invalidSyntax' },
  { label: 'remove without a path', body: op({ op: 'remove' }), scimType: 'noTarget' },
  { label: 'remove with a blank path', body: op({ op: 'remove', path: '  ' }), scimType: 'noTarget' },
  { label: 'path not a string', body: op({ op: 'replace', path: 5, value: 'x' }), scimType: 'invalidPath' },
  { label: 'id as the path', body: op({ op: 'replace', path: 'id', value: 'another-id' }), scimType: 'mutability' },
  { label: 'meta as the path', body: op({ op: 'replace', path: 'meta', value: { version: 'W/"1"' } }), scimType: 'mutability' },
  { label: 'meta.lastModified as the path', body: op({ op: 'replace', path: 'meta.lastModified', value: '2020-01-01T00:00:00Z' }), scimType: 'mutability' },
  { label: 'remove id', body: op({ op: 'remove', path: 'id' }), scimType: 'mutability' },
  { label: 'path-less value with another id', body: op({ op: 'replace', value: { id: 'someone-else' } }), scimType: 'mutability' },
  { label: 'path-less value that is a string', body: op({ op: 'replace', value: 'x' }), scimType: 'invalidValue' },
  { label: 'path-less value that is an array', body: op({ op: 'add', value: [{ value: 'x' }] }), scimType: 'invalidValue' },
  { label: 'the body a JSON array', body: [op({ op: 'replace', path: 'externalId', value: 'x' })], scimType: 'invalidSyntax' },
  { label: 'the body a JSON string', body: JSON.stringify('PatchOp'), scimType: 'invalidSyntax' },
  { label: 'the body not JSON', body: '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [', scimType: 'invalidSyntax' },
  { label: 'the body not JSON (single quotes)', body: "{'schemas': []}", scimType: 'invalidSyntax' },
  {
    label: '1001 operations',
    body: patchOp(...Array.from({ length: 1001 }, (_, index) => ({ op: 'replace', path: 'externalId', value: `x${index}` }))),
    scimType: 'tooMany',
  },
  {
    label: 'a valid operation followed by an invalid one',
    body: patchOp({ op: 'replace', path: 'externalId', value: 'changed' }, { op: 'replace', path: 'displayName.x.y', value: 'x' }),
    scimType: 'invalidPath',
  },
];

const USER_CASES: BadCase[] = [
  ...ENVELOPE_CASES,
  { label: 'too many dots name.givenName.x', body: op({ op: 'replace', path: 'name.givenName.x', value: 'x' }), scimType: 'invalidPath' },
  { label: 'broken path emails[type eq "work"', body: op({ op: 'replace', path: 'emails[type eq "work"', value: 'x' }), scimType: 'invalidPath' },
  { label: 'text after the filter emails[type eq "work"]value', body: op({ op: 'replace', path: 'emails[type eq "work"]value', value: 'x' }), scimType: 'invalidPath' },
  { label: 'a filter on a single-valued attribute name[givenName eq "x"]', body: op({ op: 'replace', path: 'name[givenName eq "x"]', value: {} }), scimType: 'invalidPath' },
  { label: 'a filter on a whole extension', body: op({ op: 'replace', path: `${ENTERPRISE}[department eq "x"]`, value: {} }), scimType: 'invalidPath' },
  { label: 'a bad bracket filter emails[type eq]', body: op({ op: 'replace', path: 'emails[type eq].value', value: 'x' }), scimType: 'invalidFilter' },
  { label: 'a bad bracket filter emails[type xx "work"]', body: op({ op: 'replace', path: 'emails[type xx "work"].value', value: 'x' }), scimType: 'invalidFilter' },
  { label: 'a bracket filter on an unknown sub-attribute', body: op({ op: 'replace', path: 'emails[colour eq "red"].value', value: 'x' }), scimType: 'invalidFilter' },
  { label: 'a bracket filter with an unterminated string', body: op({ op: 'remove', path: 'emails[type eq "work]' }), scimType: 'invalidPath' },
  { label: 'groups (readOnly) as the path', body: op({ op: 'add', path: 'groups', value: [{ value: 'g1' }] }), scimType: 'mutability' },
  { label: 'groups (readOnly) in a path-less value', body: op({ op: 'add', value: { groups: [{ value: 'g1' }] } }), scimType: 'mutability' },
  { label: 'remove groups', body: op({ op: 'remove', path: 'groups' }), scimType: 'mutability' },
  { label: 'active: "maybe"', body: op({ op: 'replace', path: 'active', value: 'maybe' }), scimType: 'invalidValue' },
  { label: 'path-less active: "maybe"', body: op({ op: 'replace', value: { active: 'maybe' } }), scimType: 'invalidValue' },
  { label: 'emails: "x"', body: op({ op: 'replace', path: 'emails', value: 'x' }), scimType: 'invalidValue' },
  { label: 'path-less emails: "x"', body: op({ op: 'add', value: { emails: 'x' } }), scimType: 'invalidValue' },
  { label: 'name: "x"', body: op({ op: 'replace', path: 'name', value: 'x' }), scimType: 'invalidValue' },
  { label: 'userName: 42', body: op({ op: 'replace', path: 'userName', value: 42 }), scimType: 'invalidValue' },
  { label: 'userName cleared with ""', body: op({ op: 'replace', path: 'userName', value: '' }), scimType: 'invalidValue' },
  { label: 'remove userName (required)', body: op({ op: 'remove', path: 'userName' }), scimType: 'invalidValue' },
  { label: 'password: 5', body: op({ op: 'replace', value: { password: 5 } }), scimType: 'invalidValue' },
  { label: 'two managers', body: op({ op: 'Add', path: `${ENTERPRISE}:manager`, value: [{ value: 'a' }, { value: 'b' }] }), scimType: 'invalidValue' },
  { label: 'a whole extension that is not an object', body: op({ op: 'replace', path: ENTERPRISE, value: 'x' }), scimType: 'invalidValue' },
  { label: 'remove a listed email given as a string', body: op({ op: 'remove', path: 'emails', value: ['w@example.com'] }), scimType: 'invalidValue' },
  {
    label: 'replace of a filtered path with a non-eq filter and no match',
    body: op({ op: 'replace', path: 'emails[type co "zzz"].value', value: 'x@example.com' }),
    scimType: 'noTarget',
  },
  {
    label: 'add to a filtered path with an "or" filter and no match',
    body: op({ op: 'add', path: 'emails[type eq "other" or type eq "home"].value', value: 'x@example.com' }),
    scimType: 'noTarget',
  },
  { label: 'set phoneNumbers.value when there are no phone numbers', body: op({ op: 'replace', path: 'phoneNumbers.value', value: '555' }), scimType: 'noTarget' },
];

const GROUP_CASES: BadCase[] = [
  ...ENVELOPE_CASES,
  { label: 'a members sub-attribute path (members.display)', body: op({ op: 'replace', path: 'members.display', value: 'x' }), scimType: 'mutability' },
  { label: 'a filtered members sub-attribute path', body: op({ op: 'replace', path: 'members[value eq "x"].display', value: 'x' }), scimType: 'mutability' },
  { label: 'add to a filtered members path', body: op({ op: 'add', path: 'members[value eq "x"]', value: [{ value: 'x' }] }), scimType: 'invalidPath' },
  { label: 'broken members filter', body: op({ op: 'remove', path: 'members[value eq "x"' }), scimType: 'invalidPath' },
  { label: 'bad members filter', body: op({ op: 'remove', path: 'members[value eq]' }), scimType: 'invalidFilter' },
  { label: 'members: "x"', body: op({ op: 'add', path: 'members', value: 'x' }), scimType: 'invalidValue' },
  { label: 'members: ["x"]', body: op({ op: 'add', path: 'members', value: ['x'] }), scimType: 'invalidValue' },
  { label: 'members with an empty value', body: op({ op: 'add', path: 'members', value: [{ value: '' }] }), scimType: 'invalidValue' },
  { label: 'path-less members: "x"', body: op({ op: 'replace', value: { members: 'x' } }), scimType: 'invalidValue' },
  { label: 'displayName: 42', body: op({ op: 'replace', path: 'displayName', value: 42 }), scimType: 'invalidValue' },
  { label: 'remove displayName (required)', body: op({ op: 'remove', path: 'displayName' }), scimType: 'invalidValue' },
];

describe('malformed PATCH requests → 400 with scimType, nothing stored changes (RFC 7644 §3.5.2, §3.12)', function () {
  let t: TestApp;
  let userId: string;
  let memberId: string;
  let groupId: string;

  before(async () => {
    t = await startTestApp('patch-malformed');
    memberId = idOf(await createUser(t, 'malformed.member@example.com'));
    userId = idOf(
      await createUser(t, 'malformed.target@example.com', {
        schemas: [USER_SCHEMA, ENTERPRISE],
        name: { givenName: 'Mal', familyName: 'Formed' },
        title: 'Target',
        externalId: 'ext-malformed',
        password: 'Malformed-P4ss',
        emails: [{ value: 'w@example.com', type: 'work', primary: true }],
        [ENTERPRISE]: { department: 'QA' },
      }),
    );
    groupId = idOf(await createGroup(t, 'Malformed Group', [memberId]));
  });

  after(() => t.close());

  describe('PATCH /Users/{id}', () => {
    for (const { label, body, scimType } of USER_CASES) {
      it(`${label} → 400 ${scimType}`, async () => {
        const before = await storedUser(t, userId);
        const hashBefore = (await rawUser(t, userId))?.passwordHash;
        const response = await sendPatch(t, `/Users/${userId}`, body);
        assertScimError(response, 400, scimType);
        assert.ok(String(response.body.detail ?? '').length > 0, 'the error explains itself');
        assert.equal(response.headers['etag'], undefined, 'no ETag on an error');
        assert.deepEqual(await storedUser(t, userId), before, 'nothing stored changed');
        assert.equal((await rawUser(t, userId))?.passwordHash, hashBefore, 'password hash unchanged');
      });
    }
  });

  describe('PATCH /Groups/{id}', () => {
    for (const { label, body, scimType } of GROUP_CASES) {
      it(`${label} → 400 ${scimType}`, async () => {
        const before = await groupSnapshot(t, groupId);
        const memberBefore = await storedUser(t, memberId);
        const response = await sendPatch(t, `/Groups/${groupId}`, body);
        assertScimError(response, 400, scimType);
        assert.deepEqual(await groupSnapshot(t, groupId), before, 'nothing stored changed');
        assert.deepEqual(await storedUser(t, memberId), memberBefore, 'the member unchanged');
      });
    }
  });

  describe('limits that are not errors', () => {
    it('exactly 1000 operations are accepted', async () => {
      const operations = Array.from({ length: 1000 }, (_, index) => ({ op: 'replace', path: 'nickName', value: `n${index}` }));
      const response = await sendPatch(t, `/Users/${userId}`, patchOp(...operations));
      assertUser200(response, userId);
      assert.equal((await storedUser(t, userId)).attributes['nickName'], 'n999');
      await sendPatch(t, `/Users/${userId}`, patchOp({ op: 'remove', path: 'nickName' })).expect(200);
    });

    it('a lowercase "operations" key, a case-variant schema URN and a null path are accepted', async () => {
      const response = await sendPatch(t, `/Users/${userId}`, { schemas: [PATCH_OP.toUpperCase()], operations: [{ op: 'add', path: null, value: { nickName: 'ok' } }] });
      assertUser200(response, userId);
      assert.equal((await storedUser(t, userId)).attributes['nickName'], 'ok');
      await sendPatch(t, `/Users/${userId}`, patchOp({ op: 'remove', path: 'nickName' })).expect(200);
    });

    it('application/json is accepted as well as application/scim+json (Okta)', async () => {
      const response = await t.scim.patch(`/Users/${userId}`).set('Content-Type', 'application/json').send(patchOp({ op: 'replace', path: 'nickName', value: 'json' }));
      assertUser200(response, userId);
      await sendPatch(t, `/Users/${userId}`, patchOp({ op: 'remove', path: 'nickName' })).expect(200);
    });
  });

  describe('unknown id → 404', () => {
    for (const resource of ['Users', 'Groups']) {
      it(`PATCH /${resource}/<unknown> → 404 with a SCIM error`, async () => {
        const response = await sendPatch(t, `/${resource}/9d7c1a1e-0000-4000-8000-000000000000`, patchOp({ op: 'replace', value: { externalId: 'x' } }));
        assertScimError(response, 404);
      });
    }
  });

  describe('If-Match (RFC 7644 §3.14)', () => {
    it('a stale If-Match → 412, nothing changed; the current one → 200', async () => {
      const before = await storedUser(t, userId);
      const stale = await sendPatch(t, `/Users/${userId}`, patchOp({ op: 'replace', path: 'title', value: 'Conditional' }), `W/"${before.version - 1}"`);
      assertScimError(stale, 412);
      assert.deepEqual(await storedUser(t, userId), before);

      const future = await sendPatch(t, `/Users/${userId}`, patchOp({ op: 'replace', path: 'title', value: 'Conditional' }), `W/"${before.version + 1}"`);
      assertScimError(future, 412);
      assert.deepEqual(await storedUser(t, userId), before);

      const current = await sendPatch(t, `/Users/${userId}`, patchOp({ op: 'replace', path: 'title', value: 'Conditional' }), `W/"${before.version}"`);
      const body = assertUser200(current, userId);
      assert.equal(body['title'], 'Conditional');
      assert.equal(body['meta']['version'], `W/"${before.version + 1}"`);
      const after = await storedUser(t, userId);
      assert.equal(after.attributes['title'], 'Conditional');

      // Put the title back for the other tests (their snapshots are taken per test, so only tidiness).
      await sendPatch(t, `/Users/${userId}`, patchOp({ op: 'replace', path: 'title', value: 'Target' }), `W/"${after.version}"`).expect(200);
    });

    it('If-Match "*" matches any version', async () => {
      const response = await sendPatch(t, `/Users/${userId}`, patchOp({ op: 'replace', path: 'title', value: 'Star' }), '*');
      assert.equal(assertUser200(response, userId)['title'], 'Star');
    });

    it('a malformed body with a stale If-Match is still rejected without a write', async () => {
      const before = await storedUser(t, userId);
      const response = await sendPatch(t, `/Users/${userId}`, { Operations: [] }, `W/"${before.version - 1}"`);
      assert.ok(response.status === 400 || response.status === 412, `${response.status}`);
      assert.deepEqual(await storedUser(t, userId), before);
    });
  });
});
