import assert from 'node:assert/strict';
import { storageKeyOf } from '../../src/scim/schema-registry.js';
import { assertScimError, ENTERPRISE, LIFECYCLE, startTestApp, user, USER_SCHEMA, type TestApp } from '../support/app.js';
import { CONTOSO } from '../support/schema-extensions.js';
import { createUser, rawUser, storedUser, type Body } from '../users/helpers.js';
import { patchOp, sendPatch } from '../patch/helpers.js';

/**
 * The shipped example extension (schemas/extensions/contoso-user.json, Entra-style custom user
 * attributes) through every way a client reaches an attribute: POST, GET, PUT, each PATCH path form,
 * filters, sorting and attributes/excludedAttributes.
 */

const AWS = { name: 'AWS Solutions Architect', issuer: 'Amazon', expires: '2027-03-31T00:00:00.000Z' };
const CISSP = { name: 'CISSP', issuer: 'ISC2', expires: '2026-06-30T00:00:00.000Z' };

function contosoUser(userName: string, contoso: Body, extra: Body = {}): Body {
  return { ...user(userName, extra), schemas: [USER_SCHEMA, CONTOSO], [CONTOSO]: contoso };
}

describe('Custom schema extension: urn:…:contoso:2.0:User', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('ext-contoso');
  });
  after(async () => {
    await t.close();
  });

  describe('POST and GET', () => {
    it('stores, returns and lists the URN in schemas', async () => {
      const created = await createUser(t, contosoUser('ada', { badgeNumber: 'B-1042', remoteWorker: true, certifications: [AWS] }));
      assert.deepEqual(created.body.schemas, [USER_SCHEMA, CONTOSO, LIFECYCLE]);
      assert.deepEqual(created.body[CONTOSO], { badgeNumber: 'B-1042', remoteWorker: true, certifications: [AWS] });
      const read = await t.scim.get(`/Users/${created.body.id}`);
      assert.deepEqual(read.body[CONTOSO], created.body[CONTOSO]);
      assert.deepEqual((await storedUser(t, created.body.id))?.attributes[CONTOSO], created.body[CONTOSO]);
    });

    it('stores the values under an engine-safe key derived from the URN', async () => {
      const created = await createUser(t, contosoUser('storage.key', { badgeNumber: 'B-7' }));
      const raw = await rawUser(t, created.body.id);
      const key = storageKeyOf(CONTOSO);
      assert.equal(key, 'urn:ietf:params:scim:schemas:extension:contoso:2%2E0:user');
      assert.deepEqual(raw?.ext[key], { badgeNumber: 'B-7' });
      assert.deepEqual((raw?.['sk'] as Body)['ext'][key], { badgeNumber: '1b-7' });
    });

    it('accepts URN-prefixed flat keys (core ones too), "True" strings and dates with offsets or without (UTC)', async () => {
      const created = await createUser(t, {
        schemas: [USER_SCHEMA, CONTOSO],
        userName: 'flat.keys',
        [`${CONTOSO}:badgeNumber`]: 'B-9',
        [`${CONTOSO}:remoteWorker`]: 'True',
        [`${USER_SCHEMA}:title`]: 'Core URN key',
        [CONTOSO]: { certifications: [{ name: 'CKA', expires: '2027-01-01T02:00:00+02:00' }, { name: 'CKAD', expires: '2027-06-01T08:30:00' }] },
      });
      assert.deepEqual(created.body[CONTOSO], {
        badgeNumber: 'B-9',
        remoteWorker: true,
        certifications: [{ name: 'CKA', expires: '2027-01-01T00:00:00.000Z' }, { name: 'CKAD', expires: '2027-06-01T08:30:00.000Z' }],
      });
      assert.equal(created.body.title, 'Core URN key');
    });

    const invalid: [string, Body, string][] = [
      ['a number as badgeNumber', { badgeNumber: 42 }, 'invalidValue'],
      ['"maybe" as remoteWorker', { remoteWorker: 'maybe' }, 'invalidValue'],
      ['certifications as one object', { certifications: AWS }, 'invalidValue'],
      ['a certification without its required name', { certifications: [{ issuer: 'Amazon' }] }, 'invalidValue'],
      ['a date that is not a date', { certifications: [{ name: 'X', expires: 'next year' }] }, 'invalidValue'],
      ['a UUID as a date (Date would parse some)', { certifications: [{ name: 'X', expires: '1e7a0c52-2a47-4b8e-9d4c-2045f6d1a3b9' }] }, 'invalidValue'],
      ['February 30th', { certifications: [{ name: 'X', expires: '2027-02-30T00:00:00Z' }] }, 'invalidValue'],
      ['a date without a time', { certifications: [{ name: 'X', expires: '2027-02-01' }] }, 'invalidValue'],
    ];
    for (const [label, contoso, scimType] of invalid) {
      it(`answers 400 ${scimType} for ${label}, storing nothing`, async () => {
        const response = await t.scim.post('/Users').send(contosoUser(`bad.${label.replace(/\W+/g, '.')}`, contoso));
        assertScimError(response, 400, scimType);
        const found = await t.scim.get('/Users').query({ filter: `userName eq "bad.${label.replace(/\W+/g, '.')}"` });
        assert.equal(found.body.totalResults, 0);
      });
    }
  });

  describe('PUT', () => {
    it('replaces the extension object and removes it when left out', async () => {
      const created = await createUser(t, contosoUser('put.me', { badgeNumber: 'B-1', certifications: [AWS] }));
      const replaced = await t.scim.put(`/Users/${created.body.id}`).send(contosoUser('put.me', { remoteWorker: false }));
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
      assert.deepEqual(replaced.body[CONTOSO], { remoteWorker: false });
      const cleared = await t.scim.put(`/Users/${created.body.id}`).send(user('put.me'));
      assert.equal(cleared.body[CONTOSO], undefined);
      assert.deepEqual(cleared.body.schemas, [USER_SCHEMA, LIFECYCLE]);
      assert.equal((await rawUser(t, created.body.id))?.ext[storageKeyOf(CONTOSO)], undefined);
    });
  });

  describe('PATCH in every path form (RFC 7644 §3.5.2)', () => {
    const cases: { label: string; before: Body; operations: Body[]; after: Body | undefined }[] = [
      { label: 'URN-qualified add', before: {}, operations: [{ op: 'add', path: `${CONTOSO}:badgeNumber`, value: 'B-2' }], after: { badgeNumber: 'B-2' } },
      { label: 'URN-qualified replace', before: { badgeNumber: 'B-1' }, operations: [{ op: 'replace', path: `${CONTOSO}:badgeNumber`, value: 'B-3' }], after: { badgeNumber: 'B-3' } },
      { label: 'URN-qualified remove', before: { badgeNumber: 'B-1', remoteWorker: true }, operations: [{ op: 'remove', path: `${CONTOSO}:badgeNumber` }], after: { remoteWorker: true } },
      { label: 'unqualified name (one extension defines it)', before: {}, operations: [{ op: 'Replace', path: 'remoteWorker', value: 'True' }], after: { remoteWorker: true } },
      { label: 'path-less with a URN-qualified key', before: {}, operations: [{ op: 'replace', value: { [`${CONTOSO}:badgeNumber`]: 'B-4' } }], after: { badgeNumber: 'B-4' } },
      {
        label: 'path-less with the extension URN as key',
        before: { badgeNumber: 'B-1' },
        operations: [{ op: 'add', value: { [CONTOSO]: { remoteWorker: false, certifications: [CISSP] } } }],
        after: { badgeNumber: 'B-1', remoteWorker: false, certifications: [CISSP] },
      },
      { label: 'the whole extension as the path', before: { badgeNumber: 'B-1' }, operations: [{ op: 'replace', path: CONTOSO, value: { badgeNumber: 'B-5' } }], after: { badgeNumber: 'B-5' } },
      { label: 'removing the whole extension', before: { badgeNumber: 'B-1' }, operations: [{ op: 'remove', path: CONTOSO }], after: undefined },
      { label: 'add to the multi-valued complex attribute', before: { certifications: [AWS] }, operations: [{ op: 'add', path: `${CONTOSO}:certifications`, value: [CISSP] }], after: { certifications: [AWS, CISSP] } },
      {
        label: 'a value filter with a sub-attribute',
        before: { certifications: [AWS, CISSP] },
        operations: [{ op: 'replace', path: `${CONTOSO}:certifications[name eq "aws solutions architect"].expires`, value: '2028-03-31T00:00:00Z' }],
        after: { certifications: [{ ...AWS, expires: '2028-03-31T00:00:00.000Z' }, CISSP] },
      },
      {
        label: 'add through a value filter that matches nothing yet (Entra)',
        before: {},
        operations: [{ op: 'add', path: `${CONTOSO}:certifications[name eq "CKA"].issuer`, value: 'CNCF' }],
        after: { certifications: [{ name: 'CKA', issuer: 'CNCF' }] },
      },
      {
        label: 'remove through a value filter on a date',
        before: { certifications: [AWS, CISSP] },
        operations: [{ op: 'remove', path: `${CONTOSO}:certifications[expires lt "2027-01-01T00:00:00Z"]` }],
        after: { certifications: [AWS] },
      },
      {
        label: 'an unqualified value filter',
        before: { certifications: [AWS, CISSP] },
        operations: [{ op: 'remove', path: 'certifications[issuer eq "ISC2"]' }],
        after: { certifications: [AWS] },
      },
    ];
    for (const { label, before, operations, after } of cases) {
      it(label, async () => {
        const created = await createUser(t, contosoUser(`patch.${label.replace(/\W+/g, '.')}`.slice(0, 60), before));
        const response = await sendPatch(t, `/Users/${created.body.id}`, patchOp(...operations));
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.deepEqual(response.body[CONTOSO], after);
        assert.equal((response.body.schemas as string[]).includes(CONTOSO), after !== undefined);
        assert.deepEqual((await storedUser(t, created.body.id))?.attributes[CONTOSO], after);
      });
    }

    it('answers 400 and changes nothing when a value does not fit the schema', async () => {
      const created = await createUser(t, contosoUser('patch.bad.value', { badgeNumber: 'B-1' }));
      const response = await sendPatch(t, `/Users/${created.body.id}`, patchOp({ op: 'replace', path: `${CONTOSO}:remoteWorker`, value: 'sometimes' }));
      assertScimError(response, 400, 'invalidValue');
      assert.deepEqual((await storedUser(t, created.body.id))?.attributes[CONTOSO], { badgeNumber: 'B-1' });
    });
  });

  describe('filters, sorting and projection', () => {
    const ids: Record<string, string> = {};
    before(async () => {
      const people: [string, Body][] = [
        ['f.alpha', { badgeNumber: 'b-300', remoteWorker: true, certifications: [AWS] }],
        ['f.bravo', { badgeNumber: 'B-100', remoteWorker: false, certifications: [CISSP] }],
        ['f.charlie', { badgeNumber: 'B-200', certifications: [AWS, CISSP] }],
        ['f.delta', {}],
      ];
      for (const [name, contoso] of people) {
        const body = Object.keys(contoso).length === 0 ? user(name, { title: 'filtered' }) : contosoUser(name, contoso, { title: 'filtered' });
        ids[name] = (await createUser(t, body)).body.id;
      }
    });

    async function names(query: Record<string, string>): Promise<string[]> {
      const response = await t.scim.get('/Users').query({ count: '50', ...query });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return (response.body.Resources as Body[]).map((resource) => String(resource['userName']));
    }

    const filters: [string, string[]][] = [
      [`${CONTOSO}:badgeNumber eq "B-300"`, ['f.alpha']],
      ['badgeNumber eq "b-100"', ['f.bravo']],
      [`${CONTOSO}:remoteWorker eq true`, ['f.alpha']],
      ['remoteWorker eq "False"', ['f.bravo']],
      [`not (${CONTOSO}:remoteWorker pr)`, ['f.charlie', 'f.delta']],
      [`${CONTOSO}:certifications[name eq "CISSP"]`, ['f.bravo', 'f.charlie']],
      [`${CONTOSO}:certifications.issuer eq "amazon"`, ['f.alpha', 'f.charlie']],
      ['certifications[name sw "aws" and expires gt "2027-01-01T00:00:00Z"]', ['f.alpha', 'f.charlie']],
      [`${CONTOSO}:certifications[issuer eq "ISC2"].expires le "2026-06-30T02:00:00+02:00"`, ['f.bravo', 'f.charlie']],
      [`${CONTOSO}:certifications.expires lt "2026-07-01T00:00:00Z"`, ['f.bravo', 'f.charlie']],
      [`${CONTOSO}:badgeNumber gt "b-150"`, ['f.alpha', 'f.charlie']],
    ];
    for (const [filter, expected] of filters) {
      it(`filter=${filter}`, async () => {
        assert.deepEqual((await names({ filter: `title eq "filtered" and (${filter})` })).sort(), expected);
      });
    }

    it('sorts by an extension attribute, case-insensitively, absent values last', async () => {
      assert.deepEqual(await names({ filter: 'title eq "filtered"', sortBy: `${CONTOSO}:badgeNumber` }), ['f.bravo', 'f.charlie', 'f.alpha', 'f.delta']);
      assert.deepEqual(await names({ filter: 'title eq "filtered"', sortBy: 'badgeNumber', sortOrder: 'descending' }), ['f.delta', 'f.alpha', 'f.charlie', 'f.bravo']);
    });

    it('projects with attributes= and excludedAttributes=, qualified or not', async () => {
      const id = ids['f.alpha'] as string;
      const only = await t.scim.get(`/Users/${id}`).query({ attributes: 'badgeNumber' });
      assert.deepEqual(only.body[CONTOSO], { badgeNumber: 'b-300' });
      assert.deepEqual(only.body.schemas, [USER_SCHEMA, CONTOSO]);
      const qualified = await t.scim.get(`/Users/${id}`).query({ attributes: `${CONTOSO}:certifications.name` });
      assert.deepEqual(qualified.body[CONTOSO], { certifications: [{ name: AWS.name }] });
      const without = await t.scim.get(`/Users/${id}`).query({ excludedAttributes: `certifications,${ENTERPRISE}` });
      assert.deepEqual(without.body[CONTOSO], { badgeNumber: 'b-300', remoteWorker: true });
    });
  });
});
