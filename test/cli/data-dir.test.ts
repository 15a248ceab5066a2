import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';
import { runCli } from '../support/cli.js';

// The files the server ships are found relative to the working directory, as DATA_DIR is: named here.
const POLICY_FILE = path.join(REPOSITORY_ROOT, 'schemas', 'policy.example.json');
const SCHEMA_EXTENSIONS_DIR = path.join(REPOSITORY_ROOT, 'schemas', 'extensions');
const REFUSAL = "and it holds no data: set DATA_DIR to the server's data directory, or MONGODB_URI to its database";

/**
 * Which database `tokens`, `policy` and `import` use is said before they use it, and a DATA_DIR
 * without data is refused (unless --init): run from the wrong directory, a command must not quietly
 * work on a new database the server never sees. (The running-server case: tokens.test.ts and
 * policy-reevaluate.test.ts.)
 */
describe('CLIs: which database they use (MONGODB_URI, DATA_DIR)', function () {
  this.timeout(180_000);
  let cwd: string;

  before(function () {
    // These start embedded engines of their own; a run against MongoDB may have none built.
    if (process.env.MONGODB_URI) this.skip();
  });
  beforeEach(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), 'scim-cli-cwd-'));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('DATA_DIR unset: names ./.data of the working directory as an absolute path, refuses it empty, creates nothing', async () => {
    const run = await runCli('tokens', ['list'], {}, { cwd });
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `tokens list: no server is running on ${cwd}/.data (DATA_DIR is not set: ./.data in the current directory) ${REFUSAL}\n`);
    assert.equal(existsSync(path.join(cwd, '.data')), false);
  });

  it('a relative DATA_DIR without data is refused by every command, naming --init where it applies', async () => {
    const source = path.join(cwd, 'users.ndjson');
    await writeFile(source, '{"userName":"ada@example.com"}\n');
    const env = { DATA_DIR: 'relative/data', POLICY_FILE, SCHEMA_EXTENSIONS_DIR };
    const where = `no server is running on ${cwd}/relative/data ${REFUSAL}`;
    const cases: [Parameters<typeof runCli>[0], string[], string][] = [
      ['tokens', ['create', '--name', 'okta', '--scopes', 'scim:write'], `tokens create: ${where}, or pass --init to start a new database there`],
      ['tokens', ['revoke', '--name', 'okta'], `tokens revoke: ${where}`],
      ['import', [source], `import: ${where}, or pass --init to start a new database there`],
      ['import', [source, '--dry-run'], `import: ${where}`],
      ['policy', ['re-evaluate'], `policy re-evaluate: ${where}`],
    ];
    for (const [program, args, line] of cases) {
      const run = await runCli(program, args, env, { cwd });
      assert.equal(run.code, 1, run.stderr);
      assert.ok(run.stderr.endsWith(`${line}\n`), run.stderr);
      assert.equal(existsSync(path.join(cwd, 'relative')), false, `${program} ${args[0]} created nothing`);
    }
  });

  it('--init starts a new database there and says so; later commands from elsewhere find it and say they start an engine on it', async () => {
    const created = await runCli('tokens', ['create', '--name', 'bootstrap', '--scopes', 'scim:read', '--init'], { DATA_DIR: 'data' }, { cwd });
    assert.equal(created.code, 0, created.stderr);
    const dataDir = path.join(cwd, 'data');
    assert.ok(created.stderr.startsWith(`[tokens] no server is running on ${dataDir}: starting the embedded engine there on a new, empty database (it stops when this command ends)\n`), created.stderr);
    const listed = await runCli('tokens', ['list'], { DATA_DIR: dataDir }, { cwd: os.tmpdir() });
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.stderr.startsWith(`[tokens] no server is running on ${dataDir}: starting the embedded engine there (it stops when this command ends)\n`), listed.stderr);
    assert.match(listed.stdout, /^default\s+bootstrap\s+scim:read\s+-\s+active/m);
  });

  it('MONGODB_URI: says so, without the credentials in it', async () => {
    const run = await runCli('tokens', ['list'], { MONGODB_URI: 'mongodb://admin:s3cret@127.0.0.1:1/scim' }, { cwd });
    assert.equal(run.code, 1);
    assert.ok(run.stderr.startsWith('[tokens] using MONGODB_URI mongodb://***@127.0.0.1:1/scim\n'), run.stderr);
    assert.match(run.stderr, /tokens list: cannot reach the database at mongodb:\/\/\*\*\*@127\.0\.0\.1:1\/scim: /);
    assert.ok(!run.stderr.includes('s3cret'));
  });
});
