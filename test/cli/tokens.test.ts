import { strict as assert } from 'node:assert';
import path from 'node:path';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { loadConfig } from '../../src/config.js';
import type { Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { startServer } from '../server/server-process.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { runCli } from '../support/cli.js';
import { examplePolicy } from '../support/app.js';

const TOKEN = /^scim_[A-Za-z0-9_-]{43}$/;



describe('npm run tokens (CLI)', function () {
  this.timeout(120_000);
  let dbUri: string;
  let storage: Storage;
  let agent: supertest.Agent;
  const env = () => ({ MONGODB_URI: dbUri });
  const status = async (token: string, method: 'get' | 'post', url: string) =>
    (await (method === 'get' ? agent.get(url) : agent.post(url).send({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `u${Math.random()}` })).set('Authorization', `Bearer ${token}`)).status;

  async function create(args: string[]): Promise<string> {
    const run = await runCli('tokens', ['create', ...args], env());
    assert.equal(run.code, 0, run.stderr);
    const token = run.stdout.trim();
    assert.match(token, TOKEN, 'stdout holds exactly the token');
    assert.match(run.stderr, /shown only this once/);
    return token;
  }

  before(async () => {
    dbUri = testDatabaseUri(uniqueDbName('cli_tokens'));
    storage = await createMongoStorage({ uri: dbUri });
    const config = loadConfig({});
    agent = supertest.agent(createApp({ config, storage, authenticator: createAuthenticator(config, storage.credentials), policy: examplePolicy(), log: () => undefined }));
  });

  after(async () => {
    await storage?.close();
  });

  it('create prints a token once; it works with exactly its scopes and only its hash is stored', async () => {
    const reader = await create(['--name', 'pulling-app', '--scopes', 'scim:read']);
    assert.equal(await status(reader, 'get', '/scim/v2/Users'), 200);
    assert.equal(await status(reader, 'post', '/scim/v2/Users'), 403);
    assert.equal(await status(reader, 'get', '/admin/audit'), 403);
    const writer = await create(['--name=okta', '--tenant', 'default', '--scopes', 'scim:read,scim:write', '--expires-in', '90d']);
    assert.equal(await status(writer, 'post', '/scim/v2/Users'), 201);
    const admin = await create(['--name', 'auditor', '--scopes', 'admin']);
    assert.equal(await status(admin, 'get', '/admin/audit'), 200);
    assert.equal(await status(admin, 'get', '/admin/tokens'), 200);
    const stored = await storage.credentials.list();
    assert.deepEqual(stored.find((record) => record.name === 'auditor')?.scopes, ['audit:read', 'tokens:manage'], 'admin is stored as what it stands for');
    assert.ok(!JSON.stringify(stored).includes(reader) && !JSON.stringify(stored).includes(writer));
    const okta = stored.find((record) => record.name === 'okta');
    assert.deepEqual(okta?.scopes, ['scim:read', 'scim:write']);
    const days = ((okta?.expiresAt?.getTime() ?? 0) - (okta?.createdAt.getTime() ?? 0)) / 86_400_000;
    assert.equal(days, 90);
  });

  it('list shows name, tenant, scopes, dates and status, never a token or hash; --tenant and --json', async () => {
    const other = await create(['--name', 'acme-okta', '--tenant', 'acme', '--scopes', 'scim:write']);
    const run = await runCli('tokens', ['list'], env());
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^TENANT\s+NAME\s+SCOPES\s+STREAM\s+STATUS\s+CREATED\s+EXPIRES\s+REVOKED\s+LAST USED$/);
    // okta was used by the first test, acme-okta never.
    assert.ok(lines.some((line) => /^default\s+okta\s.*\s\d{4}-\S+$/.test(line)), run.stdout);
    assert.ok(lines.some((line) => /^acme\s+acme-okta\s.*\s-$/.test(line)), run.stdout);
    assert.ok(lines.some((line) => /^acme\s+acme-okta\s+scim:write\s+-\s+active\s/.test(line)), run.stdout);
    assert.ok(lines.some((line) => /^default\s+okta\s+scim:read,scim:write\s+-\s+active\s+\S+\s+\d{4}-/.test(line)), run.stdout);
    for (const record of await storage.credentials.list()) assert.ok(!run.stdout.includes(record.hash));
    assert.ok(!run.stdout.includes(other) && !/scim_[A-Za-z0-9_-]{43}/.test(run.stdout));
    const json = await runCli('tokens', ['list', '--tenant', 'acme', '--json'], env());
    const parsed = JSON.parse(json.stdout) as { name: string; tenant: string; status: string }[];
    assert.deepEqual(parsed.map(({ name, tenant, status: state }) => [tenant, name, state]), [['acme', 'acme-okta', 'active']]);
  });

  it('revoke: the token stops working at once (401) and list shows it revoked; an unknown name exits 1', async () => {
    const doomed = await create(['--name', 'doomed', '--scopes', 'scim:read']);
    assert.equal(await status(doomed, 'get', '/scim/v2/Users'), 200);
    const run = await runCli('tokens', ['revoke', '--name', 'doomed'], env());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /revoked "doomed" in tenant "default" \(1 token\)/);
    assert.equal(await status(doomed, 'get', '/scim/v2/Users'), 401);
    assert.match((await runCli('tokens', ['list'], env())).stdout, /default\s+doomed\s+scim:read\s+-\s+revoked/);
    const unknown = await runCli('tokens', ['revoke', '--name', 'doomed', '--tenant', 'acme'], env());
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no token named "doomed" in tenant "acme"/);
  });

  it('rotate: a new token with the same scopes; the old one stops at once, or after --grace', async () => {
    const first = await create(['--name', 'entra', '--scopes', 'scim:read,scim:write', '--expires-in', '30d']);
    const rotated = await runCli('tokens', ['rotate', '--name', 'entra', '--grace', '1h'], env());
    assert.equal(rotated.code, 0, rotated.stderr);
    const second = rotated.stdout.trim();
    assert.match(second, TOKEN);
    assert.match(rotated.stderr, /old token keeps working for 1h/);
    assert.equal(await status(first, 'post', '/scim/v2/Users'), 201, 'old token valid during the grace period');
    assert.equal(await status(second, 'post', '/scim/v2/Users'), 201);
    const records = (await storage.credentials.list('default')).filter((record) => record.name === 'entra');
    assert.equal(records.length, 2);
    const newest = records.at(-1);
    assert.ok(newest?.expiresAt && Math.round((newest.expiresAt.getTime() - newest.createdAt.getTime()) / 86_400_000) === 30, 'keeps the lifetime');
    const graceEnds = records[0]?.expiresAt?.getTime() ?? 0;
    assert.ok(Math.abs(graceEnds - (Date.now() + 3_600_000)) < 60_000, 'old token expires after the grace period');

    const third = (await runCli('tokens', ['rotate', '--name', 'entra'], env())).stdout.trim();
    assert.match(third, TOKEN);
    for (const old of [first, second]) assert.equal(await status(old, 'get', '/scim/v2/Users'), 401);
    assert.equal(await status(third, 'get', '/scim/v2/Users'), 200);
  });

  it('bad arguments: exit 2 with one line naming the mistake and where the help is, before any database is opened', async () => {
    const cases: [string[], string][] = [
      [[], 'tokens: missing command (create, list, revoke, rotate); see "npm run tokens -- --help"'],
      [['frobnicate'], 'tokens: unknown command "frobnicate" (create, list, revoke, rotate); see "npm run tokens -- --help"'],
      [['create', '--scopes', 'scim:read'], 'tokens create: --name is required; see "npm run tokens -- create --help"'],
      [['create', '--name', 'x'], 'tokens create: --scopes is required; see "npm run tokens -- create --help"'],
      [['create', '--name', '--scopes', 'scim:read'], 'tokens create: --name needs a value (<name>); see "npm run tokens -- create --help"'],
      [['create', '--name', 'x', '--scopes', 'scim:read,root'], 'tokens create: --scopes: unknown scope "root" (choose from scim:read, scim:write, audit:read, tokens:manage, campaigns:manage, campaigns:review, admin); see "npm run tokens -- create --help"'],
      [['create', '--name', 'bad name', '--scopes', 'scim:read'], 'tokens create: the name must be 1-64 letters, digits or . _ : @ -; see "npm run tokens -- create --help"'],
      [['create', '--name', 'x', '--scopes', 'scim:read', '--tenant', 'bad tenant'], 'tokens create: the tenant must be 1-64 letters, digits, "-" or "_"; see "npm run tokens -- create --help"'],
      [['create', '--name', 'x', '--scopes', 'scim:read', '--expires-in', 'forever'], 'tokens create: --expires-in must be a duration such as 90d, 12h, 30m or 45s (at most 3650d); see "npm run tokens -- create --help"'],
      [['create', '--name', 'x', '--name', 'y', '--scopes', 'scim:read'], 'tokens create: --name is given twice; see "npm run tokens -- create --help"'],
      [['list', '--grace', '1h'], 'tokens list: unknown option "--grace"; see "npm run tokens -- list --help"'],
      [['list', '--json=yes'], 'tokens list: --json takes no value; see "npm run tokens -- list --help"'],
      [['list', 'extra'], 'tokens list: unexpected argument "extra"; see "npm run tokens -- list --help"'],
      [['rotate', '--name', 'okta', '--grace', '0d'], 'tokens rotate: --grace must be a duration such as 90d, 12h, 30m or 45s (at most 3650d); see "npm run tokens -- rotate --help"'],
    ];
    for (const [args, line] of cases) {
      // No database at all: a usage error is found before one would be opened.
      const run = await runCli('tokens', args, { MONGODB_URI: 'mongodb://127.0.0.1:1/none' });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr, `${line}\n`);
      assert.equal(run.stdout, '', 'no token printed on failure');
    }
  });

  it('a refused operation or a bad configuration: exit 1 with one line, nothing on stdout', async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [['create', '--name', 'okta', '--scopes', 'scim:read'], env(), 'tokens create: a token named "okta" already exists in tenant "default" (use rotate to replace it)'],
      [['rotate', '--name', 'nobody'], env(), 'tokens rotate: no token named "nobody" in tenant "default"'],
      [['list'], { MONGODB_URI: 'http://nowhere' }, 'tokens list: invalid configuration: MONGODB_URI: must be a mongodb:// or mongodb+srv:// connection string with a host'],
    ];
    for (const [args, environment, line] of cases) {
      const run = await runCli('tokens', args, environment);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
      assert.ok(run.stderr.endsWith(`${line}\n`), run.stderr);
      assert.equal(run.stdout, '');
    }
  });
});

