import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { runServerExpectingFailure, startServer } from './server-process.js';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** With MONGODB_URI set the suite targets real MongoDB, so the server gets a database of its own there. */
function engineEnv(dataDir: string): Record<string, string> {
  return process.env.MONGODB_URI ? { DATA_DIR: dataDir, MONGODB_URI: testDatabaseUri(uniqueDbName('server_process')) } : { DATA_DIR: dataDir };
}

function tokenFrom(stdout: string): string {
  const match = /(scim_[A-Za-z0-9_-]{43})/.exec(stdout);
  assert.ok(match?.[1], `no token printed in: ${stdout}`);
  return match[1];
}

async function scim(baseUrl: string, token: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/scim/v2${pathname}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('npm start: the server process on its default engine', function () {
  this.timeout(120_000);
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-server-test-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('generates a bearer token on first start, keeps data and the token across a restart, and stops on SIGTERM', async () => {
    const env = engineEnv(dataDir);
    const first = await startServer(env);
    const token = tokenFrom(first.stdout());
    assert.equal((await fetch(`${first.baseUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${first.baseUrl}/readyz`)).status, 200);
    const created = await scim(first.baseUrl, token, 'POST', '/Users', { schemas: [USER_SCHEMA], userName: 'persisted@example.com' });
    assert.equal(created.status, 201);
    assert.equal(await first.stop(), 0);

    const second = await startServer(env);
    try {
      assert.doesNotMatch(second.stdout(), /scim_/, 'the token is printed only on the first start');
      const fetched = await scim(second.baseUrl, token, 'GET', `/Users/${String(created.body['id'])}`);
      assert.equal(fetched.status, 200);
      assert.equal(fetched.body['userName'], 'persisted@example.com');
      assert.equal((await scim(second.baseUrl, 'scim_wrong', 'GET', '/Users')).status, 401);
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });

  it('uses SCIM_BEARER_TOKEN when set and prints no token', async () => {
    const server = await startServer({ ...engineEnv(dataDir), SCIM_BEARER_TOKEN: 'a-static-token-of-32-characters!' });
    try {
      assert.doesNotMatch(server.stdout(), /scim_/);
      assert.equal((await scim(server.baseUrl, 'a-static-token-of-32-characters!', 'GET', '/Users')).status, 200);
    } finally {
      await server.stop();
    }
  });

  const badConfigs: [string, Record<string, string>, RegExp][] = [
    ['a malformed MONGODB_URI', { MONGODB_URI: 'postgres://localhost/x' }, /MONGODB_URI/],
    ['a non-numeric PORT', { PORT: 'eighty' }, /PORT/],
    ['an out-of-range PORT', { PORT: '70000' }, /PORT/],
    ['a short SCIM_BEARER_TOKEN', { SCIM_BEARER_TOKEN: 'short' }, /SCIM_BEARER_TOKEN/],
    ['a PUBLIC_BASE_URL that is not http(s)', { PUBLIC_BASE_URL: 'ftp://x' }, /PUBLIC_BASE_URL/],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'verbose' }, /LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/],
    ['a non-numeric METRICS_PORT', { METRICS_PORT: 'metrics' }, /METRICS_PORT/],
    ['METRICS_PORT equal to PORT', { PORT: '18080', METRICS_PORT: '18080' }, /METRICS_PORT: must differ from PORT/],
  ];
  for (const [what, env, message] of badConfigs) {
    it(`refuses to start with ${what}, naming the variable`, async () => {
      const { code, stderr } = await runServerExpectingFailure({ DATA_DIR: dataDir, ...env });
      assert.equal(code, 1);
      assert.match(stderr, message);
      assert.match(stderr, /invalid configuration/);
      // Even this refusal is a JSON log line (a fatal one), like everything the server writes to stderr.
      const lines = stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg: string });
      assert.ok(lines.some((line) => line.level === 60 && /invalid configuration/.test(line.msg)), stderr);
    });
  }
});
