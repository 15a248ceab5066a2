import assert from 'node:assert/strict';
import type { LogEntry } from '../../src/http/logging.js';
import { unknownAttributeCounts } from '../../src/http/unknown-attribute-counts.js';
import { assertScimError, ENTERPRISE, GROUP_SCHEMA, startTestApp, user, USER_SCHEMA, type TestApp } from '../support/app.js';
import { CONTOSO } from '../support/schema-extensions.js';
import { patchOp, sendPatch, storedUser } from '../patch/helpers.js';
import type { Body } from '../users/helpers.js';

/**
 * Attributes and extension URNs no registered schema defines (UNKNOWN_ATTRIBUTES): by default they
 * are left out of what is stored, and each path (never its value) is logged at warn once per
 * interval and counted; with `reject` the request is refused with a 400 naming it.
 */

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const OTHER_URN = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';
const SECRET = 'value-that-must-never-be-logged';

function count(resource: string, path: string): number {
  return unknownAttributeCounts().find((entry) => entry.resource === resource && entry.path === path)?.count ?? 0;
}

interface Case {
  label: string;
  /** The unknown attribute's path as reported. */
  path: string;
  /** The body (POST/PUT) or PatchOp operation carrying it, plus one known change. */
  body?: (userName: string) => Body;
  operation?: Body;
  /** What the known change leaves stored. */
  stored: (attributes: Body) => void;
}

const cases: Case[] = [
  {
    label: 'an unknown core attribute',
    path: 'favouriteColour',
    body: (userName) => user(userName, { favouriteColour: SECRET, title: 'kept' }),
    operation: { op: 'replace', path: 'favouriteColour', value: SECRET },
    stored: () => undefined,
  },
  {
    label: 'an unknown sub-attribute',
    path: 'name.shoeSize',
    body: (userName) => user(userName, { name: { givenName: 'Kept', shoeSize: SECRET } }),
    operation: { op: 'add', path: 'name', value: { givenName: 'Kept', shoeSize: SECRET } },
    stored: (attributes) => assert.deepEqual(attributes['name'], { givenName: 'Kept' }),
  },
  {
    label: 'an unknown sub-attribute of a multi-valued one',
    path: 'emails.label',
    body: (userName) => user(userName, { emails: [{ value: 'kept@example.com', label: SECRET }] }),
    operation: { op: 'add', path: 'emails', value: [{ value: 'kept@example.com', label: SECRET }] },
    stored: (attributes) => assert.deepEqual((attributes['emails'] as Body[]).find((email) => email['value'] === 'kept@example.com'), { value: 'kept@example.com' }),
  },
  {
    label: 'an extension URN no schema has',
    path: OTHER_URN,
    body: (userName) => ({ ...user(userName), schemas: [USER_SCHEMA, OTHER_URN], [OTHER_URN]: { costCode: SECRET } }),
    operation: { op: 'add', value: { [OTHER_URN]: { costCode: SECRET } } },
    stored: () => undefined,
  },
  {
    label: 'an unknown attribute of a registered extension (flat key)',
    path: `${CONTOSO}:shoeSize`,
    body: (userName) => ({ ...user(userName), [`${CONTOSO}:shoeSize`]: SECRET, [`${CONTOSO}:badgeNumber`]: 'B-1' }),
    operation: { op: 'add', value: { [`${CONTOSO}:shoeSize`]: SECRET, [`${CONTOSO}:badgeNumber`]: 'B-1' } },
    stored: (attributes) => assert.deepEqual(attributes[CONTOSO], { badgeNumber: 'B-1' }),
  },
  {
    label: 'an unknown attribute inside an extension object',
    path: `${ENTERPRISE}:floor`,
    body: (userName) => ({ ...user(userName), [ENTERPRISE]: { department: 'Kept', floor: SECRET } }),
    operation: { op: 'add', path: ENTERPRISE, value: { department: 'Kept', floor: SECRET } },
    stored: (attributes) => assert.deepEqual(attributes[ENTERPRISE], { department: 'Kept' }),
  },
  {
    label: 'an unknown sub-attribute of an extension complex value',
    path: `${CONTOSO}:certifications.level`,
    body: (userName) => ({ ...user(userName), [CONTOSO]: { certifications: [{ name: 'CKA', level: SECRET }] } }),
    operation: { op: 'add', path: `${CONTOSO}:certifications`, value: [{ name: 'CKA', level: SECRET }] },
    stored: (attributes) => assert.deepEqual(attributes[CONTOSO], { certifications: [{ name: 'CKA' }] }),
  },
  {
    label: 'an unknown attribute named by a URN-qualified PATCH path',
    path: 'urn:example:unknown:2.0:Thing:attr',
    operation: { op: 'replace', path: 'urn:example:unknown:2.0:Thing:attr', value: SECRET },
    stored: () => undefined,
  },
  {
    label: 'an unknown sub-attribute after a value filter',
    path: 'emails.label',
    operation: { op: 'add', path: 'emails[type eq "work"].label', value: SECRET },
    stored: () => undefined,
  },
];

