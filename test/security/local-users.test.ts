import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { readEngineFile } from '../../src/engine/engine-file.js';
import { runCli } from '../support/cli.js';
import { USER_SCHEMA } from '../support/app.js';
import { startServer, type RunningServer } from '../server/server-process.js';

const TOKEN = 'local-users-test-token-0123456789';
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const MONGODB_DRIVER = createRequire(import.meta.url).resolve('mongodb');

/** Connects with the mongodb driver and inserts into `collection`: what another local user would try. */
const INSERT_SCRIPT = `
const { MongoClient } = require(process.argv[1]);
const client = new MongoClient(process.argv[2], { serverSelectionTimeoutMS: 1500 });
client.db().collection(process.argv[3]).insertOne({ _id: 'planted', tenant: 'default', name: 'planted', scopes: ['admin'], createdAt: new Date() })
  .then(() => { console.log('inserted'); return client.close(); }, (error) => { console.error(error.message); process.exitCode = 1; return client.close(); });
`;

async function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Every path under `root` (itself included) that its group or other users may read, write or enter. */
async function openToOthers(root: string): Promise<string[]> {
  const open: string[] = [];
  const check = async (file: string) => {
    const mode = (await lstat(file)).mode;
    if ((mode & 0o077) !== 0) open.push(`${file} ${(mode & 0o777).toString(8)}`);
  };
  await check(root);
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) await check(path.join(entry.parentPath, entry.name));
  return open;
}

/** Inodes of the TCP sockets in LISTEN state (state 0A in /proc/net/tcp{,6}). */
async function tcpListeners(): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** Inodes of every socket the process holds open. */
async function socketInodesOf(pid: number): Promise<string[]> {
  const inodes: string[] = [];
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1]) inodes.push(match[1]);
  }
  return inodes;
}

/** The paths of those of `inodes` that are named Unix sockets (/proc/net/unix). */
async function unixSocketPaths(inodes: readonly string[]): Promise<string[]> {
  const lines = (await readFile('/proc/net/unix', 'utf8')).split('\n').slice(1);
  return lines.map((line) => line.trim().split(/\s+/)).filter((fields) => inodes.includes(fields[6] ?? '') && fields[7]).map((fields) => fields[7] as string);
}

async function enginePid(uri: string): Promise<number> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2_000 });
  try {
    return Number((await client.db().admin().serverStatus()).pid);
  } finally {
    await client.close();
  }
}

