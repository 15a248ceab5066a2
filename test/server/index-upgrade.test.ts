import assert from 'node:assert/strict';
import { MongoClient, type Db } from 'mongodb';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';

/**
 * Databases created before the `scalar_` and `elements_` index names (engine patches 0005, 0006)
 * hold the same keys under the engines' default names, and engines refuse a second index on a key.
 * Opening the storage must replace them, keep every document, and be a no-op the second time.
 */
describe('storage start on a database with the old index names', function () {
  this.timeout(60_000);
  const dbName = uniqueDbName('index-upgrade');
  let client: MongoClient;
  let db: Db;

  before(async () => {
    client = await MongoClient.connect(testDatabaseUri(dbName));
    db = client.db(dbName);
    for (const name of ['users', 'groups']) {
      const collection = db.collection<{ _id: string }>(name);
      await collection.insertOne({ _id: `${name}-1`, tenant: 't', created: new Date(), lastModified: new Date(), nameLc: 'x' } as { _id: string });
      await collection.createIndex({ tenant: 1, created: 1, _id: 1 });
      await collection.createIndex({ tenant: 1, lastModified: 1, _id: 1 });
      await collection.createIndex({ tenant: 1, nameLc: 1 });
      await collection.createIndex({ hasPending: 1 });
      await collection.createIndex({ tenant: 1, groupIds: 1 });
    }
  });
  after(async () => {
    await db.dropDatabase();
    await client.close();
  });

  async function indexNames(collection: string): Promise<string[]> {
    return (await db.collection(collection).indexes()).map((index) => String(index.name)).sort();
  }

  const expected = ['_id_', 'elements_tenant_groupIds', 'scalar_hasPending', 'scalar_tenant_created_id', 'scalar_tenant_lastModified_id', 'scalar_tenant_lifecycleState_holdsAccess', 'scalar_tenant_lifecycleState_policyFingerprint', 'scalar_tenant_nameLc', 'tenant_1_data.externalId_1'];
  /** Users add the console's search indexes (src/store/mongo/directory-keys.ts). */
  const consoleIndexes = [
    'elements_tenant_dxRoles',
    'scalar_tenant_dxDepartment_id',
    'scalar_tenant_dxEmail_id',
    'scalar_tenant_dxExternalId_id',
    'scalar_tenant_dxFamily_id',
    'scalar_tenant_dxGiven_id',
    'scalar_tenant_lifecycleState_nameLc',
  ];

  for (const attempt of ['first', 'second']) {
    it(`${attempt} start: the keys are indexed once, under the scalar_ names, and the documents are kept`, async () => {
      const storage = await createMongoStorage({ uri: testDatabaseUri(dbName), dbName });
      await storage.close();
      for (const collection of ['users', 'groups']) {
        assert.deepEqual(await indexNames(collection), (collection === 'users' ? [...expected, ...consoleIndexes] : expected).sort(), collection);
        assert.equal(await db.collection(collection).countDocuments(), 1, collection);
      }
    });
  }
});