describe('Unknown attributes and extension URNs (UNKNOWN_ATTRIBUTES)', () => {
  describe('ignore (default): left out, logged once per interval, counted', () => {
    let t: TestApp;
    let logs: LogEntry[];
    const warnings = (path: string) => logs.filter((entry) => entry['level'] === 'warn' && entry['path'] === path);
    beforeEach(async () => {
      // A fresh app per case: each has its own once-per-interval memory, as a fresh process has.
      logs = [];
      t = await startTestApp('unknown-ignore', {}, { log: (entry) => logs.push(entry) });
    });
    afterEach(async () => {
      await t.close();
    });

    cases.forEach(({ label, path, body, operation, stored }, index) => {
      if (body) {
        it(`POST and PUT: ${label}`, async () => {
          const before = count('User', path);
          const created = await t.scim.post('/Users').send(body(`ignore.${index}`));
          assert.equal(created.status, 201, JSON.stringify(created.body));
          const replaced = await t.scim.put(`/Users/${created.body.id}`).send(body(`ignore.${index}`));
          assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
          const attributes = (await storedUser(t, created.body.id)).attributes;
          assert.ok(!JSON.stringify(attributes).includes(SECRET), 'nothing unknown is stored');
          assert.ok(!JSON.stringify(replaced.body).includes(SECRET), 'nothing unknown is returned');
          stored(attributes);
          assert.equal(count('User', path), before + 2, 'both requests are counted');
          const logged = warnings(path);
          assert.equal(logged.length, 1, `logged once: ${JSON.stringify(logs)}`);
          assert.deepEqual({ msg: logged[0]?.['msg'], resource: logged[0]?.['resource'], mode: logged[0]?.['mode'] }, { msg: 'unknown attribute ignored', resource: 'User', mode: 'ignore' });
          assert.ok(!JSON.stringify(logs).includes(SECRET), 'values are never logged');
        });
      }
      if (operation) {
        it(`PATCH: ${label}`, async () => {
          const created = await t.scim.post('/Users').send(user(`ignore.patch.${index}`, { emails: [{ value: 'work@example.com', type: 'work' }] }));
          const before = count('User', path);
          const response = await sendPatch(t, `/Users/${created.body.id}`, patchOp(operation));
          assert.equal(response.status, 200, JSON.stringify(response.body));
          const attributes = (await storedUser(t, created.body.id)).attributes;
          assert.ok(!JSON.stringify(attributes).includes(SECRET));
          stored(attributes);
          assert.equal(count('User', path), before + 1);
          assert.equal(warnings(path).length, 1, JSON.stringify(logs));
        });
      }
    });

    it('ignores unknown keys in Bulk data and Bulk PATCH operations', async () => {
      const before = count('User', 'bulkColour');
      const response = await t.scim.post('/Bulk').send({
        schemas: [BULK_REQUEST],
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'a', data: user('bulk.ignore.a', { bulkColour: SECRET }) },
          { method: 'POST', path: '/Users', bulkId: 'b', data: user('bulk.ignore.b', { bulkColour: SECRET }) },
          { method: 'PATCH', path: '/Users/bulkId:a', data: patchOp({ op: 'replace', value: { bulkColour: SECRET, title: 'T' } }) },
        ],
      });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.Operations.map((result: { status: string }) => result.status), ['201', '201', '200']);
      assert.equal(count('User', 'bulkColour'), before + 3);
      assert.equal(warnings('bulkColour').length, 1);
    });

    it('ignores a User attribute in a Group PATCH (path and path-less)', async () => {
      const group = await t.scim.post('/Groups').send({ schemas: [GROUP_SCHEMA], displayName: 'ignore-group' });
      const before = count('Group', 'userName');
      const response = await sendPatch(t, `/Groups/${group.body.id}`, patchOp({ op: 'replace', path: 'userName', value: 'x' }, { op: 'replace', value: { userName: 'x', displayName: 'renamed-group' } }));
      assert.equal(response.status, 204, JSON.stringify(response.body));
      assert.equal((await t.scim.get(`/Groups/${group.body.id}`)).body.displayName, 'renamed-group');
      assert.equal(count('Group', 'userName'), before + 1, 'once per request that carries it');
    });

    it("logs and counts Entra's extra Microsoft group schema URN, and creates the group", async () => {
      const microsoft = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
      const before = count('Group', microsoft);
      const response = await t.scim.post('/Groups').send({ schemas: [GROUP_SCHEMA, microsoft], displayName: 'entra-group' });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.deepEqual(response.body.schemas, [GROUP_SCHEMA]);
      assert.equal(count('Group', microsoft), before + 1);
      assert.equal(warnings(microsoft)[0]?.['msg'], 'unknown schema URN listed in schemas ignored');
    });

    it('logs a path again once the interval has passed (unit: reporter clock)', async () => {
      const { createUnknownAttributeReporter } = await import('../../src/http/unknown-attributes.js');
      const lines: LogEntry[] = [];
      let now = 0;
      const reporter = createUnknownAttributeReporter((entry) => lines.push(entry), 'ignore', 1_000, () => now);
      const ctx = { tenant: 'default', actor: 'test', requestId: 'r' };
      for (const at of [0, 500, 999, 1_000, 1_500, 2_100]) {
        now = at;
        reporter.report(ctx, 'User', ['clockColour'], 'attribute');
      }
      assert.equal(lines.length, 3, 'at 0, 1000 and 2100');
    });
  });

  describe('reject: 400 naming the attribute, nothing stored', () => {
    let t: TestApp;
    let logs: LogEntry[];
    before(async () => {
      logs = [];
      t = await startTestApp('unknown-reject', { UNKNOWN_ATTRIBUTES: 'reject' }, { log: (entry) => logs.push(entry) });
    });
    after(async () => {
      await t.close();
    });

    cases.forEach(({ label, path, body, operation }, index) => {
      if (body) {
        it(`POST and PUT → 400 invalidSyntax: ${label}`, async () => {
          const before = count('User', path);
          const refused = await t.scim.post('/Users').send(body(`reject.${index}`));
          assertScimError(refused, 400, 'invalidSyntax');
          assert.ok(String(refused.body.detail).includes(`'${path}'`), refused.body.detail);
          assert.ok(!String(refused.body.detail).includes(SECRET));
          assert.equal((await t.scim.get('/Users').query({ filter: `userName eq "reject.${index}"` })).body.totalResults, 0);
          const created = await t.scim.post('/Users').send(user(`reject.${index}`, { title: 'before' }));
          const replaced = await t.scim.put(`/Users/${created.body.id}`).send(body(`reject.${index}`));
          assertScimError(replaced, 400, 'invalidSyntax');
          assert.equal((await storedUser(t, created.body.id)).attributes['title'], 'before');
          assert.equal(count('User', path), before + 2);
          assert.equal(logs.filter((entry) => entry['path'] === path && entry['msg'] === 'unknown attribute refused').length, 1);
        });
      }
      if (operation) {
        it(`PATCH → 400 invalidPath: ${label}`, async () => {
          const created = await t.scim.post('/Users').send(user(`reject.patch.${index}`, { title: 'before' }));
          const response = await sendPatch(t, `/Users/${created.body.id}`, patchOp({ op: 'replace', path: 'title', value: 'after' }, operation));
          assertScimError(response, 400, 'invalidPath');
          assert.ok(String(response.body.detail).includes(`'${path}'`), response.body.detail);
          assert.equal((await storedUser(t, created.body.id)).attributes['title'], 'before');
        });
      }
    });

    it('refuses a User attribute in a Group PATCH with 400 invalidPath', async () => {
      const group = await t.scim.post('/Groups').send({ schemas: [GROUP_SCHEMA], displayName: 'reject-group' });
      const response = await sendPatch(t, `/Groups/${group.body.id}`, patchOp({ op: 'replace', value: { userName: 'x', displayName: 'renamed' } }));
      assertScimError(response, 400, 'invalidPath');
      assert.match(String(response.body.detail), /'userName'/);
      assert.equal((await t.scim.get(`/Groups/${group.body.id}`)).body.displayName, 'reject-group');
    });

    it('fails only the Bulk operation that carries an unknown attribute', async () => {
      const response = await t.scim.post('/Bulk').send({
        schemas: [BULK_REQUEST],
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'a', data: user('bulk.reject.a') },
          { method: 'POST', path: '/Users', bulkId: 'b', data: user('bulk.reject.b', { bulkColour: SECRET }) },
          { method: 'POST', path: '/Users', bulkId: 'c', data: user('bulk.reject.c') },
        ],
      });
      assert.equal(response.status, 200);
      const results = response.body.Operations as { status: string; response?: { scimType?: string; detail?: string } }[];
      assert.deepEqual(results.map((result) => result.status), ['201', '400', '201']);
      assert.equal(results[1]?.response?.scimType, 'invalidSyntax');
      assert.match(String(results[1]?.response?.detail), /'bulkColour'/);
    });

    it("still accepts a schema URN listed without data (Entra's Microsoft group schema)", async () => {
      const response = await t.scim.post('/Groups').send({ schemas: [GROUP_SCHEMA, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'], displayName: 'entra-group-reject' });
      assert.equal(response.status, 201, JSON.stringify(response.body));
    });
  });
});
