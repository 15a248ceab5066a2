// HR feed reconciliation (`npm run import -- hr.csv --format csv --map mapping.json --reconcile`) of
// --people people, as an operator runs it each day: the first full extract (a plan, then every
// person a joiner), the same extract again (nothing to do), and the next day's extract (--movers %
// with a new title and department, --leavers % gone, as many new joiners), each first as --dry-run.
// Every run is the real CLI in its own process (wall time, and its peak RSS from /usr/bin/time) on
// the same database, with the shipped mapping (schemas/hr-mapping.example.json) and the example
// policy. The extract has the columns of test/fixtures/hr; managers form a tree ten wide.
//
//   npm run bench:hr-reconcile -- [--people 10k] [--movers 5] [--leavers 2]
//
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { UsageError } from '../src/cli/run.js';
import { EXAMPLE_POLICY_FILE } from '../src/lifecycle/policy/load.js';
import { REPOSITORY_ROOT } from '../src/repository-root.js';
import { benchmark, count } from './lib/args.js';
import { openBenchDatabase } from './lib/database.js';
import { note } from './lib/progress.js';
import { commandLine, fmt, printBlock, runHeader, table } from './lib/report.js';

const MAPPING = path.join(REPOSITORY_ROOT, 'schemas', 'hr-mapping.example.json');
const HEADER = 'Employee ID,Login,First Name,Last Name,Preferred Name,Work Email,Job Title,Worker Type,Department,Cost Center,Manager ID,Office Phone,Payroll ID,Hire Date';
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Marketing', 'Support', 'People', 'Legal', 'Operations'];
const TITLES = ['Engineer', 'Senior Engineer', 'Account Executive', 'Analyst', 'Designer', 'Support Specialist', 'Manager', 'Counsel'];
const GIVEN = ['Ada', 'Grace', 'Margaret', 'Alan', 'Katherine', 'Linus', 'Barbara', 'Ken', 'Radia', 'Tim', 'Frances', 'Dennis', 'Søren', 'Zoë', 'José', 'Łukasz'];
const FAMILY = ['Lovelace', 'Hopper', 'Hamilton', 'Turing', 'Johnson', 'Torvalds', 'Liskov', 'Thompson', 'Perlman', 'Lee', 'Allen', 'Ritchie', 'Müller', "O'Brien", 'Núñez', 'Kowalski'];
/** The mapping owns keys E followed by five digits. */
const FIRST_KEY = 10_000;
const MAX_PEOPLE = 89_999;

interface Person {
  n: number;
  title: string;
  department: string;
}

const key = (n: number) => `E${FIRST_KEY + n}`;

function row({ n, title, department }: Person): string {
  const given = GIVEN[n % GIVEN.length] as string;
  const family = FAMILY[Math.floor(n / GIVEN.length) % FAMILY.length] as string;
  const login = `${given}.${family}.${n}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, '');
  const manager = n === 0 ? '' : key(Math.floor((n - 1) / 10));
  const cells = [key(n), login, given, family, `"${given} ${family.replace(/"/g, '""')}"`, login, title, n % 9 === 0 ? 'Contractor' : 'Employee', department, `CC-${1000 + (n % 40)}`, manager, `+44 20 7946 ${String(n % 10_000).padStart(4, '0')}`, `P${FIRST_KEY + n}`, `20${String(10 + (n % 15)).padStart(2, '0')}-0${1 + (n % 9)}-1${n % 10}`];
  return cells.join(',');
}

async function writeExtract(file: string, people: readonly Person[]): Promise<void> {
  await writeFile(file, `${[HEADER, ...people.map(row)].join('\r\n')}\r\n`);
}

interface Run {
  name: string;
  seconds: number;
  peakMiB: number;
  summary: string;
}

