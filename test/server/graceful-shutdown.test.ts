import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startEmbeddedEngine } from '../../src/engine/embedded.js';
import { runCli } from '../support/cli.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { startServer } from './server-process.js';

const TOKEN = 'graceful-shutdown-token-0123456789';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const BULK_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
/** Users and groups alternate, so no two creates run as one batch and the request stays in flight long enough. */
const CREATES = 120;
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/scim+json' };

describe('SIGTERM: stop accepting, finish in-flight requests, exit', function () {
  this.timeout(180_000);
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-graceful-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers a bulk request that was in flight when SIGTERM arrived, refuses new connections, and exits 0', async () => {
    const env = { DATA_DIR: dataDir, SCIM_BEARER_TOKEN: TOKEN, ...(process.env.MONGODB_URI ? { MONGODB_URI: testDatabaseUri(uniqueDbName('graceful')) } : {}) };
    const server = await startServer(env);
    const exited = once(server.child, 'exit') as Promise<[number | null]>;
    const operations = Array.from({ length: CREATES }, (_, i) =>
      i % 2 === 0
        ? { method: 'POST', path: '/Users', bulkId: `u${i}`, data: { schemas: [USER_SCHEMA], userName: `inflight-${i}@example.com` } }
        : { method: 'POST', path: '/Groups', bulkId: `g${i}`, data: { schemas: [GROUP_SCHEMA], displayName: `inflight ${i}` } },
    );
    const inFlight = fetch(`${server.baseUrl}/scim/v2/Bulk`, { method: 'POST', headers, body: JSON.stringify({ schemas: [BULK_SCHEMA], Operations: operations }) });
    await delay(300);
    server.child.kill('SIGTERM');
    await delay(200);

    await assert.rejects(fetch(`${server.baseUrl}/healthz`, { headers: { Connection: 'close' } }), 'a new connection after SIGTERM is refused');
    const response = await inFlight;
    assert.equal(response.status, 200);
    const body = (await response.json()) as { Operations: { status: string }[] };
    assert.deepEqual(body.Operations.map((operation) => operation.status), Array(CREATES).fill('201'));
    const [code] = await exited;
    assert.equal(code, 0);
    assert.match(server.stderr(), /SIGTERM received/);

    const again = await startServer(env);
    try {
      const total = async (type: string) => ((await (await fetch(`${again.baseUrl}/scim/v2/${type}?count=0`, { headers })).json()) as { totalResults: number }).totalResults;
      assert.equal((await total('Users')) + (await total('Groups')), CREATES, 'every create the answer reported is stored');
    } finally {
      assert.equal(await again.stop(), 0);
    }
  });

  it('answers an event-stream poll waiting for events at once, instead of holding the exit for its long-poll time', async () => {
    const env = { DATA_DIR: dataDir, SCIM_BEARER_TOKEN: TOKEN, EVENT_STREAM_LONG_POLL_SECONDS: '300', ...(process.env.MONGODB_URI ? { MONGODB_URI: testDatabaseUri(uniqueDbName('graceful_poll')) } : {}) };
    const server = await startServer(env);
    const exited = once(server.child, 'exit') as Promise<[number | null]>;
    const streams = await runCli('streams', ['create', '--name', 'held'], env);
    assert.equal(streams.code, 0, streams.stderr);
    const issued = await runCli('tokens', ['create', '--name', 'held-app', '--scopes', 'scim:read', '--stream', 'held'], env);
    assert.equal(issued.code, 0, issued.stderr);
    const waiting = fetch(`${server.baseUrl}/streams/held/poll`, { method: 'POST', headers: { Authorization: `Bearer ${issued.stdout.trim()}`, 'Content-Type': 'application/json' }, body: '{}' });
    await delay(500);
    server.child.kill('SIGTERM');

    const response = await waiting;
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { sets: {}, moreAvailable: false });
    const [code] = await exited;
    assert.equal(code, 0, server.stderr());
  });

  it('exits 0 with a one-line warning, not a crash, when SIGTERM arrives while the database is unreachable', async function () {
    if (process.env.MONGODB_URI) this.skip();
    const engineDir = await mkdtemp(path.join(os.tmpdir(), 'scim-graceful-engine-'));
    const engine = await startEmbeddedEngine({ dataDir: engineDir });
    try {
      const server = await startServer({ MONGODB_URI: `${engine.uri}graceful_down`, SCIM_BEARER_TOKEN: TOKEN });
      assert.equal((await fetch(`${server.baseUrl}/scim/v2/Users`, { headers })).status, 200);
      await engine.stop();

      const code = await server.stop();
      assert.equal(code, 0, server.stderr());
      assert.match(server.stderr(), /delivery leases not released on stop/);
      assert.doesNotMatch(server.stderr(), /^\s+at /m, 'no stack trace');
    } finally {
      await engine.stop();
      await rm(engineDir, { recursive: true, force: true });
    }
  });
});
