// The access review of --users users against exporting the same users through GET /Users cursor
// pages of --page, each in a fresh server process (its peak RSS is VmHWM from /proc), --rounds
// times in alternation. The review is streamed in one pass over the users, so it should take
// about as long as the export and as little memory.
//
//   npm run bench:access-review -- [--users 100k] [--page 200] [--rounds 2] [--scenarios export,json,csv,stale,capped]
//
// Users are seeded straight into the database in the API's shape (bench/lib/seed.ts): each holds
// the grants of the first user created through the API, so the users of other departments drift
// from the policy, as after a policy edit. Besides the default review (staleDays 90: nobody is
// stale), one with staleDays=0 lists every user as stale, so that section goes through a file; the
// same once more with V8's old space capped, which the review survives only if it holds no section.
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import http from 'node:http';
import { benchmark, count } from './lib/args.js';
import { openBenchDatabase } from './lib/database.js';
import { progress } from './lib/progress.js';
import { commandLine, fmt, printBlock, runHeader } from './lib/report.js';
import { scimClient, type ScimClient } from './lib/scim-client.js';
import { runServerScenarios, scenarioReport, seededServers, type ServerScenario } from './lib/server-scenarios.js';

const TARGET_RATIO = 1.2;
const TARGET_MIB = 256;
const CAPPED_HEAP_MIB = 48;


/** Follows nextCursor to the end, as a pulling app exports the directory. */
async function exportUsers(api: ScimClient, page: number, total: number): Promise<string> {
  const bar = progress('exporting users', total);
  let cursor = '';
  let seen = 0;
  for (;;) {
    const body = JSON.parse(await api.expect('GET', `/Users?count=${page}&cursor=${encodeURIComponent(cursor)}`, 200)) as { Resources?: unknown[]; nextCursor?: string };
    seen += body.Resources?.length ?? 0;
    bar.tick(seen);
    if (!body.nextCursor) break;
    cursor = body.nextCursor;
  }
  bar.end();
  if (seen !== total) throw new Error(`the export listed ${seen} users, expected ${total}`);
  return `${seen.toLocaleString('en-US')} users in ${Math.ceil(total / page)} pages`;
}

/** Reads the streamed review as a client would save it: bytes counted, not kept; the summary from the tail. */
function review(base: string, token: string, query: string, users: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/admin/access-review?${query}`, { headers: { Authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`access review: ${response.statusCode}`));
        response.resume();
        return;
      }
      let bytes = 0;
      let tail = '';
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        tail = (tail + chunk.toString('utf8')).slice(-4096);
      });
      response.on('error', reject);
      response.on('end', () => {
        const summary = /"summary":(\{[^}]*\})\}$/.exec(tail)?.[1];
        if (!summary) return reject(new Error(`the review did not end with its summary: …${tail.slice(-200)}`));
        const counts = JSON.parse(summary) as Record<string, number>;
        if (counts['users'] !== users) return reject(new Error(`the review counted ${counts['users']} users, expected ${users}`));
        resolve(`${fmt(bytes / 2 ** 20)} MiB; ${Object.entries(counts).map(([key, value]) => `${key} ${value.toLocaleString('en-US')}`).join(', ')}`);
      });
    });
    req.on('error', reject);
  });
}

async function main(args: { users: string; page: string; rounds: string; scenarios: string }): Promise<void> {
  const [users, page, rounds] = [count('users', args.users), count('page', args.page), count('rounds', args.rounds)];
  const which = args.scenarios.split(',');
  const database = await openBenchDatabase('review');
  try {
    const { token, adminToken, start } = await seededServers(database, users);

    const scenarios: ServerScenario[] = [
      ['export', `export through GET /Users (cursor pages of ${page})`, (server) => exportUsers(scimClient(server.base, token, 1), page, users)],
      ['json', 'access review, JSON', (server) => review(server.base, adminToken, 'format=json', users)],
      ['csv', 'access review, CSV', (server) => reviewCsv(server.base, adminToken)],
      ['stale', 'access review, JSON, staleDays=0 (every user stale)', (server) => review(server.base, adminToken, 'format=json&staleDays=0', users)],
      // What the review keeps alive, shown by letting V8 keep little: it fails if a section is held in memory.
      ['capped', `access review, JSON, staleDays=0, heap capped (--max-old-space-size=${CAPPED_HEAP_MIB})`, (server) => review(server.base, adminToken, 'format=json&staleDays=0', users), [`--max-old-space-size=${CAPPED_HEAP_MIB}`]],
    ];
    const runs = await runServerScenarios(start, scenarios, which, rounds);
    const lines = runHeader(`Access review of ${users.toLocaleString('en-US')} users vs exporting them through GET /Users`, commandLine('access-review'), database.label);
    lines.push(...scenarioReport(runs, rounds, { name: `export through GET /Users (cursor pages of ${page})`, label: 'export' }, { ratio: TARGET_RATIO, peakMiB: TARGET_MIB }));
    printBlock(lines);
  } finally {
    await database.close();
  }
}

/** The CSV review, counted as it arrives. */
function reviewCsv(base: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/admin/access-review?format=csv`, { headers: { Authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`access review CSV: ${response.statusCode}`));
        response.resume();
        return;
      }
      let bytes = 0;
      let lines = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (const byte of chunk) if (byte === 0x0a) lines += 1;
      });
      response.on('error', reject);
      response.on('end', () => resolve(`${fmt(bytes / 2 ** 20)} MiB, ${(lines - 1).toLocaleString('en-US')} rows`));
    });
    req.on('error', reject);
  });
}

benchmark('access-review', {
  summary: 'The access review (JSON, CSV) against exporting the same users through GET /Users cursor pages.',
  options: {
    users: { default: '100k', description: 'users seeded' },
    page: { default: '200', description: 'users per GET /Users page' },
    rounds: { default: '2', description: 'rounds' },
    scenarios: { default: 'export,json,csv,stale,capped', description: 'scenarios to run, comma-separated', value: '<list>' },
  },
  main,
});
