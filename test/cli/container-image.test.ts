import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';
import type { Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { runCliIn } from '../support/cli.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';

/**
 * The image holds only what the Dockerfile's last stage copies, and its documented way to manage
 * tokens, import users and re-apply the policy is `docker run … node dist/src/cli/<tool>.js`. These
 * tests lay out the files those COPY lines name in a directory of their own and run each tool from
 * there, as the container would (node_modules is linked from the repository, so a production
 * dependency missing from package.json would not be caught here).
 */

const BUILD_STAGE_ROOT = '/app/';

/** [source in the repository, destination relative to WORKDIR] of each COPY in the last stage. */
async function finalStageCopies(): Promise<[string, string][]> {
  const lines = (await readFile(path.join(REPOSITORY_ROOT, 'Dockerfile'), 'utf8')).split('\n');
  const lastFrom = lines.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true);
  const copies: [string, string][] = [];
  for (const line of lines.slice(lastFrom + 1)) {
    const words = line.trim().split(/\s+/);
    if (words[0]?.toUpperCase() !== 'COPY') continue;
    const fromStage = words.some((word) => word.startsWith('--from='));
    const [destination, ...sources] = words.slice(1).filter((word) => !word.startsWith('--')).reverse();
    for (const source of sources.reverse()) {
      // The build stage compiles a copy of the repository in its WORKDIR, so its paths are ours there.
      const repositoryPath = fromStage ? source.slice(BUILD_STAGE_ROOT.length) : source;
      const target = destination!.endsWith('/') ? path.join(destination!, path.basename(source)) : destination!;
      copies.push([repositoryPath, target]);
    }
  }
  return copies;
}

describe('Docker image: the command-line tools run from the files the image holds', function () {
  this.timeout(120_000);
  let imageDir: string;
  let dbUri: string;
  let storage: Storage;
  const env = () => ({ MONGODB_URI: dbUri });

  before(async () => {
    imageDir = await mkdtemp(path.join(os.tmpdir(), 'scim-image-'));
    const copies = await finalStageCopies();
    assert.ok(copies.some(([source]) => source === 'dist/src'), 'the image copies the compiled code');
    for (const [source, target] of copies) await cp(path.join(REPOSITORY_ROOT, source), path.join(imageDir, target), { recursive: true });
    await symlink(path.join(REPOSITORY_ROOT, 'node_modules'), path.join(imageDir, 'node_modules'), 'dir');
    dbUri = testDatabaseUri(uniqueDbName('cli_image'));
    storage = await createMongoStorage({ uri: dbUri });
  });

  after(async () => {
    await storage?.close();
    await rm(imageDir, { recursive: true, force: true });
  });

  it('tokens: create prints a token and list shows it', async () => {
    const created = await runCliIn(imageDir, 'tokens', ['create', '--name', 'image-okta', '--scopes', 'scim:read,scim:write'], env());
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout.trim(), /^scim_\S+$/);
    const listed = await runCliIn(imageDir, 'tokens', ['list', '--json'], env());
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /"image-okta"/);
  });

  it('import: creates the users of a mounted NDJSON file', async () => {
    const file = path.join(imageDir, 'users.ndjson');
    await writeFile(file, `${JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'container@example.com' })}\n`);
    const run = await runCliIn(imageDir, 'import', [file], env());
    assert.equal(run.code, 0, run.stderr);
    const page = await storage.users.list('default', { descending: false, startIndex: 1, count: 10 });
    assert.deepEqual(page.items.map((record) => record.attributes['userName']), ['container@example.com']);
  });

  it('import: reconciles a mounted HR extract with the example mapping the image ships', async () => {
    const extract = path.join(imageDir, 'hr.csv');
    await cp(path.join(REPOSITORY_ROOT, 'test', 'fixtures', 'hr', 'extract-day1.csv'), extract);
    const run = await runCliIn(imageDir, 'import', [extract, '--format', 'csv', '--map', 'schemas/hr-mapping.example.json', '--reconcile', '--tenant', 'image-hr'], env());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /reconciled .*hr\.csv: 50 joiners created/);
  });

  it('policy: re-evaluate applies a policy the image holds (POLICY_FILE, relative to the working directory)', async () => {
    const run = await runCliIn(imageDir, 'policy', ['re-evaluate'], { ...env(), POLICY_FILE: 'schemas/policy.example.json' });
    assert.equal(run.code, 0, run.stderr);
  });
});
