// Throughput under a real HTTP load generator (autocannon): the Okta mix, the Entra mix and a
// pulling client (delta sync by meta.lastModified with cursor paging), each against our server and
// against two raw-driver baselines (bench/baseline-server.ts: the same database operations as ours
// without SCIM, and a bare one) on the same engine in the same run. Every server runs as a child
// process on its own copy of the same seeded users.
//
//   npm run bench:load -- [--users 10k] [--groups 10] [--mixes okta,entra,pull] [--requests 500]
//       [--warmup 20] [--connections 10]
//
// Each run sends a fixed number of requests and waits for every answer (autocannon `amount`), so
// no slow request of one run is still being served during the next; req/s = requests / elapsed.
//
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import type { Db } from 'mongodb';
import { benchmark, count } from './lib/args.js';
import { openBenchDatabase } from './lib/database.js';
import { describeMix, mixRunner, type Fixture, type Target } from './lib/mixes.js';
import { note } from './lib/progress.js';
import { commandLine, fmt, printBlock, runHeader, table } from './lib/report.js';
import { scimClient } from './lib/scim-client.js';
import { createSeeder } from './lib/seed.js';
import { startServerProcess, type ServerProcess } from './lib/server-process.js';
import { GROUP_SCHEMA } from './lib/users.js';

const TARGET_RATIO = 0.7;
const TARGET_RPS = 1_000;

/** The servers of one run: ours and the two baselines (bench/baseline-server.ts). */
type ServerName = 'ours' | 'baseline (same work)' | 'baseline (bare)';

interface RunResult {
  mix: string;
  server: ServerName;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  statuses: string;
}

