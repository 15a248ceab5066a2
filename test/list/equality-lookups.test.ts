import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import mongoose from 'mongoose';
import { group, startTestApp, user, type TestApp } from '../support/app.js';
import { testDatabaseUri } from '../support/engine.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { idsOf, list, listBody, seedInOrder, type Created, type Query } from './list-helpers.js';

const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const OTHER_TENANT = 'other-tenant';

/**
 * Equality lookups on id, userName / displayName and externalId are answered from `_id`-keyed
 * lookup entries (name claims, external_ids); these prove they return exactly what the filter
 * means through renames, deletes, shared and changed externalIds and stale entries.
 */
describe('GET filter equality lookups on id, userName, displayName and externalId (RFC 7644 §3.4.2.2)', () => {
  let t: TestApp;
  let tenant: string;
  let client: MongoClient;
  let db: Db;

  before(async () => {
    t = await startTestApp('equality-lookups');
    tenant = t.config.defaultTenant;
    client = await MongoClient.connect(testDatabaseUri(t.dbName!));
    db = client.db(t.dbName);
  });

  after(async () => {
    await client.close();
    await t.close();
  });

  async function ids(endpoint: '/Users' | '/Groups', filter: string, extra: Query = {}): Promise<string[]> {
    return idsOf(listBody(await list(t, endpoint, { filter, ...extra })));
  }

  async function createUser(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
    const [created] = await seedInOrder(t, '/Users', [user(userName, extra)]);
    return created!.id;
  }

  async function patch(path: string, operations: Record<string, unknown>[]): Promise<void> {
    const response = await t.scim.patch(path).send({ schemas: [PATCH_SCHEMA], Operations: operations });
    assert.ok(response.status === 200 || response.status === 204, `${response.status} ${JSON.stringify(response.body)}`);
  }

  describe('userName eq', () => {
    it('finds the user for any case of the value and of the attribute name', async () => {
      const id = await createUser('Mixed.Case@Example.com');
      for (const filter of [
        'userName eq "Mixed.Case@Example.com"',
        'userName eq "mixed.case@example.com"',
        'USERNAME eq "MIXED.CASE@EXAMPLE.COM"',
        'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "mixed.CASE@example.com"',
      ]) {
        assert.deepEqual(await ids('/Users', filter), [id], filter);
      }
    });

    it('after a rename by PUT or PATCH only the new name finds the user', async () => {
      const id = await createUser('before.rename');
      const put = await t.scim.put(`/Users/${id}`).send(user('After.Put'));
      assert.equal(put.status, 200);
      assert.deepEqual(await ids('/Users', 'userName eq "before.rename"'), []);
      assert.deepEqual(await ids('/Users', 'userName eq "after.put"'), [id]);
      await patch(`/Users/${id}`, [{ op: 'replace', path: 'userName', value: 'after.patch' }]);
      assert.deepEqual(await ids('/Users', 'userName eq "After.Put"'), []);
      assert.deepEqual(await ids('/Users', 'userName eq "AFTER.PATCH"'), [id]);
    });

    it('a deleted user is found by none of its userName, externalId or id', async () => {
      const id = await createUser('to.delete', { externalId: 'ext-deleted' });
      assert.equal((await t.scim.delete(`/Users/${id}`)).status, 204);
      for (const filter of ['userName eq "to.delete"', 'externalId eq "ext-deleted"', `id eq "${id}"`]) {
        assert.deepEqual(await ids('/Users', filter), [], filter);
      }
      assert.equal(await db.collection('external_ids').countDocuments({ _id: `${tenant}|User|ext-deleted` as never }), 0);
    });

    it('a claim left by a failed write (inserted directly) finds nothing wrong', async () => {
      const holder = await createUser('real.holder');
      const claims = db.collection<{ _id: string; owner: string; at: Date }>('name_claims');
      await claims.insertOne({ _id: `${tenant}|User|ghost.one`, owner: holder, at: new Date() });
      await claims.insertOne({ _id: `${tenant}|User|ghost.two`, owner: randomUUID(), at: new Date() });
      assert.deepEqual(await ids('/Users', 'userName eq "ghost.one"'), []);
      assert.deepEqual(await ids('/Users', 'userName eq "ghost.two"'), []);
      assert.deepEqual(await ids('/Users', 'userName eq "real.holder"'), [holder]);
    });
  });

  describe('externalId eq', () => {
    let first: string;
    let second: string;
    before(async () => {
      first = await createUser('shared.first', { externalId: 'Shared-Ext', title: 'a' });
      second = await createUser('shared.second', { externalId: 'Shared-Ext', title: 'b' });
    });

    it('returns every user with that externalId, in creation order', async () => {
      assert.deepEqual(await ids('/Users', 'externalId eq "Shared-Ext"'), [first, second]);
    });

    it('is case-sensitive (externalId is caseExact)', async () => {
      assert.deepEqual(await ids('/Users', 'externalId eq "shared-ext"'), []);
      assert.deepEqual(await ids('/Users', 'externalId eq "SHARED-EXT"'), []);
    });

    it('an unquoted numeric externalId keeps its text', async () => {
      const id = await createUser('numeric.ext', { externalId: '00777' });
      assert.deepEqual(await ids('/Users', 'externalId eq 00777'), [id]);
      assert.deepEqual(await ids('/Users', 'externalId eq "777"'), []);
    });

    it('follows an externalId changed by PATCH, then by PUT, then removed', async () => {
      const id = await createUser('ext.changes', { externalId: 'ext-v1' });
      await patch(`/Users/${id}`, [{ op: 'replace', path: 'externalId', value: 'ext-v2' }]);
      assert.deepEqual(await ids('/Users', 'externalId eq "ext-v1"'), []);
      assert.deepEqual(await ids('/Users', 'externalId eq "ext-v2"'), [id]);
      assert.equal((await t.scim.put(`/Users/${id}`).send(user('ext.changes', { externalId: 'ext-v3' }))).status, 200);
      assert.deepEqual(await ids('/Users', 'externalId eq "ext-v2"'), []);
      assert.deepEqual(await ids('/Users', 'externalId eq "ext-v3"'), [id]);
      await patch(`/Users/${id}`, [{ op: 'remove', path: 'externalId' }]);
      assert.deepEqual(await ids('/Users', 'externalId eq "ext-v3"'), []);
      const entries = await db.collection('external_ids').countDocuments({ _id: { $in: ['ext-v1', 'ext-v2', 'ext-v3'].map((ext) => `${tenant}|User|${ext}`) } as never });
      assert.equal(entries, 0, 'entries of externalIds no longer held are removed');
    });

    it('a stale lookup entry (owner no longer holding it) finds nothing wrong', async () => {
      await db.collection<{ _id: string; owners: string[] }>('external_ids').insertOne({ _id: `${tenant}|User|stale-ext`, owners: [first, randomUUID()] });
      assert.deepEqual(await ids('/Users', 'externalId eq "stale-ext"'), []);
    });

    it('ANDed with other conditions returns only the users meeting all of them', async () => {
      assert.deepEqual(await ids('/Users', 'externalId eq "Shared-Ext" and title eq "b"'), [second]);
      assert.deepEqual(await ids('/Users', 'title eq "a" and externalId eq "Shared-Ext"'), [first]);
      assert.deepEqual(await ids('/Users', 'externalId eq "Shared-Ext" and userName eq "shared.second"'), [second]);
      assert.deepEqual(await ids('/Users', `externalId eq "Shared-Ext" and id eq "${first}"`), [first]);
      assert.deepEqual(await ids('/Users', 'userName eq "shared.first" and active eq false'), []);
      assert.deepEqual(await ids('/Users', 'externalId eq "Shared-Ext" and (title eq "a" or title eq "b")'), [first, second]);
    });

    it('pages, sorts and counts over the matches as any filter does', async () => {
      const body = listBody(await list(t, '/Users', { filter: 'externalId eq "Shared-Ext"', sortBy: 'userName', sortOrder: 'descending', startIndex: 2, count: 1 }));
      assert.equal(body.totalResults, 2);
      assert.deepEqual(idsOf(body), [first]);
      const counted = await list(t, '/Users', { filter: 'externalId eq "Shared-Ext"', count: 0 });
      assert.equal(counted.status, 200);
      assert.equal(counted.body.totalResults, 2);
      assert.equal((counted.body.Resources ?? []).length, 0);
    });

    it('walks the matches with cursors (RFC 9865)', async () => {
      const seen: string[] = [];
      let cursor = '';
      for (let pages = 0; pages < 5; pages += 1) {
        const body = listBody(await list(t, '/Users', { filter: 'externalId eq "Shared-Ext"', count: 1, cursor }));
        seen.push(...idsOf(body));
        const next = (body as unknown as { nextCursor?: string }).nextCursor;
        if (!next) break;
        cursor = next;
      }
      assert.deepEqual(seen, [first, second]);
    });

    it('applies the attributes projection', async () => {
      const body = listBody(await list(t, '/Users', { filter: 'externalId eq "Shared-Ext"', attributes: 'userName' }));
      const resource = body.Resources[0]!;
      assert.equal(resource['userName'], 'shared.first');
      assert.equal(resource['externalId'], undefined);
      assert.equal(resource['title'], undefined);
    });

    it('POST /Users/.search answers the same lookups', async () => {
      const response = await t.scim.post('/Users/.search').send({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: 'externalId eq "Shared-Ext" and title eq "a"',
      });
      assert.deepEqual(idsOf(listBody(response)), [first]);
    });
  });

  describe('id eq', () => {
    it('finds the resource, and nothing for an unknown id', async () => {
      const id = await createUser('by.id');
      assert.deepEqual(await ids('/Users', `id eq "${id}"`), [id]);
      assert.deepEqual(await ids('/Users', `id eq "${randomUUID()}"`), []);
      assert.deepEqual(await ids('/Users', `id eq "${id}" and userName eq "someone.else"`), []);
    });
  });

  describe('Groups', () => {
    it('displayName eq is case-insensitive and follows a rename', async () => {
      const [created] = await seedInOrder(t, '/Groups', [{ ...group('Sales Team'), externalId: 'grp-ext' }]);
      const id = (created as Created).id;
      assert.deepEqual(await ids('/Groups', 'displayName eq "sales team"'), [id]);
      assert.deepEqual(await ids('/Groups', 'externalId eq "grp-ext"'), [id]);
      assert.deepEqual(await ids('/Groups', `id eq "${id}"`), [id]);
      assert.deepEqual(await ids('/Users', 'externalId eq "grp-ext"'), [], 'Users and Groups do not share externalId entries');
      await patch(`/Groups/${id}`, [{ op: 'replace', path: 'displayName', value: 'Sales EMEA' }]);
      assert.deepEqual(await ids('/Groups', 'displayName eq "Sales Team"'), []);
      assert.deepEqual(await ids('/Groups', 'DISPLAYNAME eq "SALES emea"'), [id]);
    });
  });

  describe('tenant scoping', () => {
    it("another tenant's user with the same userName and externalId is never returned", async () => {
      const mine = await createUser('tenant.shared', { externalId: 'tenant-ext' });
      const theirs = randomUUID();
      await t.storage.users.create({ tenant: OTHER_TENANT, id: theirs, attributes: { userName: 'Tenant.Shared', externalId: 'tenant-ext' } });
      assert.deepEqual(await ids('/Users', 'userName eq "tenant.shared"'), [mine]);
      assert.deepEqual(await ids('/Users', 'externalId eq "tenant-ext"'), [mine]);
      assert.deepEqual(await ids('/Users', `id eq "${theirs}"`), []);
      const query = { descending: false, startIndex: 1, count: 10 };
      const other = await t.storage.users.list(OTHER_TENANT, { ...query, filter: { kind: 'compare', path: 'externalId', op: 'eq', value: { kind: 'string', value: 'tenant-ext' } } });
      assert.deepEqual(other.items.map((item) => item.id), [theirs]);
    });
  });

  describe('what is read', () => {
    /** The filter of every read the store sends while `work` runs, through a storage whose driver monitors commands. */
    async function readFilters(work: (storage: Awaited<ReturnType<typeof createMongoStorage>>) => Promise<unknown>): Promise<Record<string, unknown>[]> {
      const uri = testDatabaseUri(t.dbName!);
      const storage = await createMongoStorage({ uri: `${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true` });
      const client = mongoose.connections[mongoose.connections.length - 1]!.getClient();
      const filters: Record<string, unknown>[] = [];
      const record = ({ commandName, command }: CommandStartedEvent) => {
        if (commandName === 'find') filters.push(command['filter'] as Record<string, unknown>);
        if (commandName === 'aggregate') filters.push((command['pipeline'] as Record<string, Record<string, unknown>>[])[0]!['$match']!);
      };
      client.on('commandStarted', record);
      try {
        await work(storage);
      } finally {
        client.off('commandStarted', record);
        await storage.close();
      }
      return filters;
    }

    it('an equality on userName, externalId or id reads only by `_id` (no collection scan on FerretDB)', async () => {
      const id = await createUser('read.by.id', { externalId: 'read-ext' });
      const query = { descending: false, startIndex: 1, count: 10 };
      const eq = (path: string, value: string) => ({ kind: 'compare' as const, path, op: 'eq' as const, value: { kind: 'string' as const, value } });
      for (const filter of [eq('userName', 'READ.BY.ID'), eq('externalId', 'read-ext'), eq('id', id), eq('userName', 'nobody.at.all')]) {
        const filters = await readFilters((storage) => storage.users.list(tenant, { ...query, filter }));
        assert.ok(filters.length > 0 || filter.value.value === 'nobody.at.all', 'the lookup reads something');
        for (const read of filters) assert.ok('_id' in read, `${JSON.stringify(filter)} read ${JSON.stringify(read)}`);
      }
    });
  });

  describe('databases written before the externalId entries existed', () => {
    it('get the entries at the next start', async () => {
      const id = randomUUID();
      const now = new Date();
      await db.collection<Record<string, unknown>>('users').insertOne({
        _id: id as never, tenant, version: 1, created: now, lastModified: now, nameLc: 'legacy.user',
        data: { userName: 'legacy.user', externalId: 'legacy-ext' }, ext: {}, groupIds: [], sk: {},
      });
      await db.collection('store_meta').deleteMany({});
      const restarted = await createMongoStorage({ uri: testDatabaseUri(t.dbName!) });
      try {
        const page = await restarted.users.list(tenant, {
          descending: false, startIndex: 1, count: 10,
          filter: { kind: 'compare', path: 'externalId', op: 'eq', value: { kind: 'string', value: 'legacy-ext' } },
        });
        assert.deepEqual(page.items.map((item) => item.id), [id]);
      } finally {
        await restarted.close();
      }
    });
  });
});