async function writeSome(server: RunningServer): Promise<void> {
  for (let n = 0; n < 5; n += 1) {
    const response = await fetch(`${server.baseUrl}/scim/v2/Users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/scim+json' },
      body: JSON.stringify({ schemas: [USER_SCHEMA], userName: `local-${n}@example.com` }),
    });
    assert.equal(response.status, 201);
  }
}

describe('the embedded engine belongs to the server’s user alone (docs/security.md, local users)', function () {
  this.timeout(120_000);
  let root: string;

  before(async function () {
    // The server here runs its own embedded engine; a run against MongoDB may have none built.
    if (process.env.MONGODB_URI) this.skip();
    root = await mkdtemp(path.join(os.tmpdir(), 'scim-local-users-'));
  });

  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('DATA_DIR (0700), its engine files, engine.json and the socket are closed to other users while the server runs, after writes and after a stop; the engine has no TCP listener', async () => {
    const dataDir = path.join(root, 'private');
    const server = await startServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: TOKEN });
    try {
      await writeSome(server);
      assert.equal((await lstat(dataDir)).mode & 0o777, 0o700);
      assert.equal((await lstat(path.join(dataDir, 'engine.json'))).mode & 0o777, 0o600);
      assert.ok((await readdir(path.join(dataDir, 'ferretdb'))).some((name) => name.endsWith('.sqlite')), 'the engine wrote its files');
      assert.deepEqual(await openToOthers(dataDir), []);

      const uri = (await readEngineFile(dataDir))?.uri ?? '';
      const socket = path.join(dataDir, 'engine.sock');
      assert.equal(uri, `mongodb://${encodeURIComponent(socket)}/scim`);
      const pid = await enginePid(uri);
      const sockets = await socketInodesOf(pid);
      assert.ok((await unixSocketPaths(sockets)).includes(socket), 'the engine listens on its Unix socket');
      const listeners = await tcpListeners();
      assert.deepEqual(sockets.filter((inode) => listeners.has(inode)), [], 'and on no TCP port');
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.deepEqual(await openToOthers(dataDir), []);
  });

  it('another local user can neither connect to the engine (EACCES) nor read its files; the server’s user can', async function () {
    if (process.getuid?.() !== 0) this.skip(); // setpriv needs root to become another user
    const dataDir = path.join(root, 'attacked');
    const server = await startServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: TOKEN });
    try {
      await writeSome(server);
      const uri = (await readEngineFile(dataDir))?.uri ?? '';
      const attempt = await run('setpriv', [...NOBODY, process.execPath, '-e', INSERT_SCRIPT, MONGODB_DRIVER, uri, 'credentials']);
      assert.equal(attempt.code, 1, attempt.stdout);
      assert.match(attempt.stderr, /connect EACCES .*engine\.sock/);
      for (const file of ['engine.json', 'ferretdb/scim.sqlite', 'engine.sock']) {
        const read = await run('setpriv', [...NOBODY, process.execPath, '-e', 'require("node:fs").readFileSync(process.argv[1])', path.join(dataDir, file)]);
        assert.equal(read.code, 1);
        assert.match(read.stderr, /EACCES/, file);
      }
      const listing = await run('setpriv', [...NOBODY, 'ls', dataDir]);
      assert.notEqual(listing.code, 0);

      const control = await run(process.execPath, ['-e', INSERT_SCRIPT, MONGODB_DRIVER, uri, 'probes']);
      assert.equal(control.stdout.trim(), 'inserted', `the same script as the server's user: ${control.stderr}`);
      const client = new MongoClient(uri);
      try {
        assert.equal(await client.db().collection('credentials').countDocuments({ name: 'planted' }), 0, 'nothing planted');
      } finally {
        await client.close();
      }
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('a DATA_DIR too long for a socket path: the socket is in a private temp directory named in engine.json, tools reach it, and it is gone after the stop', async () => {
    const dataDir = path.join(root, 'a-data-directory-whose-absolute-path-is-longer-than-a-unix-socket-path-may-be', 'data');
    assert.ok(Buffer.byteLength(path.join(dataDir, 'engine.sock')) > 107);
    const server = await startServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: TOKEN });
    let socketDir = '';
    try {
      await writeSome(server);
      const uri = (await readEngineFile(dataDir))?.uri ?? '';
      const socket = decodeURIComponent(/^mongodb:\/\/([^/]+)\/scim$/.exec(uri)?.[1] ?? '');
      socketDir = path.dirname(socket);
      assert.equal(path.dirname(socketDir), os.tmpdir());
      assert.equal((await lstat(socketDir)).mode & 0o777, 0o700);
      assert.deepEqual(await openToOthers(socketDir), []);
      assert.deepEqual(await openToOthers(dataDir), []);
      const listed = await runCli('tokens', ['list'], { DATA_DIR: dataDir });
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stderr, /using the engine of the server running on/);
      assert.match(listed.stdout, /bootstrap|no tokens/);
      if (process.getuid?.() === 0) {
        const attempt = await run('setpriv', [...NOBODY, process.execPath, '-e', INSERT_SCRIPT, MONGODB_DRIVER, uri, 'credentials']);
        assert.match(attempt.stderr, /connect EACCES/);
      }
    } finally {
      assert.equal(await server.stop(), 0);
    }
    await assert.rejects(lstat(socketDir), { code: 'ENOENT' });
  });

  it('an existing DATA_DIR open to other users, with files an earlier engine left readable, is made private at start, and the log says so', async () => {
    const dataDir = path.join(root, 'inherited');
    const first = await startServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: TOKEN });
    await writeSome(first);
    assert.equal(await first.stop(), 0);
    // What an earlier release left behind: a 0755 directory tree with 0644 files.
    await chmod(dataDir, 0o755);
    await mkdir(path.join(dataDir, 'ferretdb'), { recursive: true });
    for (const entry of await readdir(dataDir, { recursive: true, withFileTypes: true })) {
      await chmod(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
    }
    assert.notDeepEqual(await openToOthers(dataDir), []);

    const again = await startServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: TOKEN });
    try {
      assert.match(again.stderr(), /DATA_DIR .* was open to other users \(mode 0755\): made private \(0700\)/);
      assert.match(again.stderr(), /made \d+ engine files in .* private/);
      assert.deepEqual(await openToOthers(dataDir), []);
      const users = await fetch(`${again.baseUrl}/scim/v2/Users`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(((await users.json()) as { totalResults: number }).totalResults, 5, 'the data is still there');
    } finally {
      assert.equal(await again.stop(), 0);
    }
  });
});
