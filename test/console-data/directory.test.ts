import assert from 'node:assert/strict';
import { MongoClient, type Document } from 'mongodb';
import { CURSOR_SECRET, createCursorCodec } from '../../src/scim/cursor.js';
import { createDirectoryReader, type DirectoryReader, type Listing } from '../../src/services/directory.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { USER_SEARCH_FIELDS, type UserSearchField } from '../../src/store/contract.js';
import { ENTERPRISE, group, startTestApp, user, type TestApp } from '../support/app.js';
import { testDatabaseUri } from '../support/engine.js';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USERS = 150;
const FAMILIES = ['Smith', 'Smithers', 'Jones', 'Brown', 'Müller', 'de la Cruz'];
const GIVENS = ['Ann', 'Anna', 'Bob', 'Chloé', 'Dev'];
const DEPARTMENTS = ['Sales', 'Engineering', 'Finance', 'Support'];

interface Seeded {
  id: string;
  userName: string;
  givenName: string;
  familyName: string;
  email: string;
  department: string;
  externalId: string;
  active: boolean;
}

function body(n: number): Record<string, unknown> {
  const givenName = GIVENS[n % GIVENS.length] as string;
  const familyName = FAMILIES[n % FAMILIES.length] as string;
  return user(`u${String(n).padStart(3, '0')}@Example.com`, {
    externalId: `EXT-${n % 7}-${n}`,
    name: { givenName, familyName },
    emails: [
      { value: `other${n}@example.org`, type: 'home' },
      { value: `${givenName}.${n}@Example.com`, type: 'work', primary: true },
    ],
    userType: 'Employee',
    active: n % 10 !== 3,
    [ENTERPRISE]: { department: DEPARTMENTS[n % DEPARTMENTS.length], employeeNumber: String(n) },
  });
}

/** Every page of a listing, followed by its cursors. */
async function all<R>(read: (cursor: string | undefined) => Promise<Listing<R>>): Promise<{ items: R[]; pages: number }> {
  const items: R[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await read(cursor);
    items.push(...page.items);
    pages += 1;
    cursor = page.nextCursor;
  } while (cursor);
  return { items, pages };
}

