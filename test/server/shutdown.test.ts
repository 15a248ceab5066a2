import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { readEngineFile } from '../../src/engine/engine-file.js';
import { startServer, type RunningServer } from './server-process.js';

const TOKEN = 'shutdown-signals-token-0123456789';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const BULK_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
/** Users and groups alternate, so no two creates run as one batch and the request stays in flight for seconds. */
const CREATES = 120;
const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/scim+json' };

type Signaller = (server: RunningServer, enginePid: number) => void;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function enginePidOf(dataDir: string): Promise<number> {
  const file = await readEngineFile(dataDir);
  assert.ok(file, 'the server records its engine in DATA_DIR/engine.json');
  const client = new MongoClient(file.uri, { directConnection: true, serverSelectionTimeoutMS: 2_000 });
  try {
    return Number((await client.db().admin().serverStatus()).pid);
  } finally {
    await client.close();
  }
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe('shutdown: the engine outlives the drain, and a stalled reader cannot hold it', function () {
  this.timeout(240_000);
  let dataDir: string;

  before(function () {
    // These are about the embedded engine's process; with MONGODB_URI there is none.
    if (process.env.MONGODB_URI) this.skip();
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-shutdown-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const signals: [string, Signaller][] = [
    ['SIGINT to the whole process group (Ctrl-C in a terminal)', (server) => process.kill(-server.child.pid!, 'SIGINT')],
    ['SIGTERM to the whole process group', (server) => process.kill(-server.child.pid!, 'SIGTERM')],
    [
      "SIGTERM to the server and its engine at once (systemd's KillMode=control-group)",
      (server, enginePid) => {
        process.kill(server.child.pid!, 'SIGTERM');
        process.kill(enginePid, 'SIGTERM');
      },
    ],
  ];
  for (const [how, signal] of signals) {
    it(`${how}: the request in flight completes 2xx, then the engine stops and the server exits 0`, async () => {
      const server = await startServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: TOKEN }, { ownProcessGroup: true });
      const exited = once(server.child, 'exit') as Promise<[number | null]>;
      const enginePid = await enginePidOf(dataDir);
      const operations = Array.from({ length: CREATES }, (_, i) =>
        i % 2 === 0
          ? { method: 'POST', path: '/Users', bulkId: `u${i}`, data: { schemas: [USER_SCHEMA], userName: `signal-${i}@example.com` } }
          : { method: 'POST', path: '/Groups', bulkId: `g${i}`, data: { schemas: [GROUP_SCHEMA], displayName: `signal ${i}` } },
      );
      const inFlight = fetch(`${server.baseUrl}/scim/v2/Bulk`, { method: 'POST', headers, body: JSON.stringify({ schemas: [BULK_SCHEMA], Operations: operations }) });
      await delay(300);
      signal(server, enginePid);

      const response = await inFlight;
      const body = (await response.json()) as { Operations?: { status: string }[] };
      assert.ok(alive(enginePid), 'the engine is still running when the answer arrives');
      assert.equal(response.status, 200);
      assert.deepEqual(body.Operations?.map((operation) => operation.status), Array(CREATES).fill('201'));
      const [code] = await exited;
      assert.equal(code, 0, server.stderr());
      for (let waited = 0; alive(enginePid) && waited < 15_000; waited += 50) await delay(50);
      assert.ok(!alive(enginePid), 'the server stopped its engine before it exited');
      assert.doesNotMatch(server.stderr(), /^\s+at /m, 'no stack trace');

      const again = await startServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: TOKEN });
      try {
        const total = async (type: string) => ((await (await fetch(`${again.baseUrl}/scim/v2/${type}?count=0`, { headers })).json()) as { totalResults: number }).totalResults;
        assert.equal((await total('Users')) + (await total('Groups')), CREATES, 'every create the answer reported is stored');
      } finally {
        assert.equal(await again.stop(), 0);
      }
    });
  }

  it('slow and stalled readers: one still reading gets its whole answer; one that never reads is cut after SHUTDOWN_GRACE_MS and logged as aborted; the server exits 0', async () => {
    const server = await startServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: TOKEN, SHUTDOWN_GRACE_MS: '5000' });
    const exited = once(server.child, 'exit') as Promise<[number | null]>;
    // 200 users of about 100 KB: a 20 MB list answer, far more than the sockets' buffers hold.
    const title = 't'.repeat(100_000);
    for (let from = 0; from < 200; from += 25) {
      const Operations = Array.from({ length: 25 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `u${from + i}`, data: { schemas: [USER_SCHEMA], userName: `large-${from + i}@example.com`, title } }));
      const created = await fetch(`${server.baseUrl}/scim/v2/Bulk`, { method: 'POST', headers, body: JSON.stringify({ schemas: [BULK_SCHEMA], Operations }) });
      assert.equal(created.status, 200);
    }
    const { port } = new URL(server.baseUrl);
    const reader = async (requestId: string) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      socket.pause();
      socket.write(`GET /scim/v2/Users?count=200 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n`);
      return socket;
    };
    const [slow, stalled] = await Promise.all([reader('slow-reader'), reader('stalled-reader')]);
    // Until both answers have started: the server then waits on the readers.
    for (let waited = 0; (slow.readableLength === 0 || stalled.readableLength === 0) && waited < 60_000; waited += 50) await delay(50);
    assert.ok(slow.readableLength > 0 && stalled.readableLength > 0, 'both answers have started');

    server.child.kill('SIGTERM');
    await delay(1_000);
    const chunks: Buffer[] = [];
    slow.on('data', (chunk: Buffer) => chunks.push(chunk));
    slow.resume();
    await once(slow, 'end');
    const [code] = await exited;
    stalled.destroy();
    assert.equal(code, 0, server.stderr());

    const text = Buffer.concat(chunks).toString('utf8');
    const answer = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { Resources: unknown[] };
    assert.equal(answer.Resources.length, 200, 'the slow reader got its whole answer');
    assert.match(server.stderr(), /shutdown grace of 5000 ms passed: closing the connections still open/);
    const lines = jsonLines(server.stderr());
    const line = (requestId: string) => lines.filter((entry) => entry['requestId'] === requestId);
    assert.deepEqual(line('slow-reader').map((entry) => [entry['msg'], entry['status']]), [['request', 200]]);
    assert.deepEqual(line('stalled-reader').map((entry) => [entry['msg'], entry['aborted'], entry['status']]), [['request aborted', true, undefined]], 'aborted, not 200');
  });
});
