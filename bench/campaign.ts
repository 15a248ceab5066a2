// An access certification campaign over the whole directory: --users users seeded with the example
// policy (each holds the grants a realistic user gets), then one campaign per run taken through
// every step, each step in a fresh server process so that its peak RSS is its own: activate (one
// item per grant), GET /admin/campaigns/{id} (every item), the CSV report, and the close (undecided
// items kept). A second campaign goes through the same steps with V8's old space capped at
// --capped-heap MiB: a step that held the campaign's items in memory fails there.
//
//   npm run bench:campaign -- [--users 100k] [--capped-heap 48]
//
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPOSITORY_ROOT } from '../src/repository-root.js';
import { benchmark, count } from './lib/args.js';
import { openBenchDatabase } from './lib/database.js';
import { note } from './lib/progress.js';
import { commandLine, fmt, printBlock, runHeader, table } from './lib/report.js';
import type { ServerProcess } from './lib/server-process.js';
import { seededServers } from './lib/server-scenarios.js';

const TARGET_MIB = 256;
/** Enough for the small JSON answers (create, activate, close) read whole. */
const HEAD_CHARS = 65_536;

interface Answer {
  status: number;
  bytes: number;
  /** Occurrences of `marker` in the body (counted across chunk boundaries). */
  marks: number;
  head: string;
}

/** One request, its answer read as a client saving it would: bytes and markers counted, not kept. */
function exchange(server: ServerProcess, token: string, method: 'GET' | 'POST', route: string, body?: unknown, marker = '\n'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }) };
    const req = http.request(`${server.base}${route}`, { method, headers }, (response) => {
      response.setEncoding('utf8');
      let bytes = 0;
      let marks = 0;
      // Shorter than the marker, so no marker is counted twice; a marker split between chunks is found.
      let carry = '';
      let head = '';
      response.on('data', (chunk: string) => {
        bytes += Buffer.byteLength(chunk);
        if (head.length < HEAD_CHARS) head += chunk.slice(0, HEAD_CHARS - head.length);
        const text = carry + chunk;
        marks += text.split(marker).length - 1;
        carry = marker.length > 1 ? text.slice(1 - marker.length) : '';
      });
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes, marks, head }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function expectOk(answer: Promise<Answer>, what: string): Promise<Answer> {
  const result = await answer;
  if (result.status !== 200 && result.status !== 201) throw new Error(`${what}: ${result.status} ${result.head.slice(0, 500)}`);
  return result;
}

/** A campaigns:manage credential, made as an operator makes one: with the tokens CLI. */
async function campaignToken(uri: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(REPOSITORY_ROOT, 'dist/src/cli/tokens.js'), 'create', '--name', 'bench-campaigns', '--scopes', 'campaigns:manage'], {
    env: { ...process.env, MONGODB_URI: uri },
  });
  return stdout.trim();
}

interface StepRun {
  campaign: string;
  step: string;
  seconds: number;
  peakMiB: number;
  detail: string;
}

async function main(args: { users: string; 'capped-heap': string }): Promise<void> {
  const users = count('users', args.users);
  const cappedHeap = count('capped-heap', args['capped-heap']);
  const database = await openBenchDatabase('campaign');
  try {
    const { start } = await seededServers(database, users);
    const token = await campaignToken(database.uri);
    const runs: StepRun[] = [];
    for (const [label, nodeArgs] of [
      ['uncapped', []],
      [`heap capped at ${cappedHeap} MiB`, [`--max-old-space-size=${cappedHeap}`]],
    ] as const) {
      let id = '';
      let items = 0;
      const steps: [string, (server: ServerProcess) => Promise<string>][] = [
        [
          'activate (snapshot the items)',
          async (server) => {
            const created = await expectOk(exchange(server, token, 'POST', '/admin/campaigns', { name: `Bench ${label}`, scope: { kind: 'all' }, reviewers: { kind: 'manager' }, dueAt: new Date(Date.now() + 7 * 86_400_000).toISOString() }), 'create');
            id = String((JSON.parse(created.head) as { id: string }).id);
            const activated = await expectOk(exchange(server, token, 'POST', `/admin/campaigns/${id}/activate`), 'activate');
            items = (JSON.parse(activated.head) as { items: number }).items;
            return `${items.toLocaleString('en-US')} items`;
          },
        ],
        [
          'GET /admin/campaigns/{id} (every item)',
          async (server) => {
            const read = await expectOk(exchange(server, token, 'GET', `/admin/campaigns/${id}`, undefined, '"campaignId":'), 'get');
            if (read.marks !== items) throw new Error(`the campaign listed ${read.marks} items, expected ${items}`);
            return `${fmt(read.bytes / 2 ** 20)} MiB, ${read.marks.toLocaleString('en-US')} items`;
          },
        ],
        [
          'report (CSV)',
          async (server) => {
            const report = await expectOk(exchange(server, token, 'GET', `/admin/campaigns/${id}/report`), 'report');
            if (report.marks !== items + 1) throw new Error(`the report has ${report.marks} lines, expected ${items + 1}`);
            return `${fmt(report.bytes / 2 ** 20)} MiB, ${report.marks.toLocaleString('en-US')} lines`;
          },
        ],
        [
          'close (undecided kept)',
          async (server) => {
            const closed = await expectOk(exchange(server, token, 'POST', `/admin/campaigns/${id}/close`), 'close');
            return String((JSON.parse(closed.head) as { state: string }).state);
          },
        ],
      ];
      for (const [step, work] of steps) {
        const server = await start([...nodeArgs]);
        try {
          const started = performance.now();
          const detail = await work(server);
          const run = { campaign: label, step, seconds: (performance.now() - started) / 1000, peakMiB: await server.peakRssMiB(), detail };
          note(`${label}, ${step}: ${fmt(run.seconds)} s, peak RSS ${fmt(run.peakMiB)} MiB; ${detail}`);
          runs.push(run);
        } finally {
          await server.stop();
        }
      }
    }
    const lines = runHeader(`A certification campaign over ${users.toLocaleString('en-US')} users`, commandLine('campaign'), database.label);
    lines.push('A fresh server process per step (node dist/src/server.js); peak RSS is VmHWM from /proc/<pid>/status, seconds as the client measured the request.', '');
    lines.push(...table(['campaign', 'step', 'seconds', `peak RSS MiB (target ≤ ${TARGET_MIB})`, 'what came back'], runs.map((run) => [run.campaign, run.step, fmt(run.seconds), `${fmt(run.peakMiB)} (${run.peakMiB <= TARGET_MIB ? 'met' : 'not met'})`, run.detail])));
    printBlock(lines);
  } finally {
    await database.close();
  }
}

benchmark('campaign', {
  summary: 'A certification campaign over the whole directory: activation, the items, the report and the close, in bounded memory.',
  options: {
    users: { default: '100k', description: 'users seeded' },
    'capped-heap': { default: '48', description: "V8's old space, in MiB, for the second campaign" },
  },
  main,
});
