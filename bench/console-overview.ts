// The console's Overview page at --small users and again at --large (the same database, grown),
// each time --requests requests in a fresh server process after --warmup unmeasured ones. Every
// figure on the page is an index count or an indexed read of a few entries, so its time should not
// grow with the directory: target ≤ 1.5× at 100,000 users of its time at 1,000.
//
//   npm run bench:console-overview -- [--small 1k] [--large 100k] [--requests 30] [--warmup 5]
//
// Users are seeded straight into the database in the API's shape (bench/lib/seed.ts); a tenth of
// each batch is then deactivated through the API, so the inactive figures count something.
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import { randomBytes } from 'node:crypto';
import { benchmark, count } from './lib/args.js';
import { openBenchDatabase } from './lib/database.js';
import { note } from './lib/progress.js';
import { commandLine, fmt, printBlock, quantile, runHeader, table } from './lib/report.js';
import { scimClient } from './lib/scim-client.js';
import { createSeeder } from './lib/seed.js';
import { startServerProcess } from './lib/server-process.js';
import { signIn } from './lib/console-session.js';

const TARGET_RATIO = 1.5;
const DEACTIVATED_SHARE = 10;

/** The page's figures, for the report (and as a check that it counted what was seeded). */
function figure(html: string, key: string): string {
  return new RegExp(`data-figure="${key}"[^]*?<span class="value">([^<]*)<`).exec(html)?.[1] ?? '?';
}

async function measure(base: string, adminToken: string, requests: number, warmup: number): Promise<{ samples: number[]; html: string }> {
  const cookie = await signIn(base, adminToken);
  const samples: number[] = [];
  let html = '';
  for (let n = 0; n < warmup + requests; n += 1) {
    const started = performance.now();
    const response = await fetch(`${base}/console/overview`, { headers: { Cookie: cookie }, redirect: 'manual' });
    html = await response.text();
    if (response.status !== 200) throw new Error(`the overview answered ${response.status}`);
    if (n >= warmup) samples.push(performance.now() - started);
  }
  return { samples, html };
}

async function main(args: { small: string; large: string; requests: string; warmup: string }): Promise<void> {
  const [small, large, requests] = [count('small', args.small), count('large', args.large), count('requests', args.requests)];
  const warmup = count('warmup', args.warmup);
  if (large <= small) throw new Error('--large must exceed --small');
  const token = randomBytes(24).toString('hex');
  const adminToken = randomBytes(24).toString('hex');
  const database = await openBenchDatabase('console-overview');
  try {
    const start = () => startServerProcess({ MONGODB_URI: database.uri, SCIM_BEARER_TOKEN: token, ADMIN_TOKEN: adminToken });
    const rows: (string | number)[][] = [];
    const medians: number[] = [];
    let seeded = 0;
    for (const size of [small, large]) {
      const server = await start();
      try {
        const api = scimClient(server.base, token);
        const seeder = await createSeeder(database.client.db(database.dbName), api, 'default');
        const ids = await seeder.users(seeded + 1, size - seeded);
        for (const id of ids.slice(0, Math.ceil(ids.length / DEACTIVATED_SHARE))) {
          await api.expect('PATCH', `/Users/${id}`, 200, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] });
        }
        seeded = size;
      } finally {
        await server.stop();
      }
      note(`seeded ${size.toLocaleString('en-US')} users`);
      const fresh = await start();
      try {
        const { samples, html } = await measure(fresh.base, adminToken, requests, warmup);
        const median = quantile(samples, 0.5);
        medians.push(median);
        rows.push([size.toLocaleString('en-US'), fmt(median), fmt(quantile(samples, 0.9)), fmt(Math.max(...samples)), `${figure(html, 'users-active')} active, ${figure(html, 'users-inactive')} inactive, ${figure(html, 'inactive-with-access')} inactive holding access`]);
        note(`${size.toLocaleString('en-US')} users: median ${fmt(median)} ms`);
      } finally {
        await fresh.stop();
      }
    }
    const ratio = (medians[1] as number) / (medians[0] as number);
    const lines = runHeader(`Console overview at ${small.toLocaleString('en-US')} and ${large.toLocaleString('en-US')} users`, commandLine('console-overview'), database.label);
    lines.push(`A fresh server process per size (node dist/src/server.js); ${requests} requests of GET /console/overview one after another after ${warmup} unmeasured, signed in as ADMIN_TOKEN.`, '');
    lines.push(...table(['users', 'median ms', 'p90 ms', 'max ms', 'the page said'], rows), '');
    lines.push(`Median at ${large.toLocaleString('en-US')} / at ${small.toLocaleString('en-US')}: ${fmt(ratio, 2)}× (target ≤ ${TARGET_RATIO}×: ${ratio <= TARGET_RATIO ? 'met' : 'not met'}).`);
    printBlock(lines);
  } finally {
    await database.close();
  }
}

benchmark('console-overview', {
  summary: 'The console Overview page at a small and a large directory: its time must not grow with the users.',
  options: {
    small: { default: '1k', description: 'users at the first measurement' },
    large: { default: '100k', description: 'users at the second' },
    requests: { default: '30', description: 'measured requests per size' },
    warmup: { default: '5', description: 'unmeasured requests first' },
  },
  main,
});
