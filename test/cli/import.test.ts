import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseFilter } from '../../src/scim/filter/parse.js';
import type { Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { runCli } from '../support/cli.js';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';


const user = (userName: string, extra: Record<string, unknown> = {}) => JSON.stringify({ schemas: [USER_SCHEMA], userName, active: true, ...extra });

describe('import (CLI)', function () {
  this.timeout(120_000);
  let dir: string;
  let uri: string;
  let storage: Storage;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'scim-import-'));
    uri = testDatabaseUri(uniqueDbName('cli_import'));
    storage = await createMongoStorage({ uri });
  });
  after(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the users of an NDJSON file through the user service, audited as cli:import', async () => {
    const file = path.join(dir, 'good.ndjson');
    await writeFile(file, `${user('ada@example.com', { externalId: 'x1' })}\n\n${user('grace@example.com')}\n`);
    const run = await runCli('import', [file, '--concurrency', '2'], { MONGODB_URI: uri });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /imported 2 users in [\d.]+ s \([\d,]+ users\/s\); 0 failed/);
    const page = await storage.users.list('default', { descending: false, startIndex: 1, count: 10 });
    const names = page.items.map((record) => record.attributes['userName']).sort();
    assert.deepEqual(names, ['ada@example.com', 'grace@example.com']);
    const audit = await storage.audit.query({ tenant: 'default', limit: 10 });
    assert.equal(audit.filter((entry) => entry.actor === 'cli:import' && entry.operation === 'create').length, 2);
  });

  it('reports each failing line with its number and SCIM error, imports the rest and exits 2', async () => {
    const file = path.join(dir, 'mixed.ndjson');
    const lines = [user('linus@example.com'), '{not json', user('ADA@example.com'), JSON.stringify({ schemas: [USER_SCHEMA], active: true }), user('margaret@example.com')];
    await writeFile(file, `${lines.join('\n')}\n`);
    const run = await runCli('import', [file], { MONGODB_URI: uri });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stdout, /imported 2 users .*; 3 failed/);
    assert.match(run.stderr, /line 2: 400 invalidSyntax/);
    assert.match(run.stderr, /line 3: 409 uniqueness/);
    assert.match(run.stderr, /line 4: 400 /);
  });

  it('gives every line the same outcome whatever the batch size: --batch 2 over 7 lines with failures across batches', async () => {
    const file = path.join(dir, 'batched.ndjson');
    const lines = [user('b1@example.com'), user('b2@example.com'), user('B1@example.com'), '{not json', user('b3@example.com', { externalId: 'bx' }), user('b4@example.com'), user('b2@EXAMPLE.com')];
    await writeFile(file, `${lines.join('\n')}\n`);
    const run = await runCli('import', [file, '--batch', '2', '--concurrency', '1'], { MONGODB_URI: uri });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stdout, /imported 4 users .*; 3 failed/);
    assert.match(run.stderr, /line 3: 409 uniqueness/);
    assert.match(run.stderr, /line 4: 400 invalidSyntax/);
    assert.match(run.stderr, /line 7: 409 uniqueness/);
    const byExternalId = await storage.users.list('default', { descending: false, startIndex: 1, count: 10, filter: parseFilter('externalId eq "bx"') });
    assert.deepEqual(byExternalId.items.map((record) => record.attributes['userName']), ['b3@example.com']);
  });

  it('leaves out attributes no schema defines and says which (UNKNOWN_ATTRIBUTES=ignore), or fails those lines (reject)', async () => {
    const file = path.join(dir, 'unknown.ndjson');
    await writeFile(file, `${[user('u1@example.com', { shoeSize: 44 }), user('u2@example.com', { shoeSize: 45, name: { givenName: 'U', nick: 'x' } }), user('u3@example.com')].join('\n')}\n`);
    const ignored = await runCli('import', [file], { MONGODB_URI: uri });
    assert.equal(ignored.code, 0, ignored.stderr);
    assert.match(ignored.stderr, /ignored the unknown attribute 'shoeSize' on 2 lines \(UNKNOWN_ATTRIBUTES=ignore\)/);
    assert.match(ignored.stderr, /ignored the unknown attribute 'name.nick' on 1 line /);
    const rejectFile = path.join(dir, 'unknown-reject.ndjson');
    await writeFile(rejectFile, `${[user('r1@example.com', { shoeSize: 44 }), user('r2@example.com')].join('\n')}\n`);
    const rejected = await runCli('import', [rejectFile], { MONGODB_URI: uri, UNKNOWN_ATTRIBUTES: 'reject' });
    assert.equal(rejected.code, 2, rejected.stderr);
    assert.match(rejected.stderr, /line 1: 400 invalidSyntax: Unknown attribute 'shoeSize'/);
    assert.match(rejected.stdout, /imported 1 users .*; 1 failed/);
  });

  for (const [args, message] of [
    [[], /missing the NDJSON file/],
    [['a.ndjson', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 64/],
    [['a.ndjson', '--batch', '1001'], /--batch must be a whole number from 1 to 1000/],
    [['a.ndjson', '--batch'], /--batch needs a value/],
    [['a.ndjson', '--bogus'], /unknown option "--bogus"/],
    [['a.ndjson', 'b.ndjson'], /only one file/],
  ] as [string[], RegExp][]) {
    it(`refuses bad arguments (${args.join(' ') || 'none'}) with exit 1 and a message`, async () => {
      const run = await runCli('import', args, { MONGODB_URI: uri });
      assert.equal(run.code, 1);
      assert.match(run.stderr, message);
    });
  }
});