/** The CLI as an operator runs it, timed by the wall clock, its peak RSS read by /usr/bin/time. */
async function reconcile(uri: string, file: string, name: string, extra: string[]): Promise<Run> {
  const args = ['-f', '%M', process.execPath, path.join(REPOSITORY_ROOT, 'dist/src/cli/import.js'), file, '--format', 'csv', '--map', MAPPING, '--reconcile', ...extra];
  const started = performance.now();
  const { stdout, stderr } = await promisify(execFile)('/usr/bin/time', args, { env: { ...process.env, MONGODB_URI: uri, POLICY_FILE: EXAMPLE_POLICY_FILE }, maxBuffer: 256 * 2 ** 20 });
  const seconds = (performance.now() - started) / 1000;
  const peakKiB = Number(stderr.trim().split('\n').at(-1));
  const summary = /^(?:reconciled|dry run of) .*$/m.exec(stdout)?.[0].replace(/^[^:]*: /, '').replace(/; request id .*$/, '') ?? '';
  if (!summary) throw new Error(`${name}: no summary line in the output:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
  note(`${name}: ${fmt(seconds)} s, peak RSS ${fmt(peakKiB / 1024)} MiB; ${summary}`);
  return { name, seconds, peakMiB: peakKiB / 1024, summary };
}

async function main(args: { people: string; movers: string; leavers: string }): Promise<void> {
  const people = count('people', args.people);
  const [movers, leavers] = [count('movers', args.movers), count('leavers', args.leavers)];
  if (people < 2 || people > MAX_PEOPLE) throw new UsageError(`--people must be 2 to ${MAX_PEOPLE.toLocaleString('en-US')} (the mapping owns keys E10000 to E99999)`);
  if (movers > 100 || leavers > 10) throw new UsageError('--movers is a percentage (at most 100), --leavers one of at most 10 (the feed refuses more leavers without --force)');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'scim-bench-hr-'));
  const database = await openBenchDatabase('hr_reconcile');
  try {
    const day1: Person[] = Array.from({ length: people }, (_, n) => ({ n, title: TITLES[n % TITLES.length] as string, department: DEPARTMENTS[n % DEPARTMENTS.length] as string }));
    // Leavers are people without reports (the tree's last tenth); movers change title and department.
    const leaving = Math.round((people * leavers) / 100);
    const moving = Math.round((people * movers) / 100);
    const joining = Math.min(leaving, MAX_PEOPLE - people);
    const stayers = day1.slice(0, people - leaving);
    const every = Math.max(1, Math.floor(stayers.length / Math.max(1, moving)));
    const moves = (index: number) => index % every === 0 && index / every < moving;
    const day2 = [
      ...stayers.map((person, index) => (moves(index) ? { ...person, title: `${person.title} II`, department: DEPARTMENTS[(person.n + 1) % DEPARTMENTS.length] as string } : person)),
      ...Array.from({ length: joining }, (_, index) => ({ n: people + index, title: 'Engineer', department: 'Engineering' })),
    ];
    const [file1, file2] = [path.join(dir, 'extract-day1.csv'), path.join(dir, 'extract-day2.csv')];
    await writeExtract(file1, day1);
    await writeExtract(file2, day2);
    const runs: Run[] = [];
    const uri = database.uri;
    runs.push(await reconcile(uri, file1, 'day 1, --dry-run (empty directory)', ['--dry-run']));
    runs.push(await reconcile(uri, file1, 'day 1 (every person a joiner)', []));
    runs.push(await reconcile(uri, file1, 'day 1 again (nothing to do)', []));
    runs.push(await reconcile(uri, file2, 'day 2, --dry-run', ['--dry-run']));
    runs.push(await reconcile(uri, file2, `day 2 (${movers}% movers, ${leavers}% leavers, as many joiners)`, []));
    const lines = runHeader(`HR feed reconciliation of ${people.toLocaleString('en-US')} people`, commandLine('hr-reconcile'), database.label);
    lines.push('Each run `node dist/src/cli/import.js <extract> --format csv --map schemas/hr-mapping.example.json --reconcile` in its own process on the same database (POLICY_FILE the example); peak RSS from /usr/bin/time.', '');
    lines.push(...table(['run', 'seconds', 'people/s', 'peak RSS MiB', 'what the CLI reported'], runs.map((run) => [run.name, fmt(run.seconds), Math.round((run.name.startsWith('day 2') ? day2.length : people) / run.seconds), fmt(run.peakMiB), run.summary])));
    printBlock(lines);
  } finally {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  }
}

benchmark('hr-reconcile', {
  summary: 'HR feed reconciliation: a full extract, the same again, and the next day with movers, leavers and joiners, each planned first.',
  options: {
    people: { default: '10k', description: 'people in the extract' },
    movers: { default: '5', description: 'per cent of people who move on day 2' },
    leavers: { default: '2', description: 'per cent of people who leave on day 2 (as many join)' },
  },
  main,
});
