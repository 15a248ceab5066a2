import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { loadConfig } from '../../src/config.js';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../src/engine/embedded.js';
import type { Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { ERROR_SCHEMA, examplePolicy, TEST_TOKEN, USER_SCHEMA } from '../support/app.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const WORKERS = 6;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

interface Acknowledged {
  id: string;
  userName: string;
  /** The title of the last acknowledged write, and of a later unacknowledged one (either may be stored). */
  title: string;
  maybeTitle?: string;
}

/** The engine's own pid, from the engine: a SIGKILL simulates a crash, not a clean stop. */
async function enginePid(uri: string): Promise<number> {
  const client = new MongoClient(uri, { directConnection: true, serverSelectionTimeoutMS: 2_000 });
  try {
    return Number((await client.db().admin().serverStatus()).pid);
  } finally {
    await client.close();
  }
}

describe('chaos: the engine crashes and restarts under a load of writes', function () {
  this.timeout(180_000);
  let dataDir: string;
  let engine: EmbeddedEngine;
  let storage: Storage;
  let server: Server;
  let baseUrl: string;

  async function call(method: string, pathname: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${baseUrl}${pathname}`, {
      method,
      headers: { Authorization: `Bearer ${TEST_TOKEN}`, 'Content-Type': 'application/scim+json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  before(async function () {
    if (process.env.MONGODB_URI) this.skip();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-chaos-'));
    engine = await startEmbeddedEngine({ dataDir });
    storage = await createMongoStorage({ uri: `${engine.uri}chaos` });
    const config = loadConfig({ SCIM_BEARER_TOKEN: TEST_TOKEN, RATE_LIMIT_PER_SECOND: '0' });
    const authenticator = createAuthenticator(config, storage.credentials);
    const app = createApp({ config, storage, authenticator, policy: examplePolicy(), log: () => undefined });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.close();
    server?.closeAllConnections();
    await storage?.close();
    await engine?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 while down, recovers without a restart, and loses no acknowledged write', async () => {
    const acknowledged = new Map<string, Acknowledged>();
    const failedCreates: string[] = [];
    const unexpected: string[] = [];
    const unavailable: Answer[] = [];
    let running = true;
    let lastSuccess = 0;
    let patchesAcknowledged = 0;

    /** A worker keeps writing whatever one request does: a request that fails outright is reported, not the end of the load. */
    async function worker(index: number): Promise<void> {
      for (let n = 0; running; n += 1) {
        try {
          await writeOne(index, n);
        } catch (error) {
          unexpected.push(`worker ${index}, write ${n}: ${String(error)}`);
        }
      }
    }

    async function writeOne(index: number, n: number): Promise<void> {
      const userName = `chaos-${index}-${n}@example.com`;
      const created = await call('POST', '/scim/v2/Users', { schemas: [USER_SCHEMA], userName, title: 't0' });
      if (created.status === 503) {
        unavailable.push(created);
        failedCreates.push(userName);
        return;
      }
      if (created.status !== 201) {
        unexpected.push(`POST ${userName}: ${created.status} ${JSON.stringify(created.body)}`);
        return;
      }
      lastSuccess = Date.now();
      const entry: Acknowledged = { id: String(created.body['id']), userName, title: 't0' };
      acknowledged.set(userName, entry);
      const patched = await call('PATCH', `/scim/v2/Users/${entry.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 't1' }] });
      if (patched.status === 200) {
        entry.title = 't1';
        patchesAcknowledged += 1;
        lastSuccess = Date.now();
      } else if (patched.status === 503) {
        unavailable.push(patched);
        entry.maybeTitle = 't1';
      } else {
        unexpected.push(`PATCH ${userName}: ${patched.status} ${JSON.stringify(patched.body)}`);
      }
    }

    const load = Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)));
    await delay(3_000);
    const beforeCrash = acknowledged.size;
    assert.ok(beforeCrash > 0, 'writes succeed before the crash');

    const { uri } = engine;
    process.kill(await enginePid(engine.uri), 'SIGKILL');
    await engine.stop();
    const crashedAt = Date.now();

    await delay(6_000);
    const ready = await fetch(`${baseUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.ok(unavailable.length > 0, 'writes during the outage are refused with 503');
    const sample = unavailable[0]!;
    assert.equal(sample.headers.get('retry-after'), '5');
    assert.match(String(sample.headers.get('content-type')), /^application\/scim\+json/);
    assert.equal(sample.body['schemas'] instanceof Array && sample.body['schemas'][0], ERROR_SCHEMA);
    assert.equal(sample.body['status'], '503');
    assert.doesNotMatch(JSON.stringify(sample.body), /Mongo|127\.0\.0\.1|engine\.sock|ECONNREFUSED|ENOENT|stack/i);

    // The same DATA_DIR gives the same socket: the app's driver reconnects to the URI it had.
    engine = await startEmbeddedEngine({ dataDir });
    assert.equal(engine.uri, uri);
    const restartedAt = Date.now();
    while (lastSuccess < restartedAt && Date.now() - restartedAt < 60_000) await delay(100);
    const recoveryMs = lastSuccess - restartedAt;
    assert.ok(recoveryMs >= 0, `writes succeed again after the restart, without restarting the server; unexpected answers: ${unexpected.slice(0, 5).join('; ')}`);
    assert.equal((await fetch(`${baseUrl}/readyz`)).status, 200);
    await delay(3_000);
    running = false;
    await load;

    assert.deepEqual(unexpected, []);
    let lost = 0;
    for (const entry of acknowledged.values()) {
      const stored = await call('GET', `/scim/v2/Users/${entry.id}`);
      const titles = [entry.title, ...(entry.maybeTitle ? [entry.maybeTitle] : [])];
      if (stored.status !== 200 || stored.body['userName'] !== entry.userName || !titles.includes(String(stored.body['title']))) lost += 1;
    }

    // A create refused with 503 left nothing half-written: the same userName can be created now.
    let recreated = 0;
    for (const userName of failedCreates) {
      const again = await call('POST', '/scim/v2/Users', { schemas: [USER_SCHEMA], userName, title: 'retry' });
      if (again.status === 201) recreated += 1;
      else {
        // Only a create that was stored before its answer was lost may conflict, and then the user exists.
        assert.equal(again.status, 409, JSON.stringify(again.body));
        const found = await call('GET', `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
        assert.equal(found.body['totalResults'], 1, `${userName}: 409 without a stored user (an orphaned name claim)`);
      }
    }
    console.log(
      `      chaos: ${acknowledged.size} creates and ${patchesAcknowledged} patches acknowledged (${beforeCrash} creates before the crash), ${lost} lost; ` +
        `${unavailable.length} answers 503; outage ${restartedAt - crashedAt} ms; first write ${recoveryMs} ms after the engine restarted; ` +
        `${failedCreates.length} refused creates, ${recreated} re-created`,
    );
    assert.equal(lost, 0);
  });
});
