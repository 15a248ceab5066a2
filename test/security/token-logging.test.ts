import assert from 'node:assert/strict';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { loadConfig } from '../../src/config.js';
import type { Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { examplePolicy, user } from '../support/app.js';
import { issueToken } from './helpers.js';

const STATIC_TOKEN = 'static-token-that-must-never-be-logged-0123';
const ADMIN_TOKEN = 'admin-token-that-must-never-be-logged-0123';

/**
 * Tokens never reach a log: not on success, not on 401/403, not when a request fails with a
 * 5xx (the one case that logs request details), not in a query string.
 */
describe('tokens are never logged', () => {
  let storage: Storage;
  let agent: supertest.Agent;
  let issued: string;
  const entries: Record<string, unknown>[] = [];
  let written = '';
  const originals = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };

  before(async () => {
    storage = await createMongoStorage({ uri: testDatabaseUri(uniqueDbName('security_token_logging')) });
    const config = loadConfig({ SCIM_BEARER_TOKEN: STATIC_TOKEN, ADMIN_TOKEN });
    issued = await issueToken(storage.credentials, 'default', 'logged', ['scim:read', 'scim:write']);
    const failing = { name: 'fails', run: () => Promise.reject(new Error('simulated failure')) };
    const app = createApp({ config, storage, authenticator: createAuthenticator(config, storage.credentials), policy: examplePolicy(), hooks: { prePersist: [failing] }, log: (entry) => void entries.push(entry) });
    agent = supertest.agent(app);
  });

  after(() => storage.close());

  /** Also catches anything written to the console directly, bypassing the log function. */
  async function capturing(work: () => Promise<void>): Promise<void> {
    const capture = (chunk: unknown) => {
      written += typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : '';
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    try {
      await work();
    } finally {
      process.stdout.write = originals.stdout;
      process.stderr.write = originals.stderr;
    }
  }

  it('on success, on 401/403 and on a 5xx, neither the log nor the console carries a token or the Authorization header', async () => {
    await capturing(async () => {
      for (const token of [STATIC_TOKEN, issued]) {
        assert.equal((await agent.get('/scim/v2/Users').set('Authorization', `Bearer ${token}`)).status, 200);
        const failed = await agent.post(`/scim/v2/Users?access_token=${token}`).set('Authorization', `Bearer ${token}`).send(user(`u${entries.length}@example.com`));
        assert.equal(failed.status, 500);
        assert.ok(!JSON.stringify(failed.body).includes('simulated'), '5xx details never reach the client');
      }
      assert.equal((await agent.get('/scim/v2/Users').set('Authorization', `Bearer ${STATIC_TOKEN}-wrong`)).status, 401);
      assert.equal((await agent.get('/scim/v2/Users').set('Authorization', `Bearer ${ADMIN_TOKEN}`)).status, 403);
      assert.equal((await agent.get('/admin/audit').set('Authorization', `Bearer ${issued}`)).status, 403);
    });
    const failures = entries.filter((entry) => entry['msg'] === 'request failed');
    assert.equal(failures.length, 2, 'the 5xx requests are logged');
    assert.ok(failures.every((entry) => String(entry['error']).includes('simulated failure')));
    const everything = `${JSON.stringify(entries)}\n${written}`;
    for (const secret of [STATIC_TOKEN, issued, ADMIN_TOKEN]) assert.ok(!everything.includes(secret), `a token was logged: ${everything}`);
    // The static credential's name (SCIM_BEARER_TOKEN) may be logged; the header's "Bearer <token>" may not.
    assert.ok(!/authorization|bearer\s/i.test(everything), `an Authorization header was logged: ${everything}`);
  });
});
