// Latency of cheap requests while expensive ones run: a connector's `GET /Users/{id}` (its own
// credential), measured alone and while other clients (another credential) keep sending the filter
// of issue 11, 60 correlated value paths. Both with the request bounds at their defaults
// (REQUEST_TIMEOUT_MS, MAX_EXPENSIVE_QUERIES_PER_CREDENTIAL) and with them lifted, in one run.
//
//   npm run bench:contention -- [--users 2k] [--seconds 30] [--expensive 6]
//
// Expensive clients honour Retry-After, as a well-behaved client would. Without MONGODB_URI an
// embedded FerretDB is started on a temporary directory (removed at the end).
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { createToken } from '../src/auth/token-admin.js';
import { createMongoStorage } from '../src/store/mongo/storage.js';
import { benchmark, count } from './lib/args.js';
import { openBenchDatabase } from './lib/database.js';
import { note } from './lib/progress.js';
import { commandLine, fmt, printBlock, quantile, runHeader, table } from './lib/report.js';
import { scimClient, type ScimClient } from './lib/scim-client.js';
import { createSeeder } from './lib/seed.js';
import { startServerProcess } from './lib/server-process.js';

/** What the server's 503s say in Retry-After. */
const RETRY_AFTER_MS = 5_000;
const SIXTY_PATHS = Array.from({ length: 60 }, (_, i) => `emails[type eq "work" and value co "${i}"]`).join(' or ');

interface Phase {
  name: string;
  cheap: number[];
  expensive: { status: number; ms: number }[];
}

/** Sequential GET /Users/{id} over the seeded ids until `until`; returns each latency. */
async function cheapLoop(api: ScimClient, ids: readonly string[], until: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; Date.now() < until; i += 1) {
    const { status, ms } = await api.request('GET', `/Users/${ids[(i * 97) % ids.length]}`);
    if (status !== 200) throw new Error(`GET /Users/{id} answered ${status}`);
    latencies.push(ms);
  }
  return latencies;
}

/** One client sending the expensive filter again as soon as it has an answer (after Retry-After on a 503). */
async function expensiveLoop(api: ScimClient, until: number, outcomes: Phase['expensive']): Promise<void> {
  while (Date.now() < until) {
    const { status, ms } = await api.request('GET', `/Users?filter=${encodeURIComponent(SIXTY_PATHS)}&count=10&attributes=userName`);
    outcomes.push({ status, ms });
    if (status === 503) await delay(Math.max(0, Math.min(until - Date.now(), RETRY_AFTER_MS)));
  }
}

async function phase(name: string, cheap: ScimClient, heavy: ScimClient | undefined, ids: readonly string[], seconds: number, clients: number): Promise<Phase> {
  note(`${name}: ${seconds} s`);
  const until = Date.now() + seconds * 1000;
  const expensive: Phase['expensive'] = [];
  const loops = heavy ? Array.from({ length: clients }, () => expensiveLoop(heavy, until, expensive)) : [];
  // Let the expensive queries get going before measuring.
  if (heavy) await delay(1_000);
  const latencies = await cheapLoop(cheap, ids, until);
  await Promise.all(loops);
  return { name, cheap: latencies, expensive };
}

/** "4 × 200 (median 14.2 s)" */
function answers(outcomes: Phase['expensive'], status: number, unit: 's' | 'ms'): string {
  if (outcomes.length === 0) return `0 × ${status}`;
  const median = quantile(outcomes.map((outcome) => outcome.ms), 0.5);
  return `${outcomes.length} × ${status} (median ${fmt(unit === 's' ? median / 1000 : median)} ${unit})`;
}

function row(result: Phase): (string | number)[] {
  const { cheap, expensive } = result;
  const answered = (status: number) => expensive.filter((outcome) => outcome.status === status);
  const ok = answered(200);
  const refused = answered(503);
  return [
    result.name,
    cheap.length,
    fmt(quantile(cheap, 0.5)),
    fmt(quantile(cheap, 0.95)),
    fmt(quantile(cheap, 0.99)),
    fmt(Math.max(...cheap)),
    expensive.length === 0 ? '—' : `${answers(ok, 200, 's')}, ${answers(refused, 503, 'ms')}`,
  ];
}

type Args = Record<'users' | 'seconds' | 'expensive', string>;

async function main(args: Args): Promise<void> {
  const users = count('users', args.users);
  const seconds = count('seconds', args.seconds);
  const clients = count('expensive', args.expensive);
  const token = randomBytes(24).toString('hex');
  const database = await openBenchDatabase('contention');
  try {
    const storage = await createMongoStorage({ uri: database.uri });
    const heavyToken = (await createToken(storage.credentials, { grantor: 'root', tenant: 'default', name: 'bench-puller', scopes: ['scim:read'] }, { actor: 'bench:contention', requestId: 'bench' })).token;
    await storage.close();

    const results: Phase[] = [];
    let ids: string[] = [];
    for (const [label, env] of [
      ['defaults', {}],
      ['limits lifted', { REQUEST_TIMEOUT_MS: '3600000', MAX_EXPENSIVE_QUERIES_PER_CREDENTIAL: '1000' }],
    ] as const) {
      const server = await startServerProcess({ MONGODB_URI: database.uri, SCIM_BEARER_TOKEN: token, ...env });
      try {
        const cheap = scimClient(server.base, token, 1);
        const heavy = scimClient(server.base, heavyToken, clients);
        if (ids.length === 0) ids = await (await createSeeder(database.client.db(database.dbName), cheap, 'default')).users(1, users);
        if (results.length === 0) results.push(await phase('cheap requests alone', cheap, undefined, ids, seconds, 0));
        results.push(await phase(`with ${clients} expensive clients, ${label}`, cheap, heavy, ids, seconds, clients));
      } finally {
        await server.stop();
      }
    }

    const alone = quantile(results[0]!.cheap, 0.5);
    printBlock([
      ...runHeader(`Cheap requests while expensive ones run, ${users.toLocaleString('en-US')} users`, commandLine('contention'), database.label),
      `One client (its own credential) sends GET /Users/{id} one after another for ${seconds} s; ${clients} clients of another credential keep sending the 60-path filter (one at a time each, waiting Retry-After after a 503). A fresh server process per configuration, the same database.`,
      '',
      ...table(['phase', 'GET /Users/{id}', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'expensive requests'], results.map(row)),
      '',
      `p50 ratios to the cheap requests alone: ${results
        .slice(1)
        .map((result) => `${result.name}: ${fmt(quantile(result.cheap, 0.5) / alone, 2)}×`)
        .join('; ')}.`,
    ]);
  } finally {
    await database.close();
  }
}

benchmark('contention', {
  summary: 'Latency of GET /Users/{id} alone and while other clients send expensive filters.',
  description:
    'With the request bounds (REQUEST_TIMEOUT_MS, MAX_EXPENSIVE_QUERIES_PER_CREDENTIAL) at their defaults\n' +
    'and lifted, in one run. Expensive clients honour Retry-After, as a well-behaved client would. A fresh\n' +
    'server process per configuration, the same database.',
  options: {
    users: { default: '2k', description: 'users seeded' },
    seconds: { default: '30', description: 'seconds of each phase' },
    expensive: { default: '6', description: 'clients sending the 60-path filter (another credential)' },
  },
  main,
});
