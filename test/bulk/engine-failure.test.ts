import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { loadConfig } from '../../src/config.js';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../src/engine/embedded.js';
import type { Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { BULK_RESPONSE_SCHEMA } from '../../src/scim/bulk-request.js';
import { randomUUID } from 'node:crypto';
import { ScimError } from '../../src/errors/scim-error.js';
import { examplePolicy, TEST_TOKEN, user, USER_SCHEMA } from '../support/app.js';
import { bulk } from '../security/helpers.js';

const OPERATIONS = 1_000;
const DATABASE = 'bulk_engine_failure';

interface OperationResult {
  bulkId: string;
  status: string;
  location?: string;
  response?: { status: string; detail: string };
}

/** The engine's own pid, from the engine: a SIGKILL is a crash, not a clean stop. */
async function enginePid(client: MongoClient): Promise<number> {
  return Number((await client.db().admin().serverStatus()).pid);
}

/**
 * RFC 7644 §3.7.3: a Bulk request whose engine dies part-way answers every operation, and the
 * answers say exactly what the database holds after the engine restarts: 201 for each stored user
 * (and only those), 503 "not performed"/"not stored" for the others, and 503 "may have been" only
 * for a batch whose insert the engine took down with it.
 */
describe('Bulk: the engine dies in the middle of a batched create', function () {
  this.timeout(240_000);
  let dataDir: string;
  let engine: EmbeddedEngine;
  let storage: Storage;
  const logged: Record<string, unknown>[] = [];

  before(async function () {
    if (process.env.MONGODB_URI) this.skip();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-bulk-failure-'));
    engine = await startEmbeddedEngine({ dataDir });
    storage = await createMongoStorage({ uri: `${engine.uri}${DATABASE}` });
  });
  after(async () => {
    await storage?.close();
    await engine?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers each operation with what was stored, and the database after a restart agrees', async () => {
    const config = loadConfig({ SCIM_BEARER_TOKEN: TEST_TOKEN, RATE_LIMIT_PER_SECOND: '0' });
    const app = createApp({ config, storage, authenticator: createAuthenticator(config, storage.credentials), policy: examplePolicy(), log: (entry) => logged.push(entry) });
    const userName = (i: number) => `crash-${i}@example.com`;
    const operations = Array.from({ length: OPERATIONS }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `u${i}`, data: user(userName(i)) }));

    const watcher = new MongoClient(engine.uri, { directConnection: true, serverSelectionTimeoutMS: 2_000 });
    const pid = await enginePid(watcher);
    const answer = supertest(app).post('/scim/v2/Bulk').set('Authorization', `Bearer ${TEST_TOKEN}`).send(bulk(...operations)).then((response) => response);
    // Crash once the first batch is stored, so that some operations are done and others are not.
    while ((await watcher.db(DATABASE).collection('users').countDocuments()) < 200) await delay(20);
    process.kill(pid, 'SIGKILL');
    await watcher.close();
    await engine.stop();

    const response = await answer;
    assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 500));
    assert.deepEqual(response.body.schemas, [BULK_RESPONSE_SCHEMA]);
    assert.equal(response.headers['retry-after'], '5');
    const results = response.body.Operations as OperationResult[];
    assert.deepEqual(results.map((result) => result.bulkId), operations.map((operation) => operation.bulkId), 'every operation is answered, in order');

    engine = await startEmbeddedEngine({ dataDir });
    const reader = new MongoClient(`${engine.uri}${DATABASE}`, { directConnection: true });
    try {
      const stored = new Map((await reader.db().collection<{ _id: string; data: { userName: string } }>('users').find({}, { projection: { 'data.userName': 1 } }).toArray()).map((doc) => [doc.data.userName, doc._id]));
      const kinds = { created: 0, notStored: 0, maybe: 0 };
      for (const [i, result] of results.entries()) {
        if (result.status === '201') {
          kinds.created += 1;
          assert.equal(result.location?.split('/').pop(), stored.get(userName(i)), `${result.bulkId} answered 201 and is stored under that id`);
          continue;
        }
        assert.equal(result.status, '503', JSON.stringify(result));
        assert.equal(result.response?.status, '503');
        if (/may have been/.test(result.response?.detail ?? '')) {
          kinds.maybe += 1;
          continue;
        }
        assert.match(result.response?.detail ?? '', /^(Not performed|The identity store became unavailable before this resource was stored)/);
        assert.ok(!stored.has(userName(i)), `${result.bulkId} answered "${result.response?.detail}" but is stored`);
        kinds.notStored += 1;
      }
      // The first batch was stored before the crash: 201, or "may have been" if the crash took the insert's answer with it.
      assert.ok(kinds.created + kinds.maybe >= 200, `the first batch is answered 201 or uncertain: ${JSON.stringify(kinds)}`);
      assert.ok(kinds.notStored > 0, `some operations were not performed: ${JSON.stringify(kinds)}`);
      assert.ok(kinds.maybe <= 200, `at most the batch in flight is uncertain: ${JSON.stringify(kinds)}`);
      assert.equal(stored.size, kinds.created + results.filter((result, i) => result.status === '503' && /may have been/.test(result.response?.detail ?? '') && stored.has(userName(i))).length, 'nothing stored that the answer does not account for');
      console.log(`      bulk crash: ${kinds.created} created, ${kinds.notStored} not stored, ${kinds.maybe} uncertain`);
    } finally {
      await reader.close();
    }
    assert.ok(!logged.some((entry) => entry['level'] === 'error' && entry['msg'] === 'request failed'), 'no request failed as a bug');
  });

  it('a batch whose insert the crash cuts short: once the engine is back, exactly the stored resources are returned as created', async () => {
    const BATCH = 3_000;
    const resources = Array.from({ length: BATCH }, (_, i) => ({ tenant: 'default', id: randomUUID(), attributes: { schemas: [USER_SCHEMA], userName: `cut-${i}@example.com` } }));
    const watcher = new MongoClient(engine.uri, { directConnection: true, serverSelectionTimeoutMS: 2_000 });
    const pid = await enginePid(watcher);
    const users = watcher.db(DATABASE).collection('users');
    const before = await users.countDocuments();
    const outcomes = storage.users.createMany(resources);
    // The insert commits 100 documents at a time: crash once some, not all, of this batch are in.
    while ((await users.countDocuments()) === before) await delay(5);
    process.kill(pid, 'SIGKILL');
    await watcher.close();
    await engine.stop();
    // Back within the driver's server selection timeout, so the store can read the batch's ids back.
    engine = await startEmbeddedEngine({ dataDir });

    const answered = await outcomes;
    const reader = new MongoClient(`${engine.uri}${DATABASE}`, { directConnection: true });
    try {
      const stored = new Set((await reader.db().collection<{ _id: string }>('users').find({ _id: { $in: resources.map((resource) => resource.id) } }, { projection: { _id: 1 } }).toArray()).map((doc) => doc._id));
      const created = answered.flatMap((outcome) => (outcome instanceof ScimError ? [] : [outcome.id]));
      assert.ok(stored.size > 0 && stored.size < BATCH, `the crash cut the batch short (${stored.size} of ${BATCH} stored)`);
      assert.deepEqual(new Set(created), stored, 'exactly the stored resources are returned as records');
      for (const [i, outcome] of answered.entries()) {
        if (outcome instanceof ScimError) {
          assert.equal(outcome.status, 503);
          assert.match(outcome.message, /before this resource was stored/);
          assert.ok(!stored.has(resources[i]!.id));
        }
      }
      console.log(`      insert cut short: ${stored.size} of ${BATCH} stored and returned as created`);
    } finally {
      await reader.close();
    }
  });
});
