import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';
import { runCli, type ProgramName } from '../support/cli.js';

const PACKAGE = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

/** Every program and sub-command, how the operator runs it, and the options its help must list. */
const COMMANDS: { program: ProgramName; sub?: string; invocation: string; options: string[] }[] = [
  { program: 'tokens', invocation: 'npm run tokens --', options: [] },
  { program: 'tokens', sub: 'create', invocation: 'npm run tokens -- create', options: ['--name <name>', '--scopes <scopes>', '--tenant <tenant>', '--expires-in <duration>', '--stream <stream>', '--init'] },
  { program: 'tokens', sub: 'list', invocation: 'npm run tokens -- list', options: ['--tenant <tenant>', '--json'] },
  { program: 'tokens', sub: 'revoke', invocation: 'npm run tokens -- revoke', options: ['--name <name>', '--tenant <tenant>'] },
  { program: 'tokens', sub: 'rotate', invocation: 'npm run tokens -- rotate', options: ['--name <name>', '--tenant <tenant>', '--grace <duration>', '--expires-in <duration>'] },
  { program: 'streams', invocation: 'npm run streams --', options: [] },
  { program: 'streams', sub: 'create', invocation: 'npm run streams -- create', options: ['--name <name>', '--tenant <tenant>', '--events <types>'] },
  { program: 'streams', sub: 'list', invocation: 'npm run streams -- list', options: ['--tenant <tenant>', '--json'] },
  { program: 'streams', sub: 'show', invocation: 'npm run streams -- show', options: ['--name <name>', '--tenant <tenant>'] },
  { program: 'streams', sub: 'set-events', invocation: 'npm run streams -- set-events', options: ['--name <name>', '--events <types>', '--tenant <tenant>'] },
  { program: 'streams', sub: 'delete', invocation: 'npm run streams -- delete', options: ['--name <name>', '--tenant <tenant>'] },
  { program: 'policy', invocation: 'npm run policy --', options: [] },
  { program: 'policy', sub: 're-evaluate', invocation: 'npm run policy -- re-evaluate', options: ['--batch <n>', '--restart'] },
  { program: 'policy', sub: 'diff', invocation: 'npm run policy -- diff', options: ['--tenant <tenant>', '--limit <n>', '--format <format>'] },
  { program: 'import', invocation: 'npm run import --', options: ['--format <format>', '--upsert', '--dry-run', '--rejects <file>', '--batch <1-1000>', '--concurrency <1-64>', '--tenant <tenant>', '--init'] },
  { program: 'server', invocation: 'npm start --', options: [] },
  { program: 'bench:generate', invocation: 'npm run bench:generate --', options: ['--users <n>', '--out <file>', '--from <n>'] },
  { program: 'bench:import', invocation: 'npm run bench:import --', options: ['--users <n>', '--batch <n>', '--concurrency <n>', '--paths <paths>'] },
  { program: 'bench:load', invocation: 'npm run bench:load --', options: ['--users <n>', '--groups <n>', '--mixes <mixes>', '--requests <n>', '--warmup <n>', '--connections <n>'] },
  { program: 'bench:db-work', invocation: 'npm run bench:db-work --', options: ['--users <n>', '--scales <sizes>', '--repeat <n>'] },
  { program: 'bench:memory', invocation: 'npm run bench:memory --', options: ['--users <n>', '--members <n>', '--page <n>', '--group-gets <n>', '--scenarios <scenarios>'] },
  { program: 'bench:scale-out', invocation: 'npm run bench:scale-out --', options: ['--users <n>', '--hot <n>', '--duration <n>', '--connections <n>', '--names <n>', '--burst <n>'] },
  { program: 'bench:membership-patch', invocation: 'npm run bench:membership-patch --', options: ['--sizes <sizes>', '--requests <n>', '--warmup <n>', '--round <n>', '--gets <n>', '--profile <n>', '--max-minutes <minutes>', '--out <file>'] },
  { program: 'bench:member-filter', invocation: 'npm run bench:member-filter --', options: ['--large <n>', '--small <n>', '--repeat <n>'] },
  { program: 'bench:contention', invocation: 'npm run bench:contention --', options: ['--users <n>', '--seconds <n>', '--expensive <n>'] },
  { program: 'bench:policy-what-if', invocation: 'npm run bench:policy-what-if --', options: ['--users <n>', '--rounds <n>', '--scenarios <list>'] },
  { program: 'bench:audit-query', invocation: 'npm run bench:audit-query --', options: ['--small <n>', '--large <n>', '--repeat <n>', '--page <n>'] },
  { program: 'bench:audit-append', invocation: 'npm run bench:audit-append --', options: ['--existing <n>', '--entries <n>', '--rounds <n>'] },
  { program: 'bench:access-review', invocation: 'npm run bench:access-review --', options: ['--users <n>', '--page <n>', '--rounds <n>', '--scenarios <list>'] },
  { program: 'bench:console', invocation: 'npm run bench:console --', options: ['--small <n>', '--large <n>', '--requests <n>', '--warmup <n>'] },
  { program: 'bench:campaign', invocation: 'npm run bench:campaign --', options: ['--users <n>', '--capped-heap <n>'] },
  { program: 'bench:hr-reconcile', invocation: 'npm run bench:hr-reconcile --', options: ['--people <n>', '--movers <n>', '--leavers <n>'] },
  { program: 'bench:baseline-server', invocation: 'node dist/bench/baseline-server.js', options: [] },
  { program: 'bench/lookup-cost', invocation: 'node bench/lookup-cost.mjs', options: ['--sizes <sizes>', '--requests <n>', '--warmup <n>', '--root <dir>'] },
  { program: 'bench/engine-write-cost', invocation: 'node bench/engine-write-cost.mjs', options: [] },
  { program: 'bench/engine-concurrent-writes', invocation: 'node bench/engine-concurrent-writes.mjs', options: [] },
];

