import assert from 'node:assert/strict';
import { type TestApp, USER_SCHEMA, assertScimError, startTestApp, user } from '../support/app.js';
import { SCIM_JSON, countUsers, createUser, storedUser } from './helpers.js';

interface BadBody {
  what: string;
  body: unknown;
  scimType: string;
}

/** Bodies that are JSON but not a valid User: RFC 7644 §3.12 scimTypes. */
const INVALID_USERS: BadBody[] = [
  { what: 'userName is missing', body: { schemas: [USER_SCHEMA], displayName: 'No Name' }, scimType: 'invalidValue' },
  { what: 'userName is an empty string', body: user(''), scimType: 'invalidValue' },
  { what: 'userName is only whitespace', body: user('   '), scimType: 'invalidValue' },
  { what: 'userName is null (unassigned)', body: user('x', { userName: null }), scimType: 'invalidValue' },
  { what: 'userName is a number', body: user('x', { userName: 42 }), scimType: 'invalidValue' },
  { what: 'userName is an object', body: user('x', { userName: { value: 'x' } }), scimType: 'invalidValue' },
  { what: 'userName is an array', body: user('x', { userName: ['x'] }), scimType: 'invalidValue' },
  { what: 'active is "maybe"', body: user('x', { active: 'maybe' }), scimType: 'invalidValue' },
  { what: 'active is a number', body: user('x', { active: 1 }), scimType: 'invalidValue' },
  { what: 'emails is not an array', body: user('x', { emails: { value: 'x@example.com' } }), scimType: 'invalidValue' },
  { what: 'emails is a string', body: user('x', { emails: 'x@example.com' }), scimType: 'invalidValue' },
  { what: 'name is a string', body: user('x', { name: 'Alice Smith' }), scimType: 'invalidValue' },
  { what: 'password is a number', body: user('x', { password: 12345678 }), scimType: 'invalidValue' },
  { what: 'password is an object', body: user('x', { password: { value: 'secret' } }), scimType: 'invalidValue' },
  { what: 'schemas lacks the core User URN', body: { schemas: ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'], userName: 'x' }, scimType: 'invalidSyntax' },
  { what: 'schemas names only the Group URN', body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], userName: 'x' }, scimType: 'invalidSyntax' },
  { what: 'schemas is empty', body: { schemas: [], userName: 'x' }, scimType: 'invalidSyntax' },
  { what: 'schemas is a string', body: { schemas: USER_SCHEMA, userName: 'x' }, scimType: 'invalidSyntax' },
  { what: 'the body is a JSON array', body: [user('x')], scimType: 'invalidSyntax' },
  { what: 'the body is a JSON string', body: 'x', scimType: 'invalidSyntax' },
  { what: 'the body is a JSON number', body: 42, scimType: 'invalidSyntax' },
  { what: 'the body is JSON true', body: true, scimType: 'invalidSyntax' },
];

/** Texts that are not JSON at all. */
const MALFORMED: string[] = ['{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x"', "{userName: 'x'}", '{"userName": "x",}', 'userName=x', '{"userName": "x"} trailing'];

describe('POST and PUT /Users reject invalid bodies (RFC 7644 §3.3, §3.12)', () => {
  let t: TestApp;
  let existingId: string;

  before(async () => {
    t = await startTestApp('users_bad_input');
    existingId = (await createUser(t, user('existing', { displayName: 'Existing' }))).body.id;
  });

  after(async () => {
    await t.close();
  });

  for (const { what, body, scimType } of INVALID_USERS) {
    it(`POST answers 400 ${scimType} when ${what}, storing nothing`, async () => {
      const before = await countUsers(t);
      const response = await t.scim.post('/Users').set('Content-Type', SCIM_JSON).send(JSON.stringify(body));
      assertScimError(response, 400, scimType);
      assert.equal(typeof response.body.detail, 'string');
      assert.equal(await countUsers(t), before);
    });

    it(`PUT answers 400 ${scimType} when ${what}, changing nothing`, async () => {
      const before = await storedUser(t, existingId);
      const response = await t.scim.put(`/Users/${existingId}`).set('Content-Type', SCIM_JSON).send(JSON.stringify(body));
      assertScimError(response, 400, scimType);
      assert.deepEqual(await storedUser(t, existingId), before);
    });
  }

  for (const text of MALFORMED) {
    it(`POST answers 400 invalidSyntax for malformed JSON ${JSON.stringify(text)}`, async () => {
      const before = await countUsers(t);
      const response = await t.scim.post('/Users').set('Content-Type', SCIM_JSON).send(text);
      assertScimError(response, 400, 'invalidSyntax');
      assert.equal(await countUsers(t), before);
    });
  }

  it('POST answers 400 for an empty body, storing nothing', async () => {
    const before = await countUsers(t);
    const response = await t.scim.post('/Users').set('Content-Type', SCIM_JSON);
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assertScimError(response, 400);
    assert.equal(await countUsers(t), before);
  });

  it('POST answers 415 for a non-JSON Content-Type, storing nothing', async () => {
    const before = await countUsers(t);
    const response = await t.scim.post('/Users').set('Content-Type', 'text/plain').send(JSON.stringify(user('plain.text')));
    assertScimError(response, 415);
    assert.equal(await countUsers(t), before);
  });

  it('still accepts a valid body after all the rejected ones', async () => {
    const response = await createUser(t, user('valid.after.invalid'));
    assert.equal(response.body.userName, 'valid.after.invalid');
    assert.equal(await countUsers(t), 2);
  });
});
