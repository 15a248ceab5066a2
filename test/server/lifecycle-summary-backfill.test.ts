import assert from 'node:assert/strict';
import { MongoClient, type Db } from 'mongodb';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';

/**
 * Users stored by a release before the census (ResourceStore.census) have `lifecycle` but not its
 * top-level summary; the first start of this release writes it, so the console's overview counts them.
 */
describe('storage start: users stored before the lifecycle summary are counted', function () {
  this.timeout(60_000);
  const dbName = uniqueDbName('lifecycle-backfill');
  let client: MongoClient;
  let db: Db;
  const at = new Date();
  const lifecycle = (state: 'active' | 'inactive', permissions: string[], policyFingerprint = 'policy-a') => ({ state, provisionedAt: at, lastPolicyEvaluation: at, policyFingerprint, grants: [], permissions });

  before(async () => {
    client = await MongoClient.connect(testDatabaseUri(dbName));
    db = client.db(dbName);
    const base = { tenant: 't', version: 1, created: at, lastModified: at, data: {}, ext: {}, groupIds: [], sk: {} };
    await db.collection<{ _id: string }>('users').insertMany([
      { _id: 'u-active', nameLc: 'a', ...base, lifecycle: lifecycle('active', ['wiki:read']) },
      { _id: 'u-old-policy', nameLc: 'b', ...base, lifecycle: lifecycle('active', [], 'policy-0') },
      { _id: 'u-left', nameLc: 'c', ...base, lifecycle: lifecycle('inactive', []) },
      { _id: 'u-left-holding', nameLc: 'd', ...base, lifecycle: lifecycle('inactive', ['crm:read']) },
    ] as unknown as { _id: string }[]);
  });
  after(async () => {
    await db.dropDatabase();
    await client.close();
  });

  for (const attempt of ['first', 'second']) {
    it(`${attempt} start: the census counts every user by state, access and policy`, async () => {
      const storage = await createMongoStorage({ uri: testDatabaseUri(dbName), dbName });
      try {
        assert.deepEqual(await storage.users.census('t', { policyFingerprint: 'policy-a', staleBefore: new Date(0) }), { total: 4, inactive: 2, inactiveWithAccess: 1, otherPolicy: 1, stale: 0 });
      } finally {
        await storage.close();
      }
    });
  }
});
