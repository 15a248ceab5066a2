import assert from 'node:assert/strict';
import { ENTERPRISE, type TestApp, USER_SCHEMA, startTestApp, user, LIFECYCLE } from '../support/app.js';
import { countUsers, createUser, storedUser } from './helpers.js';

/**
 * What Okta and Entra ID really send (shared notes: idp-behaviour.md). Each case is unambiguous,
 * so it is accepted and stored in canonical form rather than rejected.
 */
describe('POST/PUT /Users: leniency for what IdPs send (RFC 7643 §2.3, §2.5)', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp('users_leniency');
  });

  after(async () => {
    await t.close();
  });

  describe('"active" as a string (Entra)', () => {
    const cases: Array<[string, boolean]> = [
      ['True', true],
      ['False', false],
      ['false', false],
      ['true', true],
      ['TRUE', true],
    ];
    cases.forEach(([sent, expected], index) => {
      it(`stores "active": "${sent}" as the boolean ${expected}`, async () => {
        const response = await createUser(t, user(`active.string.${index}`, { active: sent }));
        assert.strictEqual(response.body.active, expected);
        assert.strictEqual((await storedUser(t, response.body.id))?.attributes['active'], expected);
      });
    });

    it('accepts a string active on PUT too', async () => {
      const created = await createUser(t, user('active.put'));
      const response = await t.scim.put(`/Users/${created.body.id}`).send(user('active.put', { active: 'False' }));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.strictEqual(response.body.active, false);
      assert.strictEqual((await storedUser(t, created.body.id))?.attributes['active'], false);
    });

    it('accepts "True" inside a multi-valued complex attribute (emails.primary)', async () => {
      const response = await createUser(t, user('primary.string', { emails: [{ value: 'p@example.com', type: 'work', primary: 'True' }] }));
      assert.deepEqual(response.body.emails, [{ value: 'p@example.com', type: 'work', primary: true }]);
    });
  });

  describe('null means unassigned (RFC 7643 §2.5; Entra legacy POSTs)', () => {
    it('treats "title": null and enterprise "manager": null as absent', async () => {
      const response = await createUser(t, {
        schemas: [USER_SCHEMA, ENTERPRISE],
        userName: 'nulls.entra',
        active: 'True',
        title: null,
        displayName: 'Nulls',
        name: { givenName: 'N', familyName: null },
        [ENTERPRISE]: { department: 'Sales', manager: null },
      });
      assert.equal('title' in response.body, false);
      assert.deepEqual(response.body.name, { givenName: 'N' });
      assert.deepEqual(response.body[ENTERPRISE], { department: 'Sales' });
      const record = await storedUser(t, response.body.id);
      assert.ok(record);
      assert.equal('title' in record.attributes, false);
      assert.deepEqual(record.attributes[ENTERPRISE], { department: 'Sales' });
    });

    it('on PUT, a null attribute removes the stored value', async () => {
      const created = await createUser(t, user('nulls.put', { title: 'Boss', displayName: 'Keep' }));
      const response = await t.scim.put(`/Users/${created.body.id}`).send(user('nulls.put', { title: null, displayName: 'Keep' }));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal('title' in response.body, false);
      assert.equal((await storedUser(t, created.body.id))?.attributes['title'], undefined);
    });
  });

  describe('capitalised canonical values (RFC 7643 §2.3.1, §4.1.2)', () => {
    it('stores "type": "Work" as "work" and "Mobile" as "mobile"', async () => {
      const response = await createUser(t, user('canonical.case', {
        emails: [{ value: 'c@example.com', type: 'Work', primary: true }],
        phoneNumbers: [{ value: '+1 555 0101', type: 'Mobile' }],
        addresses: [{ type: 'HOME', locality: 'Springfield' }],
      }));
      assert.equal(response.body.emails[0].type, 'work');
      assert.equal(response.body.phoneNumbers[0].type, 'mobile');
      assert.equal(response.body.addresses[0].type, 'home');
      const record = await storedUser(t, response.body.id);
      const emails = record?.attributes['emails'] as Array<Record<string, unknown>>;
      assert.equal(emails[0]?.['type'], 'work');
    });

    it('finds the user by the canonical value afterwards', async () => {
      const response = await t.scim.get('/Users').query({ filter: 'emails.type eq "work"', attributes: 'userName' });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const names = (response.body.Resources as Array<{ userName: string }>).map((resource) => resource.userName);
      assert.ok(names.includes('canonical.case'), JSON.stringify(names));
    });
  });

  describe('extra schemas entries (Entra)', () => {
    it('tolerates unknown URNs in schemas and does not echo them', async () => {
      const response = await createUser(t, {
        schemas: [USER_SCHEMA, ENTERPRISE, 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User', 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User'],
        userName: 'extra.schemas',
        [ENTERPRISE]: { department: 'R&D' },
      });
      assert.deepEqual(response.body.schemas, [USER_SCHEMA, ENTERPRISE, LIFECYCLE]);
    });

    it('accepts schema URNs in another letter case', async () => {
      const response = await createUser(t, { schemas: [USER_SCHEMA.toLowerCase()], userName: 'lowercase.schema' });
      assert.deepEqual(response.body.schemas, [USER_SCHEMA, LIFECYCLE]);
    });
  });

  describe('enterprise manager as a bare string id (Entra)', () => {
    it('stores "manager": "<id>" as {value: "<id>"}', async () => {
      const boss = await createUser(t, user('the.boss'));
      const response = await createUser(t, { schemas: [USER_SCHEMA, ENTERPRISE], userName: 'reports.to.boss', [ENTERPRISE]: { manager: boss.body.id } });
      assert.deepEqual(response.body[ENTERPRISE], { manager: { value: boss.body.id, $ref: String(response.body.meta.location).replace(response.body.id, boss.body.id) } });
      assert.deepEqual((await storedUser(t, response.body.id))?.attributes[ENTERPRISE], { manager: { value: boss.body.id } });
    });
  });

  describe('attribute names in any letter case (RFC 7643 §2.1)', () => {
    it('stores "USERNAME" and "Name.GivenName" under their schema spelling', async () => {
      const response = await createUser(t, { schemas: [USER_SCHEMA], USERNAME: 'case.insensitive', Name: { GivenName: 'Case' } });
      assert.equal(response.body.userName, 'case.insensitive');
      assert.deepEqual(response.body.name, { givenName: 'Case' });
      const record = await storedUser(t, response.body.id);
      assert.equal(record?.attributes['userName'], 'case.insensitive');
    });

    it('accepts the extension under a lower-cased URN key and returns it under the schema spelling', async () => {
      const response = await createUser(t, { schemas: [USER_SCHEMA, ENTERPRISE], userName: 'lower.urn.key', [ENTERPRISE.toLowerCase()]: { Department: 'Ops' } });
      assert.deepEqual(response.body[ENTERPRISE], { department: 'Ops' });
      assert.deepEqual(response.body.schemas, [USER_SCHEMA, ENTERPRISE, LIFECYCLE]);
      assert.deepEqual((await storedUser(t, response.body.id))?.attributes[ENTERPRISE], { department: 'Ops' });
    });
  });

  describe('Content-Type (RFC 7644 §3.1)', () => {
    it("accepts Okta's POST with Content-Type application/json", async () => {
      const before = await countUsers(t);
      const response = await t.scim
        .post('/Users')
        .set('Content-Type', 'application/json')
        .set('Accept', 'application/scim+json')
        .set('User-Agent', 'Okta SCIM Client 1.0.0')
        .send(JSON.stringify(user('okta.json@example.com', { password: 'Okta-P4ss', groups: [], name: { givenName: 'Okta', familyName: 'Json' } })));
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.match(String(response.headers['content-type']), /^application\/scim\+json/);
      assert.equal(response.body.userName, 'okta.json@example.com');
      assert.equal(await countUsers(t), before + 1);
    });

    it('accepts application/scim+json with a charset parameter', async () => {
      const response = await t.scim
        .post('/Users')
        .set('Content-Type', 'application/scim+json; charset=utf-8')
        .send(JSON.stringify(user('charset.user')));
      assert.equal(response.status, 201, JSON.stringify(response.body));
    });
  });
});
