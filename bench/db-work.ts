// Database work per SCIM operation: commands sent, documents returned and written, and time, from
// the driver's command monitoring on our storage's own connection, at one or more collection sizes
// in the same run (the smaller size is seeded first, then topped up to the next).
//
//   npm run bench:db-work -- [--users 10k] [--scales 1k,10k] [--repeat 10]
//
// --users is shorthand for one scale; --scales 10k,1M compares sizes (1M: seeding takes ~10-20 min
// with insertMany on the embedded engine, and each measured write then scans 1M documents there).
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { benchmark, count } from './lib/args.js';
import { monitorCommands, storageClient, type CommandSample } from './lib/command-monitor.js';
import { explainShape, lookupShapes } from './lib/explain.js';
import { openBenchDatabase } from './lib/database.js';
import { startInProcess } from './lib/in-process.js';
import { note } from './lib/progress.js';
import { commandLine, fmt, printBlock, quantile, runHeader, table } from './lib/report.js';
import type { ScimClient } from './lib/scim-client.js';
import { createSeeder } from './lib/seed.js';
import { externalIdOf, GROUP_SCHEMA, PATCH_SCHEMA, userBody, userNameOf } from './lib/users.js';

interface State {
  api: ScimClient;
  /** Seeded users (ordinal i + 1 at index i). */
  ids: string[];
  groupId: string;
  groupName: string;
  since: string;
  fresh: number;
  cursor?: string;
}

const q = encodeURIComponent;
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_SCHEMA], Operations });

/** The operations measured, each one HTTP request; `i` spreads them over different users. */
const OPERATIONS: [string, (state: State, i: number) => Promise<unknown>][] = [
  ['GET /Users/{id}', (s, i) => s.api.expect('GET', `/Users/${s.ids[pickIndex(s, i)]}`, 200)],
  ['GET filter userName eq', (s, i) => s.api.expect('GET', `/Users?filter=${q(`userName eq "${userNameOf(pickIndex(s, i) + 1)}"`)}`, 200)],
  ['GET filter externalId eq', (s, i) => s.api.expect('GET', `/Users?filter=${q(`externalId eq "${externalIdOf(pickIndex(s, i) + 1)}"`)}`, 200)],
  ['GET Groups filter displayName eq', (s) => s.api.expect('GET', `/Groups?filter=${q(`displayName eq "${s.groupName}"`)}&excludedAttributes=members`, 200)],
  ['POST /Users', (s) => s.api.expect('POST', '/Users', 201, userBody((s.fresh += 1), { prefix: 'dbwork-' }))],
  ['PUT /Users/{id}', (s, i) => s.api.expect('PUT', `/Users/${s.ids[pickIndex(s, i)]}`, 200, { ...userBody(pickIndex(s, i) + 1), title: `PUT ${i}` })],
  ['PATCH replace title', (s, i) => s.api.expect('PATCH', `/Users/${s.ids[pickIndex(s, i)]}`, 200, patch({ op: 'replace', path: 'title', value: `Patched ${i}` }))],
  ['PATCH deactivate', (s, i) => s.api.expect('PATCH', `/Users/${s.ids[pickIndex(s, i)]}`, 200, patch({ op: 'replace', path: 'active', value: false }))],
  ['PATCH group add member', (s, i) => s.api.expect('PATCH', `/Groups/${s.groupId}`, 204, patch({ op: 'add', path: 'members', value: [{ value: s.ids[pickIndex(s, i) + 1] }] }))],
  ['PATCH group remove member', (s, i) => s.api.expect('PATCH', `/Groups/${s.groupId}`, 204, patch({ op: 'remove', path: `members[value eq "${s.ids[pickIndex(s, i) + 1]}"]` }))],
  ['GET /Groups/{id} with members', (s) => s.api.expect('GET', `/Groups/${s.groupId}`, 200)],
  ['GET member walk page (groups.value eq)', (s) => s.api.expect('GET', `/Users?filter=${q(`groups.value eq "${s.groupId}"`)}&count=100`, 200)],
  ['GET list page (count=100)', (s) => s.api.expect('GET', '/Users?count=100&startIndex=1', 200)],
  ['GET list page far in (startIndex=9001)', (s) => s.api.expect('GET', '/Users?count=100&startIndex=9001', 200)],
  [
    'GET delta page (100, cursor)',
    async (s) => {
      const text = await s.api.expect('GET', `/Users?filter=${q(`meta.lastModified gt "${s.since}"`)}&sortBy=meta.lastModified&count=100&cursor=${q(s.cursor ?? '')}`, 200);
      s.cursor = (JSON.parse(text) as { nextCursor?: string }).nextCursor;
    },
  ],
];

/** Different users per repetition, spread over the whole collection (every 97th, wrapping). */
function pickIndex(state: State, i: number): number {
  return ((i + 1) * 97) % (state.ids.length - 1);
}

interface Row {
  scale: number;
  op: string;
  commands: number;
  shape: string;
  returned: number;
  written: number;
  medianMs: number;
  dbMs: number;
}

const median = (values: number[]): number => quantile(values, 0.5);

