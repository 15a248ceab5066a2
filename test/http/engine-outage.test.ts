import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { loadConfig } from '../../src/config.js';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../src/engine/embedded.js';
import type { Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { assertScimError, examplePolicy, TEST_TOKEN } from '../support/app.js';

describe('engine outage: the database down is a 503, never an HTML page or a leak', function () {
  this.timeout(60_000);
  let dataDir: string;
  let engine: EmbeddedEngine;
  let storage: Storage;

  before(async function () {
    if (process.env.MONGODB_URI) this.skip();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-outage-'));
    engine = await startEmbeddedEngine({ dataDir });
    storage = await createMongoStorage({ uri: `${engine.uri}outage` });
  });
  after(async () => {
    await storage?.close();
    await engine?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After and a SCIM error body, and /readyz reports it', async () => {
    const config = loadConfig({ SCIM_BEARER_TOKEN: TEST_TOKEN });
    const authenticator = createAuthenticator(config, storage.credentials);
    const agent = supertest(createApp({ config, storage, authenticator, policy: examplePolicy(), log: () => undefined }));
    assert.equal((await agent.get('/readyz')).status, 200);

    await engine.stop();

    const response = await agent.get('/scim/v2/Users').set('Authorization', `Bearer ${TEST_TOKEN}`);
    assertScimError(response, 503);
    assert.equal(response.headers['retry-after'], '5');
    assert.doesNotMatch(JSON.stringify(response.body), /Mongo|127\.0\.0\.1|stack/i);
    const ready = await agent.get('/readyz');
    assert.equal(ready.status, 503);
  });
});
