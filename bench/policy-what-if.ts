// The policy what-if (POST /admin/policy/what-if) of a draft over --users users against the access
// review of the same users (GET /admin/access-review), each in a fresh server process (its peak RSS
// is VmHWM from /proc), --rounds times in alternation. Both are one pass over the users evaluating
// the policy for each, so the what-if should take about as long as the review and as little memory;
// its JSON report holds per role counts and at most `limit` users, whatever the directory's size,
// which the run with V8's old space capped shows.
//
//   npm run bench:policy-what-if -- [--users 100k] [--rounds 1] [--scenarios review,what-if,what-if-csv,capped]
//
// Users are seeded straight into the database in the API's shape (bench/lib/seed.ts). The draft is
// the example policy with the contractors' rule removed and a new role for the Sales department, so
// some users would gain and some lose a role.
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { EXAMPLE_POLICY_FILE } from '../src/lifecycle/policy/load.js';
import { benchmark, count } from './lib/args.js';
import { openBenchDatabase } from './lib/database.js';
import { commandLine, fmt, printBlock, runHeader } from './lib/report.js';
import type { ServerProcess } from './lib/server-process.js';
import { runServerScenarios, scenarioReport, seededServers, type ServerScenario } from './lib/server-scenarios.js';

const TARGET_RATIO = 1.2;
const TARGET_MIB = 256;
const CAPPED_HEAP_MIB = 48;


type PolicyJson = { roles: Record<string, { permissions: string[] }>; rules: { name: string; grant: string[]; when: unknown }[] } & Record<string, unknown>;

async function draftPolicy(): Promise<string> {
  const draft = JSON.parse(await readFile(EXAMPLE_POLICY_FILE, 'utf8')) as PolicyJson;
  delete draft['$schema'];
  draft.rules = draft.rules.filter((rule) => rule.name !== 'contractors');
  draft.roles['crm-viewer'] = { permissions: ['crm:read'] };
  draft.rules.push({ name: 'sales-department', grant: ['crm-viewer'], when: { attribute: 'department', equals: 'Sales' } });
  return JSON.stringify(draft);
}

/** Sends a request and reads the answer as a client saving it would: bytes counted, the last 64 KiB kept. */
function exchange(base: string, token: string, method: 'GET' | 'POST', path: string, body?: string): Promise<{ bytes: number; tail: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
    const req = http.request(`${base}${path}`, { method, headers }, (response) => {
      let bytes = 0;
      let tail = '';
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        tail = (tail + chunk.toString('utf8')).slice(-65_536);
      });
      response.on('error', reject);
      response.on('end', () => (response.statusCode === 200 ? resolve({ bytes, tail }) : reject(new Error(`${method} ${path}: ${response.statusCode} ${tail.slice(0, 500)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function review(server: ServerProcess, token: string, users: number): Promise<string> {
  const { bytes, tail } = await exchange(server.base, token, 'GET', '/admin/access-review?format=json');
  const summary = JSON.parse(/"summary":(\{[^}]*\})\}$/.exec(tail)?.[1] ?? '{}') as Record<string, number>;
  if (summary['users'] !== users) throw new Error(`the review counted ${summary['users']} users, expected ${users}`);
  return `${fmt(bytes / 2 ** 20)} MiB; drift ${summary['drift']?.toLocaleString('en-US')}`;
}

async function whatIf(server: ServerProcess, token: string, draft: string, users: number): Promise<string> {
  const { bytes, tail } = await exchange(server.base, token, 'POST', '/admin/policy/what-if', draft);
  const report = JSON.parse(tail) as { summary: Record<string, number> };
  if (report.summary['users'] !== users) throw new Error(`the what-if counted ${report.summary['users']} users, expected ${users}`);
  const { usersAffected, gains, losses } = report.summary;
  return `${fmt(bytes / 2 ** 10)} KiB; ${usersAffected?.toLocaleString('en-US')} users affected, ${gains?.toLocaleString('en-US')} gains, ${losses?.toLocaleString('en-US')} losses`;
}

async function whatIfCsv(server: ServerProcess, token: string, draft: string): Promise<string> {
  const { bytes } = await exchange(server.base, token, 'POST', '/admin/policy/what-if?format=csv', draft);
  return `${fmt(bytes / 2 ** 20)} MiB of CSV`;
}

async function main(args: { users: string; rounds: string; scenarios: string }): Promise<void> {
  const [users, rounds] = [count('users', args.users), count('rounds', args.rounds)];
  const which = args.scenarios.split(',');
  const draft = await draftPolicy();
  const database = await openBenchDatabase('what_if');
  try {
    const { adminToken, start } = await seededServers(database, users);

    const scenarios: ServerScenario[] = [
      ['review', 'access review, JSON', (server) => review(server, adminToken, users)],
      ['what-if', 'policy what-if, JSON (limit 20)', (server) => whatIf(server, adminToken, draft, users)],
      ['what-if-csv', 'policy what-if, CSV (every change)', (server) => whatIfCsv(server, adminToken, draft)],
      // What the what-if keeps alive, shown by letting V8 keep little: it fails if it holds the users.
      ['capped', `policy what-if, JSON, heap capped (--max-old-space-size=${CAPPED_HEAP_MIB})`, (server) => whatIf(server, adminToken, draft, users), [`--max-old-space-size=${CAPPED_HEAP_MIB}`]],
    ];
    const runs = await runServerScenarios(start, scenarios, which, rounds);
    const lines = runHeader(`Policy what-if of ${users.toLocaleString('en-US')} users vs the access review of the same users`, commandLine('policy-what-if'), database.label);
    lines.push(...scenarioReport(runs, rounds, { name: 'access review, JSON', label: 'access review' }, { ratio: TARGET_RATIO, peakMiB: TARGET_MIB }));
    printBlock(lines);
  } finally {
    await database.close();
  }
}

benchmark('policy-what-if', {
  summary: 'The policy what-if of a draft (JSON, CSV, JSON with a capped heap) against the access review of the same users.',
  options: {
    users: { default: '100k', description: 'users seeded' },
    rounds: { default: '1', description: 'rounds' },
    scenarios: { default: 'review,what-if,what-if-csv,capped', description: 'scenarios to run, comma-separated', value: '<list>' },
  },
  main,
});