function summarise(scale: number, op: string, runs: { samples: CommandSample[]; ms: number }[]): Row {
  const shapes = new Map<string, number>();
  for (const sample of runs.flatMap((run) => run.samples)) shapes.set(sample.key, (shapes.get(sample.key) ?? 0) + 1);
  const perRun = (n: number) => fmt(n / runs.length, 1);
  return {
    scale,
    op,
    commands: perRun(runs.reduce((sum, run) => sum + run.samples.length, 0)),
    shape: [...shapes].map(([key, n]) => `${key}×${perRun(n)}`).join(', '),
    returned: perRun(runs.reduce((sum, run) => sum + run.samples.reduce((s, x) => s + x.returned, 0), 0)),
    written: perRun(runs.reduce((sum, run) => sum + run.samples.reduce((s, x) => s + x.written, 0), 0)),
    medianMs: fmt(median(runs.map((run) => run.ms))),
    dbMs: fmt(median(runs.map((run) => run.samples.reduce((sum, sample) => sum + sample.ms, 0)))),
  };
}

type Args = Record<'users' | 'scales' | 'repeat', string>;

async function main(args: Args): Promise<void> {
  const scales = (args.users ? [args.users] : args.scales.split(',')).map((text) => count('scales', text)).sort((a, b) => a - b);
  const repeat = count('repeat', args.repeat);
  const token = randomBytes(24).toString('hex');
  const database = await openBenchDatabase('dbwork');
  const app = await startInProcess(database.uriWith('monitorCommands=true'), token);
  try {
    const monitor = monitorCommands(storageClient(database.dbName));
    const seeder = await createSeeder(database.client.db(database.dbName), app.api, 'default');
    const groupName = 'dbwork-group';
    const groupId = (await app.api.json<{ id: string }>('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: groupName }, 201)).id;
    const state: State = { api: app.api, ids: [], groupId, groupName, since: new Date(Date.now() - 1_000).toISOString(), fresh: 50_000_000 };
    const rows: Row[] = [];
    const plans: (string | number)[][] = [];
    for (const scale of scales) {
      for (const id of await seeder.users(state.ids.length + 1, scale - state.ids.length)) state.ids.push(id);
      state.cursor = undefined;
      note(`measuring at ${scale.toLocaleString('en-US')} users`);
      for (const [op, run] of OPERATIONS) {
        // One unmeasured request first: connection and plan warm-up.
        await run(state, repeat);
        const runs: { samples: CommandSample[]; ms: number }[] = [];
        for (let i = 0; i < repeat; i += 1) {
          await delay(20);
          monitor.drain();
          const started = performance.now();
          await run(state, i);
          const ms = performance.now() - started;
          // Work finished after the response (none expected) would show up in the next sample.
          runs.push({ samples: monitor.drain(), ms });
        }
        const row = summarise(scale, op, runs);
        note(`  ${op}: ${row.commands} commands, ${row.returned} returned, ${row.written} written, ${row.medianMs} ms`);
        rows.push(row);
      }
      const sample = { id: state.ids[0] as string, nameLc: userNameOf(1), externalId: externalIdOf(1), since: new Date(state.since), groupId };
      for (const shape of lookupShapes('default', sample)) plans.push([scale, shape.name, `\`${JSON.stringify(shape.filter)}\``, await explainShape(database.client.db(database.dbName), 'users', shape)]);
    }
    const lines = runHeader(`Database work per SCIM operation at ${scales.map((scale) => scale.toLocaleString('en-US')).join(' and ')} users`, commandLine('db-work'), database.label);
    lines.push(`Per request, mean over ${repeat} requests (different users spread over the collection); times are medians. "db ms" is the time the driver waited for the database.`, '');
    lines.push(...table(['users', 'operation', 'commands', 'docs returned', 'docs written', 'request ms', 'db ms', 'commands (mean per request)'], rows.map((row) => [row.scale, row.op, row.commands, row.returned, row.written, row.medianMs, row.dbMs, row.shape])));
    if (scales.length > 1) {
      const [small, large] = [scales[0] as number, scales[scales.length - 1] as number];
      lines.push('', `Growth ${large.toLocaleString('en-US')} vs ${small.toLocaleString('en-US')} users (request ms ratio, same run):`, '');
      const ratios = OPERATIONS.map(([op]) => {
        const a = rows.find((row) => row.scale === small && row.op === op) as Row;
        const b = rows.find((row) => row.scale === large && row.op === op) as Row;
        return [op, a.medianMs, b.medianMs, `${fmt(b.medianMs / a.medianMs, 2)}×`];
      });
      lines.push(...table(['operation', `ms at ${small}`, `ms at ${large}`, 'ratio'], ratios));
    }
    lines.push('', 'What the engine does with the lookup and delta-page queries (explain):', '', ...table(['users', 'query', 'filter', 'plan'], plans));
    printBlock(lines);
  } finally {
    await app.close();
    await database.close();
  }
}

benchmark('db-work', {
  summary: 'Database work per SCIM operation (commands, documents, time) at one or more collection sizes.',
  description: 'Driver command monitoring on our storage connection; the smaller size is seeded first, then topped up to the next.',
  options: {
    users: { default: '', description: 'one size (shorthand for --scales with one value)' },
    scales: { default: '1k,10k', value: '<sizes>', description: 'comma-separated sizes to compare, e.g. 10k,1M' },
    repeat: { default: '10', description: 'measured repetitions of each operation' },
  },
  main,
});