describe('npm run tokens (CLI) next to a running server on the embedded engine', function () {
  this.timeout(180_000);
  let dataDir: string;

  before(async function () {
    // Starts an embedded engine of its own; a run against MongoDB may have none built.
    if (process.env.MONGODB_URI) this.skip();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-tokens-cli-data-'));
  });
  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("creates a token in the server's store (through its engine) that the server accepts at once, and revokes it", async () => {
    const server = await startServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: 'static-token-for-the-cli-server-test' });
    try {
      const created = await runCli('tokens', ['create', '--name', 'pulling-app', '--scopes', 'scim:read'], { DATA_DIR: dataDir });
      assert.equal(created.code, 0, created.stderr);
      assert.ok(created.stderr.startsWith(`[tokens] using the engine of the server running on ${dataDir} (pid ${server.child.pid})\n`), created.stderr);
      const token = created.stdout.trim();
      const get = () => fetch(`${server.baseUrl}/scim/v2/Users`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal((await get()).status, 200);
      const write = await fetch(`${server.baseUrl}/scim/v2/Users`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' }, body: '{}' });
      assert.equal(write.status, 403);
      assert.match(String(write.headers.get('www-authenticate')), /insufficient_scope/);
      assert.equal((await runCli('tokens', ['revoke', '--name', 'pulling-app'], { DATA_DIR: dataDir })).code, 0);
      assert.equal((await get()).status, 401);
      assert.ok(!server.stdout().includes(token) && !server.stderr().includes(token), 'the server never logs the token');
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});
