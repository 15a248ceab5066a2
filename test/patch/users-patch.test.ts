import assert from 'node:assert/strict';
import { ENTERPRISE, startTestApp, type TestApp } from '../support/app.js';
import { createUser, idOf } from '../groups/helpers.js';
import { rawUser } from '../users/helpers.js';
import { assertUser200, patchOp, sendPatch, sleep, storedUser, versionNumber, type Json, type Operation } from './helpers.js';

const SCRYPT_HASH = /^scrypt\$/;

/** manager.$ref is derived from manager.value when rendering (RFC 7643 §4.3), never stored. */
function withoutDerivedRefs(key: string, value: unknown): unknown {
  if (key !== ENTERPRISE || typeof value !== 'object' || value === null) return value;
  const extension = value as Json;
  if (typeof extension['manager'] !== 'object') return value;
  const { $ref, ...manager } = extension['manager'] as Json;
  assert.match(String($ref), /\/Users\/[^/]+$/, 'manager.$ref points at the manager');
  return { ...extension, manager };
}

/**
 * PATCH /Users/{id} end to end (RFC 7644 §3.5.2): every success answers 200 with the full resource
 * and an ETag, and what is asserted is what the engine STORED, read back through the storage contract.
 */
describe('PATCH /Users/{id} (RFC 7644 §3.5.2)', function () {
  let t: TestApp;
  let seq = 0;

  before(async () => {
    t = await startTestApp('patch-users');
  });

  after(() => t.close());

  /** A fresh user per test, so tests never depend on each other. */
  async function freshUser(extra: Json = {}): Promise<string> {
    seq += 1;
    const created = await createUser(t, `patch.user.${seq}@example.com`, {
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      emails: [{ value: `bjensen.${seq}@example.com`, type: 'work', primary: true }],
      ...extra,
    });
    return idOf(created);
  }

  /**
   * PATCHes the user and checks the universal success contract: 200, full resource, ETag = meta.version
   * = stored version, version incremented by exactly one and lastModified moved forward.
   */
  async function patchChanges(id: string, ...operations: Operation[]): Promise<{ body: Json; stored: Awaited<ReturnType<typeof storedUser>> }> {
    const before = await storedUser(t, id);
    await sleep(3); // lastModified has millisecond resolution
    const response = await sendPatch(t, `/Users/${id}`, patchOp(...operations));
    const body = assertUser200(response, id);
    const stored = await storedUser(t, id);
    assert.equal(stored.version, before.version + 1, 'one PATCH is one write');
    assert.equal(versionNumber(body['meta']['version']), stored.version, 'meta.version is the stored version');
    assert.ok(stored.lastModified.getTime() > before.lastModified.getTime(), 'lastModified advanced');
    assert.equal(body['meta']['lastModified'], stored.lastModified.toISOString());
    assert.equal(body['meta']['created'], before.created.toISOString(), 'created never changes');
    // The response is the stored resource.
    for (const [key, value] of Object.entries(stored.attributes)) assert.deepEqual(withoutDerivedRefs(key, body[key]), value, `response ${key} = stored ${key}`);
    return { body, stored };
  }

  /** PATCHes and checks that nothing was written: 200, same version, same attributes. */
  async function patchNoOp(id: string, ...operations: Operation[]): Promise<Json> {
    const before = await storedUser(t, id);
    const response = await sendPatch(t, `/Users/${id}`, patchOp(...operations));
    const body = assertUser200(response, id);
    const after = await storedUser(t, id);
    assert.deepEqual(after, before, 'a no-op PATCH stores nothing');
    assert.equal(versionNumber(response.headers['etag']), before.version, 'meta.version unchanged');
    return body;
  }

  describe('§3.5.2.1 add', () => {
    it('adds a simple attribute', async () => {
      const id = await freshUser();
      const { body, stored } = await patchChanges(id, { op: 'add', path: 'title', value: 'Tour Guide' });
      assert.equal(stored.attributes['title'], 'Tour Guide');
      assert.equal(body['title'], 'Tour Guide');
      assert.equal(stored.attributes['userName'], body['userName'], 'other attributes kept');
    });

    it('adds name.givenName, keeping the other name parts', async () => {
      const id = await freshUser({ name: { familyName: 'Jensen' } });
      const { stored } = await patchChanges(id, { op: 'add', path: 'name.givenName', value: 'Babs' });
      assert.deepEqual(stored.attributes['name'], { givenName: 'Babs', familyName: 'Jensen' });
    });

    it('appends to emails, keeping the existing email', async () => {
      const id = await freshUser();
      const before = (await storedUser(t, id)).attributes['emails'] as Json[];
      const { stored } = await patchChanges(id, { op: 'add', path: 'emails', value: [{ value: 'babs@home.example', type: 'home' }] });
      assert.deepEqual(stored.attributes['emails'], [...before, { value: 'babs@home.example', type: 'home' }]);
    });

    it('appends with a path-less value object', async () => {
      const id = await freshUser();
      const before = (await storedUser(t, id)).attributes['emails'] as Json[];
      const { stored } = await patchChanges(id, { op: 'add', value: { emails: [{ value: 'other@example.org', type: 'other' }], nickName: 'Babs' } });
      assert.deepEqual(stored.attributes['emails'], [...before, { value: 'other@example.org', type: 'other' }]);
      assert.equal(stored.attributes['nickName'], 'Babs');
    });

    it('re-adding an email that is already there is a no-op: 200, no duplicate, version unchanged', async () => {
      const id = await freshUser();
      const existing = ((await storedUser(t, id)).attributes['emails'] as Json[])[0] as Json;
      await patchNoOp(id, { op: 'add', path: 'emails', value: [{ value: existing['value'], type: 'work', primary: true }] });
      assert.equal(((await storedUser(t, id)).attributes['emails'] as Json[]).length, 1);
    });

    it('Entra: Add to emails[type eq "work"].value updates the existing work email', async () => {
      const id = await freshUser({ emails: [{ value: 'old@example.com', type: 'work', primary: true }, { value: 'h@example.com', type: 'home' }] });
      const { stored } = await patchChanges(id, { op: 'Add', path: 'emails[type eq "work"].value', value: 'new@example.com' });
      assert.deepEqual(stored.attributes['emails'], [
        { value: 'new@example.com', type: 'work', primary: true },
        { value: 'h@example.com', type: 'home' },
      ]);
    });

    it('Entra: Add to emails[type eq "work"].value CREATES the work email when there is none', async () => {
      const id = await freshUser({ emails: [{ value: 'h@example.com', type: 'home' }] });
      const { stored } = await patchChanges(id, { op: 'Add', path: 'emails[type eq "work"].value', value: 'created@example.com' });
      assert.deepEqual(stored.attributes['emails'], [{ value: 'h@example.com', type: 'home' }, { type: 'work', value: 'created@example.com' }]);
    });

    it('Entra: Add to emails[type eq "work"].value creates the list on a user without emails', async () => {
      seq += 1;
      const id = idOf(await createUser(t, `no.emails.${seq}@example.com`));
      const { stored } = await patchChanges(id, { op: 'Add', path: 'emails[type eq "work"].value', value: 'first@example.com' });
      assert.deepEqual(stored.attributes['emails'], [{ type: 'work', value: 'first@example.com' }]);
    });

    it('Entra: Add to phoneNumbers[type eq "mobile"].value creates the mobile number, then updates it', async () => {
      const id = await freshUser({ phoneNumbers: [{ value: '555-0100', type: 'work' }] });
      const first = await patchChanges(id, { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '555-0199' });
      assert.deepEqual(first.stored.attributes['phoneNumbers'], [{ value: '555-0100', type: 'work' }, { type: 'mobile', value: '555-0199' }]);
      const second = await patchChanges(id, { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '555-0200' });
      assert.deepEqual(second.stored.attributes['phoneNumbers'], [{ value: '555-0100', type: 'work' }, { type: 'mobile', value: '555-0200' }]);
    });

    it('Entra: Add to addresses[type eq "work"].streetAddress creates the work address', async () => {
      const id = await freshUser();
      const { stored, body } = await patchChanges(
        id,
        { op: 'Add', path: 'addresses[type eq "work"].streetAddress', value: '100 Universal City Plaza' },
        { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Hollywood' },
      );
      assert.deepEqual(stored.attributes['addresses'], [{ type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood' }]);
      assert.deepEqual(body['addresses'], stored.attributes['addresses']);
    });

    it('Entra: Add to an enterprise attribute through its URN path', async () => {
      const id = await freshUser();
      const { stored, body } = await patchChanges(id, { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Tour Operations' });
      assert.deepEqual(stored.attributes[ENTERPRISE], { department: 'Tour Operations' });
      assert.ok((body['schemas'] as string[]).includes(ENTERPRISE), 'the extension URN is listed in schemas');
      assert.equal(body[ENTERPRISE]['department'], 'Tour Operations');
    });

    it('Entra: Add manager as [{"$ref":null,"value":"<id>"}] stores {value}', async () => {
      const boss = await freshUser();
      const id = await freshUser();
      const { stored } = await patchChanges(id, { op: 'Add', path: `${ENTERPRISE}:manager`, value: [{ $ref: null, value: boss }] });
      assert.deepEqual(stored.attributes[ENTERPRISE], { manager: { value: boss } });
    });
  });

  describe('§3.5.2.3 replace', () => {
    it('replaces a simple attribute', async () => {
      const id = await freshUser({ title: 'Intern' });
      const { stored } = await patchChanges(id, { op: 'replace', path: 'title', value: 'CEO' });
      assert.equal(stored.attributes['title'], 'CEO');
    });

    it('replaces name.givenName, keeping familyName', async () => {
      const id = await freshUser();
      const { stored, body } = await patchChanges(id, { op: 'replace', path: 'name.givenName', value: 'Babs' });
      assert.deepEqual(stored.attributes['name'], { givenName: 'Babs', familyName: 'Jensen' });
      assert.deepEqual(body['name'], { givenName: 'Babs', familyName: 'Jensen' });
    });

    it('replaces userName (and the new name is what a filter finds)', async () => {
      const id = await freshUser();
      seq += 1;
      const userName = `renamed.${seq}@example.com`;
      const { stored } = await patchChanges(id, { op: 'replace', path: 'userName', value: userName });
      assert.equal(stored.attributes['userName'], userName);
      const found = await t.scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName.toUpperCase()}"`)}`);
      assert.equal(found.status, 200);
      assert.deepEqual((found.body.Resources as Json[]).map((resource) => resource['id']), [id]);
    });

    it('updates the element emails[type eq "work"].value selects, leaving the others', async () => {
      const id = await freshUser({ emails: [{ value: 'w@example.com', type: 'work', primary: true }, { value: 'h@example.com', type: 'home' }] });
      const { stored } = await patchChanges(id, { op: 'Replace', path: 'emails[type eq "work"].value', value: 'w2@example.com' });
      assert.deepEqual(stored.attributes['emails'], [
        { value: 'w2@example.com', type: 'work', primary: true },
        { value: 'h@example.com', type: 'home' },
      ]);
    });

    it('Entra: Replace of emails[type eq "work"].value creates the element when absent', async () => {
      const id = await freshUser({ emails: [{ value: 'h@example.com', type: 'home' }] });
      const { stored } = await patchChanges(id, { op: 'Replace', path: 'emails[type eq "work"].value', value: 'w@example.com' });
      assert.deepEqual(stored.attributes['emails'], [{ value: 'h@example.com', type: 'home' }, { type: 'work', value: 'w@example.com' }]);
    });

    it('path-less replace of emails REPLACES the whole list', async () => {
      const id = await freshUser({ emails: [{ value: 'w@example.com', type: 'work', primary: true }, { value: 'h@example.com', type: 'home' }] });
      const { stored } = await patchChanges(id, { op: 'replace', value: { emails: [{ value: 'only@example.com', type: 'other' }] } });
      assert.deepEqual(stored.attributes['emails'], [{ value: 'only@example.com', type: 'other' }]);
    });

    it('replace of the path "emails" replaces the whole list', async () => {
      const id = await freshUser({ emails: [{ value: 'w@example.com', type: 'work' }, { value: 'h@example.com', type: 'home' }] });
      const { stored } = await patchChanges(id, { op: 'replace', path: 'emails', value: [{ value: 'x@example.com', type: 'work' }] });
      assert.deepEqual(stored.attributes['emails'], [{ value: 'x@example.com', type: 'work' }]);
    });

    it('Entra: Replace of an enterprise attribute through its URN path', async () => {
      const id = await freshUser({ [ENTERPRISE]: { department: 'Sales', costCenter: '4130' }, schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE] });
      const { stored } = await patchChanges(id, { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Marketing' });
      assert.deepEqual(stored.attributes[ENTERPRISE], { department: 'Marketing', costCenter: '4130' });
    });

    for (const [label, managerValue] of [
      ['a bare id string', (boss: string) => boss],
      ['{value}', (boss: string) => ({ value: boss })],
      ['[{"$ref":null,"value":"<id>"}]', (boss: string) => [{ $ref: null, value: boss }]],
    ] as const) {
      it(`Entra: manager set and changed as ${label} is stored as {value}`, async () => {
        const first = await freshUser();
        const second = await freshUser();
        const id = await freshUser();
        const set = await patchChanges(id, { op: 'Add', path: `${ENTERPRISE}:manager`, value: managerValue(first) });
        assert.deepEqual(set.stored.attributes[ENTERPRISE], { manager: { value: first } });
        assert.equal(set.body[ENTERPRISE]['manager']['value'], first);
        const changed = await patchChanges(id, { op: 'Replace', path: `${ENTERPRISE}:manager`, value: managerValue(second) });
        assert.deepEqual(changed.stored.attributes[ENTERPRISE], { manager: { value: second } });
      });
    }

    it('Entra aadOptscim062020: path-less value with dotted and URN keys sets each attribute, never a literal key', async () => {
      const id = await freshUser();
      const { stored } = await patchChanges(id, {
        op: 'replace',
        value: {
          displayName: 'Babs Jensen',
          'name.givenName': 'Babs',
          'name.familyName': 'Jensen-Smith',
          [`${ENTERPRISE}:employeeNumber`]: '701984',
          [`${ENTERPRISE}:department`]: 'Tour Operations',
          active: false,
        },
      });
      assert.equal(stored.attributes['displayName'], 'Babs Jensen');
      assert.deepEqual(stored.attributes['name'], { givenName: 'Babs', familyName: 'Jensen-Smith' });
      assert.deepEqual(stored.attributes[ENTERPRISE], { employeeNumber: '701984', department: 'Tour Operations' });
      assert.equal(stored.attributes['active'], false);
      const keys = [...Object.keys(stored.attributes), ...Object.keys(stored.attributes[ENTERPRISE] as Json)];
      for (const key of keys) assert.ok(key === ENTERPRISE || (!key.includes('.') && !key.includes(':')), `literal key stored: ${key}`);
    });

    it('Entra default mode: capitalised Replace/Add/Remove in one request', async () => {
      const id = await freshUser({ title: 'Old', nickName: 'Nick' });
      const { stored } = await patchChanges(
        id,
        { op: 'Replace', path: 'title', value: 'New' },
        { op: 'Add', path: 'name.familyName', value: 'updatedFamilyName' },
        { op: 'Remove', path: 'nickName' },
      );
      assert.equal(stored.attributes['title'], 'New');
      assert.deepEqual(stored.attributes['name'], { givenName: 'Barbara', familyName: 'updatedFamilyName' });
      assert.equal('nickName' in stored.attributes, false);
    });

    it('Entra default mode: "value": "False" / "True" strings for active are stored as booleans', async () => {
      const id = await freshUser();
      const off = await patchChanges(id, { op: 'Replace', path: 'active', value: 'False' });
      assert.equal(off.stored.attributes['active'], false);
      assert.equal(off.body['active'], false);
      const on = await patchChanges(id, { op: 'Replace', path: 'active', value: 'True' });
      assert.equal(on.stored.attributes['active'], true);
      assert.equal(on.body['active'], true);
    });

    it('Okta: deactivate with {"op":"replace","value":{"active":false}}, then reactivate', async () => {
      const id = await freshUser();
      const off = await patchChanges(id, { op: 'replace', value: { active: false } });
      assert.equal(off.stored.attributes['active'], false);
      assert.equal(off.body['active'], false);
      // Disabled users are still readable.
      const read = await t.scim.get(`/Users/${id}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.active, false);
      const on = await patchChanges(id, { op: 'replace', value: { active: true } });
      assert.equal(on.stored.attributes['active'], true);
    });

    it('Okta: password sync with a path-less replace stores a new hash and never returns it', async () => {
      const id = await freshUser({ password: 'Initial-P4ssword' });
      const before = await rawUser(t, id);
      assert.match(String(before?.passwordHash), SCRYPT_HASH);
      const { body } = await patchChanges(id, { op: 'replace', value: { password: 'Brand-New-P4ssword' } });
      assert.equal(JSON.stringify(body).includes('Brand-New-P4ssword'), false);
      const after = await rawUser(t, id);
      assert.match(String(after?.passwordHash), SCRYPT_HASH);
      assert.notEqual(after?.passwordHash, before?.passwordHash, 'a new hash is stored');
      assert.equal(JSON.stringify(after).includes('Brand-New-P4ssword'), false, 'the plaintext is never stored');
      assert.equal('password' in (after?.data ?? {}), false, 'password is not a stored SCIM attribute');
      const read = await t.scim.get(`/Users/${id}`);
      assert.equal(JSON.stringify(read.body).toLowerCase().includes('password'), false);
    });

    it('password sync with the path "password" works too', async () => {
      const id = await freshUser({ password: 'Initial-P4ssword' });
      const before = await rawUser(t, id);
      await patchChanges(id, { op: 'replace', path: 'password', value: 'Another-P4ssword' });
      const after = await rawUser(t, id);
      assert.match(String(after?.passwordHash), SCRYPT_HASH);
      assert.notEqual(after?.passwordHash, before?.passwordHash);
      assert.equal('password' in (after?.data ?? {}), false);
    });

    for (const [label, value] of [
      ['""', ''],
      ['null', null],
    ] as const) {
      it(`Entra gallery: replace with ${label} clears the attribute`, async () => {
        const id = await freshUser({ title: 'To Clear', nickName: 'Keep' });
        const { stored, body } = await patchChanges(id, { op: 'Replace', path: 'title', value });
        assert.equal('title' in stored.attributes, false);
        assert.equal('title' in body, false);
        assert.equal(stored.attributes['nickName'], 'Keep');
      });

      it(`Entra gallery: path-less replace with ${label} clears the attribute`, async () => {
        const id = await freshUser({ title: 'To Clear', [ENTERPRISE]: { department: 'Gone', costCenter: '1' } });
        const { stored } = await patchChanges(id, { op: 'replace', value: { title: value, [`${ENTERPRISE}:department`]: value } });
        assert.equal('title' in stored.attributes, false);
        assert.deepEqual(stored.attributes[ENTERPRISE], { costCenter: '1' });
      });
    }

    it('a no-op replace (same value) → 200 and meta.version unchanged', async () => {
      const id = await freshUser({ title: 'Same' });
      const body = await patchNoOp(id, { op: 'replace', path: 'title', value: 'Same' });
      assert.equal(body['title'], 'Same');
    });

    it('a no-op path-less replace (Okta deactivating an inactive user) → 200 and meta.version unchanged', async () => {
      const id = await freshUser({ active: false });
      const body = await patchNoOp(id, { op: 'replace', value: { active: false } });
      assert.equal(body['active'], false);
    });
  });

  describe('§3.5.2.2 remove', () => {
    it('removes a simple attribute', async () => {
      const id = await freshUser({ title: 'Gone Soon' });
      const { stored, body } = await patchChanges(id, { op: 'remove', path: 'title' });
      assert.equal('title' in stored.attributes, false);
      assert.equal('title' in body, false);
    });

    it('removes name.givenName, keeping familyName', async () => {
      const id = await freshUser();
      const { stored } = await patchChanges(id, { op: 'remove', path: 'name.givenName' });
      assert.deepEqual(stored.attributes['name'], { familyName: 'Jensen' });
    });

    it('removes the emails a filter selects, leaving the others', async () => {
      const id = await freshUser({ emails: [{ value: 'w@example.com', type: 'work' }, { value: 'h@example.com', type: 'home' }] });
      const { stored } = await patchChanges(id, { op: 'remove', path: 'emails[type eq "home"]' });
      assert.deepEqual(stored.attributes['emails'], [{ value: 'w@example.com', type: 'work' }]);
    });

    it('removes all emails', async () => {
      const id = await freshUser({ emails: [{ value: 'w@example.com', type: 'work' }, { value: 'h@example.com', type: 'home' }] });
      const { stored } = await patchChanges(id, { op: 'remove', path: 'emails' });
      assert.equal('emails' in stored.attributes, false);
    });

    it('removes listed emails (Entra style value list)', async () => {
      const id = await freshUser({ emails: [{ value: 'w@example.com', type: 'work' }, { value: 'h@example.com', type: 'home' }] });
      const { stored } = await patchChanges(id, { op: 'Remove', path: 'emails', value: [{ value: 'h@example.com' }] });
      assert.deepEqual(stored.attributes['emails'], [{ value: 'w@example.com', type: 'work' }]);
    });

    for (const [label, operation] of [
      ['without a value', (_boss: string): Operation => ({ op: 'Remove', path: `${ENTERPRISE}:manager` })],
      ['with the manager as value', (boss: string): Operation => ({ op: 'Remove', path: `${ENTERPRISE}:manager`, value: [{ $ref: null, value: boss }] })],
    ] as const) {
      it(`Entra: Remove manager ${label}; the rest of the extension is kept`, async () => {
        const boss = await freshUser();
        const id = await freshUser({ [ENTERPRISE]: { department: 'Sales', manager: { value: boss } }, schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE] });
        assert.deepEqual((await storedUser(t, id)).attributes[ENTERPRISE], { department: 'Sales', manager: { value: boss } });
        const { stored, body } = await patchChanges(id, operation(boss));
        assert.deepEqual(stored.attributes[ENTERPRISE], { department: 'Sales' });
        assert.equal('manager' in body[ENTERPRISE], false);
      });
    }

    it('removing the last enterprise attribute drops the extension (and its schema URN)', async () => {
      const id = await freshUser({ [ENTERPRISE]: { department: 'Solo' }, schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE] });
      const { stored, body } = await patchChanges(id, { op: 'remove', path: `${ENTERPRISE}:department` });
      assert.equal(ENTERPRISE in stored.attributes, false);
      assert.equal((body['schemas'] as string[]).includes(ENTERPRISE), false);
    });

    it('removing an attribute that is absent is a no-op (200, version unchanged)', async () => {
      const id = await freshUser();
      await patchNoOp(id, { op: 'remove', path: 'title' });
    });

    it('Okta: removing an email by a filter that matches nothing is a no-op', async () => {
      const id = await freshUser();
      await patchNoOp(id, { op: 'remove', path: 'emails[value eq "nobody@example.com"]' });
    });
  });

  describe('several operations in one request', () => {
    it('applies them in order, as one write', async () => {
      const id = await freshUser();
      const { stored } = await patchChanges(
        id,
        { op: 'add', path: 'title', value: 'First' },
        { op: 'replace', path: 'title', value: 'Second' },
        { op: 'add', path: 'emails', value: { value: 'extra@example.com', type: 'home' } },
        { op: 'remove', path: 'emails[type eq "work"]' },
      );
      assert.equal(stored.attributes['title'], 'Second');
      assert.deepEqual(stored.attributes['emails'], [{ value: 'extra@example.com', type: 'home' }]);
    });

    it('Entra default mode sample request (Add then Replace of the work email, familyName)', async () => {
      const id = await freshUser({ emails: [{ value: 'h@example.com', type: 'home' }] });
      const { stored } = await patchChanges(
        id,
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
      );
      assert.deepEqual(stored.attributes['emails'], [{ value: 'h@example.com', type: 'home' }, { type: 'work', value: 'updatedEmail@microsoft.com' }]);
      assert.deepEqual(stored.attributes['name'], { givenName: 'Barbara', familyName: 'updatedFamilyName' });
    });

    it('a PATCH does not change the user\'s groups (derived from membership)', async () => {
      const id = await freshUser();
      const g = await t.scim.post('/Groups').send({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Group of ${id}`, members: [{ value: id }] });
      assert.equal(g.status, 201);
      const { body, stored } = await patchChanges(id, { op: 'replace', path: 'title', value: 'Member' });
      assert.deepEqual(stored.groupIds, [g.body.id]);
      assert.deepEqual((body['groups'] as Json[]).map((ref) => ref['value']), [g.body.id]);
    });
  });
});