// A database no test needs: nothing here may reach one.
const ENV = { MONGODB_URI: 'mongodb://127.0.0.1:1/unused' };

describe('every command line: --help, --version, usage errors (real processes)', function () {
  this.timeout(60_000);

  for (const { program, sub, invocation, options } of COMMANDS) {
    const name = sub ? `${program} ${sub}` : program;
    const args = sub ? [sub] : [];

    it(`${name} --help: the usage, every option, exit 0`, async () => {
      const run = await runCli(program, [...args, '--help'], ENV);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      assert.ok(run.stdout.startsWith(`usage: ${invocation}`), run.stdout);
      for (const option of [...options, '-h, --help', '-V, --version']) assert.ok(run.stdout.includes(option), `${option} in:\n${run.stdout}`);
      assert.match(run.stdout, /\nExit status: 0 done, 1 error, 2 usage error.*\(docs\/cli\.md\)\.\n$/);
    });

    it(`${name} --version: the package version, exit 0`, async () => {
      const run = await runCli(program, [...args, '--version'], ENV);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `${PACKAGE.name} ${PACKAGE.version}\n`);
    });

    it(`${name} --no-such-option: one line on stderr, exit 2`, async () => {
      const run = await runCli(program, [...args, '--no-such-option'], ENV);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      const commands: Partial<Record<ProgramName, string>> = { tokens: 'create, list, revoke, rotate', streams: 'create, list, show, set-events, delete', policy: 're-evaluate, diff' };
      const where = sub === undefined && commands[program] ? ` (a command comes first: ${commands[program]})` : '';
      assert.equal(run.stderr, `${name}: unknown option "--no-such-option"${where}; see "${invocation} --help"\n`);
    });
  }

  it('-h and -V are --help and --version; --help wins over a mistake anywhere before --', async () => {
    assert.equal((await runCli('import', ['-h'], ENV)).stdout, (await runCli('import', ['--help'], ENV)).stdout);
    assert.equal((await runCli('tokens', ['-V'], ENV)).stdout, `${PACKAGE.name} ${PACKAGE.version}\n`);
    const help = await runCli('tokens', ['create', '--name', '--help'], ENV);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: npm run tokens -- create /);
  });

  it('a bad value of a benchmark option is a usage error naming it (bench:generate --users lots)', async () => {
    const run = await runCli('bench:generate', ['--users', 'lots'], ENV);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'bench:generate: --users must be a whole number (10000, 10k, 1M), not "lots"; see "npm run bench:generate -- --help"\n');
  });
});