/** The baseline gets its own copy of our seeded collections, with the same indexes. */
async function copyDatabase(from: Db, to: Db): Promise<void> {
  for (const name of ['users', 'groups', 'name_claims', 'external_ids']) {
    const source = from.collection(name);
    const target = to.collection(name);
    for (const index of await source.listIndexes().toArray()) {
      if (index['name'] !== '_id_') await target.createIndex(index['key'] as Record<string, 1>, { name: index['name'] as string });
    }
    let batch = [];
    for await (const doc of source.find()) {
      batch.push(doc);
      if (batch.length === 1_000) {
        await target.insertMany(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await target.insertMany(batch);
  }
}

async function run(server: ServerProcess, token: string, mix: string, name: ServerName, fixture: Fixture, amount: number, connections: number): Promise<RunResult> {
  const target: Target = name === 'ours' ? 'ours' : 'baseline';
  const runner = mixRunner(mix, target, fixture);
  // Timed here, from the call to the last answer: autocannon notices that `amount` requests are done
  // only at its next one-second tick, so its own start/finish round every run up to whole seconds.
  const started = performance.now();
  let lastAnswer = started;
  const onResponse = (...args: unknown[]) => {
    lastAnswer = performance.now();
    return (runner.onResponse as (...args: unknown[]) => unknown)(...args);
  };
  const result = await autocannon({
    url: server.base,
    // autocannon refuses more connections than requests (a short warm-up).
    connections: Math.min(connections, amount),
    amount,
    timeout: 600,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json', Accept: 'application/scim+json' },
    requests: [{ setupRequest: runner.setupRequest as never, onResponse: onResponse as never }],
  });
  const statuses = [...runner.statuses].map(([op, counts]) => `${op}: ${[...counts].map(([status, n]) => `${status}×${n}`).join(' ')}`).join('; ');
  return {
    mix,
    server: name,
    rps: (result.requests.total / (lastAnswer - started)) * 1000,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
    statuses,
  };
}

type Args = Record<'users' | 'groups' | 'mixes' | 'requests' | 'warmup' | 'connections', string>;

async function main(args: Args): Promise<void> {
  const users = count('users', args.users);
  const mixes = args.mixes.split(',');
  const amount = count('requests', args.requests);
  const warmup = Number(args.warmup);
  const connections = count('connections', args.connections);
  const token = randomBytes(24).toString('hex');
  const database = await openBenchDatabase('load');
  const servers: ServerProcess[] = [];
  try {
    const ours = await startServerProcess({ MONGODB_URI: database.uri, SCIM_BEARER_TOKEN: token });
    servers.push(ours);
    const api = scimClient(ours.base, token);
    const since = new Date(Date.now() - 1_000).toISOString();
    const db = database.client.db(database.dbName);
    const seeder = await createSeeder(db, api, 'default');
    const ids = await seeder.users(1, users);
    const groupIds: string[] = [];
    for (let i = 0; i < count('groups', args.groups); i += 1) {
      groupIds.push((await api.json<{ id: string }>('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `load-group-${i}` }, 201)).id);
    }
    const baselines: [ServerName, ServerProcess][] = [];
    for (const [name, work] of [['baseline (same work)', 'same'], ['baseline (bare)', 'bare']] as const) {
      await copyDatabase(db, database.client.db(`${database.dbName}_${work}`));
      const baseline = await startServerProcess({ MONGODB_URI: database.sibling(work), BASELINE_WORK: work }, 'dist/bench/baseline-server.js');
      servers.push(baseline);
      baselines.push([name, baseline]);
    }
    note(`seeded ${users} users and ${groupIds.length} groups; each baseline has a copy`);
    const fixture: Fixture = { ids, groupIds, since };

    const results: RunResult[] = [];
    for (const mix of mixes) {
      for (const [name, server] of [...baselines, ['ours', ours] as const]) {
        if (warmup > 0) await run(server, token, mix, name, fixture, warmup, connections);
        note(`${mix} → ${name}: ${amount} requests, ${connections} connections`);
        const result = await run(server, token, mix, name, fixture, amount, connections);
        note(`  ${result.rps.toFixed(1)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.errors} errors; ${result.statuses}`);
        results.push(result);
      }
    }

    const rps = (mix: string, server: ServerName) => (results.find((other) => other.mix === mix && other.server === server) as RunResult).rps;
    const rows = results.map((result) => {
      const ratios = result.server === 'ours' ? [`${fmt(result.rps / rps(result.mix, 'baseline (same work)'), 2)}×`, `${fmt(result.rps / rps(result.mix, 'baseline (bare)'), 2)}×`] : ['', ''];
      return [result.mix, result.server, fmt(result.rps), result.p50, result.p99, result.requests, result.errors, ...ratios];
    });
    const lines = runHeader(`Load: ${mixes.join(', ')} at ${users.toLocaleString('en-US')} users`, commandLine('load'), database.label);
    lines.push(`${amount} requests per run over ${connections} connections (after ${warmup} warm-up requests), every answer awaited; autocannon 8.0.0; all servers are child processes on the same engine, each on its own copy of the seeded data. Baselines: bench/baseline-server.ts ("same work": the same database operations as ours without SCIM, the target's reference; "bare": one driver call per write).`, '');
    for (const mix of mixes) lines.push(`- ${mix}: ${describeMix(mix)}`);
    lines.push('', ...table(['mix', 'server', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors + non-2xx', 'ours / same work', 'ours / bare'], rows), '');
    for (const result of results.filter((r) => r.server === 'ours')) {
      const ratio = result.rps / rps(result.mix, 'baseline (same work)');
      lines.push(`- ${result.mix}: ratio to the same-work baseline ${fmt(ratio, 2)}× (target ≥ ${TARGET_RATIO}×: ${ratio >= TARGET_RATIO ? 'met' : 'not met'}); ${fmt(result.rps)} req/s (target ≥ ${TARGET_RPS}: ${result.rps >= TARGET_RPS ? 'met' : 'not met'})`);
    }
    lines.push('', 'Statuses per operation (ours):', '');
    for (const result of results.filter((r) => r.server === 'ours')) lines.push(`- ${result.mix}: ${result.statuses}`);
    printBlock(lines);
  } finally {
    for (const server of servers) await server.stop();
    await database.close();
  }
}

benchmark('load', {
  summary: 'Throughput under autocannon: the Okta, Entra and pulling-client mixes, against ours and two raw-driver baselines.',
  options: {
    users: { default: '10k', description: 'users seeded' },
    groups: { default: '10', description: 'groups seeded' },
    mixes: { default: 'okta,entra,pull', value: '<mixes>', description: 'which mixes to run (okta, entra, pull)' },
    requests: { default: '500', description: 'measured requests per run' },
    warmup: { default: '20', description: 'unmeasured requests before each run' },
    connections: { default: '10', description: 'concurrent connections' },
  },
  main,
});
