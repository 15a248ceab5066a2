import assert from 'node:assert/strict';
import { ENTERPRISE, type TestApp, USER_SCHEMA, startTestApp, LIFECYCLE } from '../support/app.js';
import { type Body, createUser } from './helpers.js';

/** One user with core, complex, multi-valued and extension attributes. */
const FULL_USER = {
  schemas: [USER_SCHEMA, ENTERPRISE],
  userName: 'proj.user',
  displayName: 'Projected User',
  title: 'Analyst',
  active: true,
  name: { givenName: 'Pro', familyName: 'Jection', formatted: 'Pro Jection' },
  emails: [
    { value: 'pro@example.com', type: 'work', primary: true },
    { value: 'pro@home.example', type: 'home' },
  ],
  [ENTERPRISE]: { department: 'Insights', employeeNumber: 'P-1', costCenter: 'CC9' },
};

describe('attributes and excludedAttributes on /Users (RFC 7644 §3.4.2.5, §3.9)', () => {
  let t: TestApp;
  let id: string;

  before(async () => {
    t = await startTestApp('users_projection');
    id = (await createUser(t, FULL_USER)).body.id;
  });

  after(async () => {
    await t.close();
  });

  /** The same projection asked of GET /Users/{id} and of GET /Users (the only user in the list). */
  async function both(query: Record<string, string>): Promise<Array<[string, Body]>> {
    const one = await t.scim.get(`/Users/${id}`).query(query);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    const list = await t.scim.get('/Users').query(query);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.totalResults, 1);
    return [
      ['GET /Users/{id}', one.body as Body],
      ['GET /Users', list.body.Resources[0] as Body],
    ];
  }

  describe('attributes', () => {
    it('attributes=userName returns only schemas, id and userName', async () => {
      for (const [where, body] of await both({ attributes: 'userName' })) {
        assert.deepEqual(body, { schemas: [USER_SCHEMA], id, userName: 'proj.user' }, where);
      }
    });

    it('matches attribute names case-insensitively and accepts the core-URN-prefixed spelling', async () => {
      for (const attributes of ['USERNAME', `${USER_SCHEMA}:userName`]) {
        for (const [where, body] of await both({ attributes })) {
          assert.deepEqual(body, { schemas: [USER_SCHEMA], id, userName: 'proj.user' }, `${where} ${attributes}`);
        }
      }
    });

    it('attributes=name.givenName returns name with only givenName', async () => {
      for (const [where, body] of await both({ attributes: 'name.givenName' })) {
        assert.deepEqual(body, { schemas: [USER_SCHEMA], id, name: { givenName: 'Pro' } }, where);
      }
    });

    it('attributes=emails.value returns every email with only its value', async () => {
      for (const [where, body] of await both({ attributes: 'emails.value' })) {
        assert.deepEqual(body, { schemas: [USER_SCHEMA], id, emails: [{ value: 'pro@example.com' }, { value: 'pro@home.example' }] }, where);
      }
    });

    it('attributes=userName,displayName,meta returns those three', async () => {
      for (const [where, body] of await both({ attributes: 'userName,displayName,meta' })) {
        assert.deepEqual(Object.keys(body).sort(), ['displayName', 'id', 'meta', 'schemas', 'userName'], where);
        assert.equal(body['meta']['resourceType'], 'User');
      }
    });

    it('a URN-prefixed extension path returns only that extension attribute, the extension URN staying in schemas', async () => {
      for (const [where, body] of await both({ attributes: `${ENTERPRISE}:department` })) {
        assert.deepEqual(body, { schemas: [USER_SCHEMA, ENTERPRISE], id, [ENTERPRISE]: { department: 'Insights' } }, where);
      }
    });

    it('the extension URN alone returns the whole extension object', async () => {
      for (const [where, body] of await both({ attributes: ENTERPRISE })) {
        assert.deepEqual(body, { schemas: [USER_SCHEMA, ENTERPRISE], id, [ENTERPRISE]: FULL_USER[ENTERPRISE] }, where);
      }
    });

    it('a core attribute only drops the extension and its URN from schemas', async () => {
      for (const [where, body] of await both({ attributes: 'displayName' })) {
        assert.deepEqual(body['schemas'], [USER_SCHEMA], where);
        assert.equal(body[ENTERPRISE], undefined, where);
      }
    });

    it('an attribute the user does not have returns schemas and id only', async () => {
      for (const [where, body] of await both({ attributes: 'nickName' })) {
        assert.deepEqual(body, { schemas: [USER_SCHEMA], id }, where);
      }
    });
  });

  describe('excludedAttributes', () => {
    it('excludedAttributes=emails,meta removes exactly those', async () => {
      for (const [where, body] of await both({ excludedAttributes: 'emails,meta' })) {
        assert.equal(body['emails'], undefined, where);
        assert.equal(body['meta'], undefined, where);
        assert.equal(body['userName'], 'proj.user', where);
        assert.deepEqual(body['name'], FULL_USER.name, where);
        assert.deepEqual(body['schemas'], [USER_SCHEMA, ENTERPRISE, LIFECYCLE], where);
        assert.deepEqual(body[ENTERPRISE], FULL_USER[ENTERPRISE], where);
      }
    });

    it('an excluded extension disappears with its URN from schemas', async () => {
      for (const [where, body] of await both({ excludedAttributes: ENTERPRISE })) {
        assert.equal(body[ENTERPRISE], undefined, where);
        assert.deepEqual(body['schemas'], [USER_SCHEMA, LIFECYCLE], where);
        assert.equal(body['userName'], 'proj.user', where);
      }
    });

    it('excluding one extension attribute keeps the rest of the extension', async () => {
      for (const [where, body] of await both({ excludedAttributes: `${ENTERPRISE}:costCenter` })) {
        assert.deepEqual(body[ENTERPRISE], { department: 'Insights', employeeNumber: 'P-1' }, where);
        assert.deepEqual(body['schemas'], [USER_SCHEMA, ENTERPRISE, LIFECYCLE], where);
      }
    });

    it('excludedAttributes=name.familyName keeps the other name sub-attributes', async () => {
      for (const [where, body] of await both({ excludedAttributes: 'name.familyName' })) {
        assert.deepEqual(body['name'], { givenName: 'Pro', formatted: 'Pro Jection' }, where);
      }
    });

    it('never removes schemas or id (returned "always")', async () => {
      for (const [where, body] of await both({ excludedAttributes: 'id,schemas,userName' })) {
        assert.equal(body['id'], id, where);
        assert.deepEqual(body['schemas'], [USER_SCHEMA, ENTERPRISE, LIFECYCLE], where);
        assert.equal(body['userName'], undefined, where);
      }
    });
  });

  it('leaves the stored user untouched', async () => {
    const record = await t.storage.users.get(t.config.defaultTenant, id);
    assert.deepEqual(record?.attributes['emails'], FULL_USER.emails);
    assert.deepEqual(record?.attributes[ENTERPRISE], FULL_USER[ENTERPRISE]);
  });
});