describe('console data: searches, members and holders are keyset pages of index ranges', function () {
  this.timeout(180_000);
  let t: TestApp;
  let seeded: Seeded[];
  let reader: DirectoryReader;
  let everyone: string;
  let approvers: string;
  let nested: string;

  before(async () => {
    t = await startTestApp('console-data-directory');
    const Operations = Array.from({ length: USERS }, (_, n) => ({ method: 'POST', path: '/Users', bulkId: `u${n}`, data: body(n) }));
    const reply = await t.scim.post('/Bulk').send({ schemas: [BULK_REQUEST], Operations });
    const ids = (reply.body.Operations as { location: string; status: string }[]).map((result) => result.location.split('/').pop() as string);
    seeded = ids.map((id, n) => {
      const sent = body(n) as { userName: string; externalId: string; active: boolean; name: { givenName: string; familyName: string } };
      return { id, userName: sent.userName, ...sent.name, email: `${GIVENS[n % GIVENS.length]}.${n}@Example.com`, department: DEPARTMENTS[n % DEPARTMENTS.length] as string, externalId: sent.externalId, active: sent.active };
    });
    nested = String((await t.scim.post('/Groups').send(group('Nested team'))).body.id);
    everyone = String((await t.scim.post('/Groups').send(group('Everyone'))).body.id);
    // Most users: walked in name order.
    const members = ids.filter((_, n) => n % 15 !== 0).map((value) => ({ value }));
    assert.equal((await t.scim.patch(`/Groups/${everyone}`).send({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [...members, { value: nested }] }] })).status, 204);
    // Three of 150: read from the side table.
    approvers = String((await t.scim.post('/Groups').send(group('Payroll Approvers', [ids[2], ids[6], ids[10]] as string[]))).body.id);
    reader = createDirectoryReader(t.storage, createCursorCodec(await t.storage.secrets.get(CURSOR_SECRET)));
  });
  after(() => t.close());

  const valueOf: Record<UserSearchField, (user: Seeded) => string> = {
    userName: (u) => u.userName,
    givenName: (u) => u.givenName,
    familyName: (u) => u.familyName,
    email: (u) => u.email,
    department: (u) => u.department,
    externalId: (u) => u.externalId,
  };

  /** The expected order: by the searched value (lower-cased but for externalId), then id. */
  function expected(field: UserSearchField, prefix: string, state?: 'active' | 'inactive'): string[] {
    const key = (u: Seeded) => (field === 'externalId' ? valueOf[field](u) : valueOf[field](u).toLowerCase());
    const wanted = field === 'externalId' ? prefix : prefix.toLowerCase();
    return seeded
      .filter((u) => key(u).startsWith(wanted) && (state === undefined || (state === 'active') === u.active))
      .sort((a, b) => (key(a) === key(b) ? (a.id < b.id ? -1 : 1) : Buffer.compare(Buffer.from(key(a)), Buffer.from(key(b)))))
      .map((u) => u.id);
  }

  describe('users by a prefix of one field', () => {
    const cases: [UserSearchField, string][] = [
      ['userName', 'U01'],
      ['userName', 'u1'],
      ['givenName', 'an'],
      ['givenName', 'CHLO'],
      ['familyName', 'smith'],
      ['familyName', 'Smithe'],
      ['familyName', 'mü'],
      ['familyName', 'de la'],
      ['email', 'anna.'],
      ['email', 'dev.1'],
      ['department', 'eng'],
      ['department', 'S'],
      ['externalId', 'EXT-3'],
      ['externalId', 'ext-3'],
      ['userName', 'nobody'],
    ];
    for (const [field, prefix] of cases) {
      for (const state of [undefined, 'active', 'inactive'] as const) {
        it(`${field} starting with "${prefix}"${state ? `, ${state}` : ''}: every match once, in order, across pages of 7`, async () => {
          const { items } = await all((cursor) => reader.searchUsers('default', { field, prefix, state }, cursor, 7));
          assert.deepEqual(items.map((record) => record.id), expected(field, prefix, state));
        });
      }
    }

    it('an empty prefix lists every user by userName; a state alone lists that state', async () => {
      const { items, pages } = await all((cursor) => reader.searchUsers('default', { field: 'email', prefix: '' }, cursor, 40));
      assert.deepEqual(items.map((record) => record.id), expected('userName', ''));
      assert.equal(pages, Math.ceil(USERS / 40));
      const inactive = await all((cursor) => reader.searchUsers('default', { field: 'userName', prefix: '', state: 'inactive' }, cursor, 4));
      assert.deepEqual(inactive.items.map((record) => record.id), expected('userName', '', 'inactive'));
    });

    it('returns whole records: attributes with the enterprise extension, lifecycle state and grants', async () => {
      const [first] = (await reader.searchUsers('default', { field: 'userName', prefix: 'u002@' }, undefined, 5)).items;
      assert.equal(first?.attributes['userName'], 'u002@Example.com');
      assert.deepEqual(first?.attributes[ENTERPRISE], { department: 'Finance', employeeNumber: '2' });
      assert.equal(first?.lifecycle?.state, 'active');
      assert.ok(first?.lifecycle?.grants.some((grant) => grant.name === 'employee-baseline'));
    });

    it('refuses a cursor of another search, or an altered one (invalidCursor)', async () => {
      const page = await reader.searchUsers('default', { field: 'familyName', prefix: 's' }, undefined, 3);
      assert.ok(page.nextCursor);
      await assert.rejects(reader.searchUsers('default', { field: 'familyName', prefix: 'j' }, page.nextCursor, 3), { code: 'invalidCursor' });
      await assert.rejects(reader.searchUsers('default', { field: 'familyName', prefix: 's' }, `${page.nextCursor.slice(0, -1)}A`, 3), { code: 'invalidCursor' });
    });

    it('follows changes: a renamed user is found by the new name, not the old one', async () => {
      const target = seeded[5] as Seeded;
      const patched = await t.scim.patch(`/Users/${target.id}`).send({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'name.familyName', value: 'Zebra' }] });
      assert.equal(patched.status, 200);
      const found = await reader.searchUsers('default', { field: 'familyName', prefix: 'zeb' }, undefined, 5);
      assert.deepEqual(found.items.map((record) => record.id), [target.id]);
      const old = await all((cursor) => reader.searchUsers('default', { field: 'familyName', prefix: target.familyName }, cursor, 50));
      assert.ok(!old.items.some((record) => record.id === target.id));
      const removed = await t.scim.patch(`/Users/${target.id}`).send({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'name.familyName' }] });
      assert.equal(removed.status, 200);
      assert.deepEqual((await reader.searchUsers('default', { field: 'familyName', prefix: 'zeb' }, undefined, 5)).items, []);
      target.familyName = '';
    });
  });

  describe('groups and members', () => {
    it('groups by a prefix of displayName', async () => {
      const { items } = await all((cursor) => reader.searchGroups('default', 'e', cursor, 1));
      assert.deepEqual(items.map((record) => record.attributes['displayName']), ['Everyone']);
      const every = await all((cursor) => reader.searchGroups('default', '', cursor, 2));
      assert.deepEqual(every.items.map((record) => record.attributes['displayName']), ['Everyone', 'Nested team', 'Payroll Approvers']);
    });

    for (const [name, groupOf, pageSize] of [
      ['a group most users belong to', () => everyone, 9],
      ['a group of three', () => approvers, 2],
    ] as const) {
      it(`${name}: its members page by page, each once, by userName, as GET /Groups/{id} lists them`, async () => {
        const groupId = groupOf();
        const shown = await t.scim.get(`/Groups/${groupId}`);
        const api = (shown.body.members as { value: string; type: string; display?: string }[]) ?? [];
        const users = await all((cursor) => reader.members('default', groupId, 'User', cursor, pageSize));
        const groups = await all((cursor) => reader.members('default', groupId, 'Group', cursor, pageSize));
        assert.deepEqual([...users.items, ...groups.items].map((member) => member.id).sort(), api.map((member) => member.value).sort());
        const byName = new Map(seeded.map((u) => [u.id, u.userName.toLowerCase()]));
        const names = users.items.map((member) => byName.get(member.id) as string);
        assert.deepEqual(names, [...names].sort());
        for (const member of users.items) assert.equal(member.display, api.find((entry) => entry.value === member.id)?.display);
      });
    }
  });

  describe('roles and the access review figures', () => {
    it('the holders of a role are the users whose grants name it, by userName', async () => {
      const records = await t.storage.users.getMany('default', seeded.map((u) => u.id));
      const holders = records
        .filter((record) => (record.lifecycle?.grants ?? []).some((grant) => grant.name === 'payroll-approver'))
        .map((record) => String(record.attributes['userName']).toLowerCase())
        .sort();
      const { items } = await all((cursor) => reader.roleHolders('default', 'payroll-approver', cursor, 2));
      assert.deepEqual(items.map((record) => String(record.attributes['userName']).toLowerCase()), holders);
      assert.ok(holders.length > 0, 'finance members of Payroll Approvers hold it');
      const baseline = await all((cursor) => reader.roleHolders('default', 'employee-baseline', cursor, 25));
      assert.equal(baseline.items.length, seeded.filter((u) => u.active).length);
    });

    it('counts: nobody inactive holds access, nobody drifted, and everyone is stale for a cutoff in the future', async () => {
      const policy = { fingerprint: (seeded.length > 0 && (await t.storage.users.get('default', seeded[0]!.id))?.lifecycle?.policyFingerprint) || '' };
      const now = await reader.counts('default', policy as never, new Date(Date.now() - 86_400_000));
      assert.deepEqual(now, { inactiveWithAccess: 0, otherPolicy: 0, stale: 0 });
      const later = await reader.counts('default', { fingerprint: 'another policy' } as never, new Date(Date.now() + 60_000));
      assert.deepEqual(later, { inactiveWithAccess: 0, otherPolicy: seeded.filter((u) => u.active).length, stale: USERS });
      const cutoff = new Date(Date.now() + 60_000);
      const stale = await all((cursor) => reader.staleUsers('default', cutoff, cursor, 40));
      assert.equal(stale.items.length, USERS);
      const times = stale.items.map((record) => record.lastModified.getTime());
      assert.deepEqual(times, [...times].sort((a, b) => a - b));
      assert.deepEqual((await reader.inactiveWithAccess('default', undefined, 10)).items, []);
    });
  });

  describe('storage', () => {
    let client: MongoClient;
    before(async () => {
      client = await MongoClient.connect(testDatabaseUri(t.dbName as string));
    });
    after(() => client.close());

    it('users stored before the directory keys get them at the next start', async () => {
      const users = client.db().collection('users');
      await users.updateMany({}, { $unset: { dxGiven: '', dxFamily: '', dxEmail: '', dxDepartment: '', dxExternalId: '', dxRoles: '' } });
      await client.db().collection('store_meta').deleteOne({ _id: 'directoryKeys:users' as never });
      const storage = await createMongoStorage({ uri: testDatabaseUri(t.dbName as string) });
      await storage.close();
      const target = seeded[1] as Seeded;
      const doc = await users.findOne({ _id: target.id as never });
      assert.equal(doc?.['dxFamily'], target.familyName.toLowerCase());
      assert.equal(doc?.['dxEmail'], target.email.toLowerCase());
      assert.equal(doc?.['dxDepartment'], target.department.toLowerCase());
      assert.equal(doc?.['dxExternalId'], target.externalId);
      assert.ok((doc?.['dxRoles'] as string[]).includes('employee-baseline'));
    });

    it('every search, list and count shape is answered from an index (pushed down to SQLite, no table scan)', async function () {
      if (process.env.MONGODB_URI) this.skip();
      const db = client.db();
      const tenant = 'default';
      const after = { nameLc: { $gte: 'u050' }, $or: [{ nameLc: { $gt: 'u050' } }, { nameLc: 'u050', _id: { $gt: 'x' } }] };
      const shapes: [string, string, Document, Document | undefined][] = [
        ...USER_SEARCH_FIELDS.filter((field) => field !== 'userName').map((field): [string, string, Document, Document] => {
          const path = { givenName: 'dxGiven', familyName: 'dxFamily', email: 'dxEmail', department: 'dxDepartment', externalId: 'dxExternalId' }[field as Exclude<UserSearchField, 'userName'>];
          return [`users by ${field} prefix`, `scalar_tenant_${path}_id`, { $and: [{ tenant, [path]: { $gte: 'a', $lt: 'a\u{10FFFF}' } }, {}] }, { [path]: 1, _id: 1 }];
        }),
        ['users by userName prefix, next page', 'scalar_tenant_nameLc', { $and: [{ tenant, nameLc: { $gte: 'u', $lt: 'u\u{10FFFF}' } }, after] }, { nameLc: 1, _id: 1 }],
        ['users of a state by userName', 'scalar_tenant_lifecycleState_nameLc', { $and: [{ tenant, lifecycleState: 'inactive' }, after] }, { nameLc: 1, _id: 1 }],
        ['a window of users by userName', 'scalar_tenant_nameLc', { $and: [{ tenant }, after] }, { nameLc: 1, _id: 1 }],
        ['inactive users holding access', 'scalar_tenant_lifecycleState_holdsAccess', { $and: [{ tenant, lifecycleState: 'inactive', holdsAccess: true }, {}] }, undefined],
        ['active users evaluated with another policy', 'scalar_tenant_lifecycleState_policyFingerprint', { tenant, lifecycleState: 'active', policyFingerprint: { $lt: 'x' } }, undefined],
        ['stale users, least recently written first', 'scalar_tenant_lastModified_id', { $and: [{ tenant, lastModified: { $lt: new Date() } }, {}] }, { lastModified: 1, _id: 1 }],
      ];
      for (const [what, index, filter, sort] of shapes) {
        const explained = (await db.command({ explain: { find: 'users', filter, ...(sort ? { sort } : {}), limit: 51 } })) as Document;
        const shown = JSON.stringify(explained);
        assert.equal(explained['filterPushdown'], true, `${what}: ${shown}`);
        if (sort) assert.equal(explained['sortPushdown'], true, `${what}: ${shown}`);
        assert.ok(shown.includes(`_${index} `) && !/\bSCAN\b/.test(shown), `${what}: ${shown}`);
      }
    });
  });
});
