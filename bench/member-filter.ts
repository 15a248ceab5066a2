// "Is this user a member of that group?": GET /Groups filtered by member, for a member of a
// 10-member group and of a 100,000-member group, in the same run. The answer comes from the
// member's own document (its groupIds, by _id), so both should cost the same.
//
//   npm run bench:member-filter -- [--large 100k] [--small 10] [--repeat 20]
//
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { benchmark, count } from './lib/args.js';
import { monitorCommands, storageClient, type CommandSample } from './lib/command-monitor.js';
import { openBenchDatabase } from './lib/database.js';
import { startInProcess } from './lib/in-process.js';
import { note } from './lib/progress.js';
import { commandLine, fmt, printBlock, quantile, runHeader, table } from './lib/report.js';
import { createSeeder } from './lib/seed.js';
import { GROUP_SCHEMA } from './lib/users.js';

const q = encodeURIComponent;

interface GroupUnderTest {
  label: string;
  id: string;
  name: string;
  /** Member ids. */
  members: string[];
}

/** The filters IdPs and pulling apps send to check one membership. */
const FILTERS: [string, (group: GroupUnderTest, member: string) => string][] = [
  ['members[value eq]', (_group, member) => `members[value eq "${member}"]`],
  ['members.value eq and displayName eq', (group, member) => `displayName eq "${group.name}" and members.value eq "${member}"`],
  ['id eq and members eq', (group, member) => `id eq "${group.id}" and members eq "${member}"`],
];

interface Row {
  group: string;
  filter: string;
  commands: number;
  returned: number;
  medianMs: number;
  p90Ms: number;
  dbMs: number;
}

type Args = Record<'large' | 'small' | 'repeat', string>;

async function main(args: Args): Promise<void> {
  const [large, small, repeat] = [count('large', args.large), count('small', args.small), count('repeat', args.repeat)];
  const token = randomBytes(24).toString('hex');
  const database = await openBenchDatabase('memberfilter');
  const app = await startInProcess(database.uriWith('monitorCommands=true'), token);
  try {
    const monitor = monitorCommands(storageClient(database.dbName));
    const seeder = await createSeeder(database.client.db(database.dbName), app.api, 'default');
    const createGroup = async (label: string, name: string): Promise<GroupUnderTest> => ({
      label,
      name,
      id: (await app.api.json<{ id: string }>('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: name }, 201)).id,
      members: [],
    });
    const smallGroup = await createGroup(`${small.toLocaleString('en-US')} members`, 'bench-small-group');
    const largeGroup = await createGroup(`${large.toLocaleString('en-US')} members`, 'bench-large-group');
    // Memberships live on the member: seeded users carry the group in groupIds, as the API writes it.
    const ids = await seeder.users(1, small + large, (ordinal) => [ordinal <= small ? smallGroup.id : largeGroup.id]);
    smallGroup.members = ids.slice(0, small);
    largeGroup.members = ids.slice(small);
    const rows: Row[] = [];
    for (const group of [smallGroup, largeGroup]) {
      for (const [label, filter] of FILTERS) {
        const member = (i: number) => group.members[(i * 7919) % group.members.length] as string;
        const run = async (i: number) => {
          const text = await app.api.expect('GET', `/Groups?filter=${q(filter(group, member(i)))}&excludedAttributes=members`, 200);
          const total = (JSON.parse(text) as { totalResults: number }).totalResults;
          if (total !== 1) throw new Error(`${label} on the ${group.label} group found ${total} groups, expected 1`);
        };
        await run(repeat);
        const runs: { samples: CommandSample[]; ms: number }[] = [];
        for (let i = 0; i < repeat; i += 1) {
          await delay(10);
          monitor.drain();
          const started = performance.now();
          await run(i);
          runs.push({ ms: performance.now() - started, samples: monitor.drain() });
        }
        const perRun = (n: number) => fmt(n / runs.length, 1);
        const row: Row = {
          group: group.label,
          filter: label,
          commands: perRun(runs.reduce((sum, item) => sum + item.samples.length, 0)),
          returned: perRun(runs.reduce((sum, item) => sum + item.samples.reduce((s, x) => s + x.returned, 0), 0)),
          medianMs: fmt(quantile(runs.map((item) => item.ms), 0.5)),
          p90Ms: fmt(quantile(runs.map((item) => item.ms), 0.9)),
          dbMs: fmt(quantile(runs.map((item) => item.samples.reduce((sum, sample) => sum + sample.ms, 0)), 0.5)),
        };
        note(`  ${group.label}, ${label}: ${row.commands} commands, ${row.returned} docs returned, ${row.medianMs} ms`);
        rows.push(row);
      }
    }
    const lines = runHeader(`GET /Groups filtered by member: a ${small}-member vs a ${large.toLocaleString('en-US')}-member group`, commandLine('member-filter'), database.label);
    lines.push(`${(small + large).toLocaleString('en-US')} users; per request over ${repeat} requests, each for another member; times are medians (p90 beside). "db ms" is the time the driver waited for the database.`, '');
    lines.push(...table(['group', 'filter', 'commands', 'docs returned', 'request ms', 'p90 ms', 'db ms'], rows.map((row) => [row.group, row.filter, row.commands, row.returned, row.medianMs, row.p90Ms, row.dbMs])));
    lines.push('', `Ratio ${large.toLocaleString('en-US')}-member / ${small}-member group (request ms, same run):`, '');
    lines.push(
      ...table(
        ['filter', 'ratio'],
        FILTERS.map(([label]) => {
          const [a, b] = [smallGroup, largeGroup].map((group) => rows.find((row) => row.group === group.label && row.filter === label) as Row);
          return [label, `${fmt((b as Row).medianMs / (a as Row).medianMs, 2)}×`];
        }),
      ),
    );
    printBlock(lines);
  } finally {
    await app.close();
    await database.close();
  }
}

benchmark('member-filter', {
  summary: 'GET /Groups filtered by member, for a member of a small and of a large group, in one run.',
  description: "The answer comes from the member's own document (its groupIds, by _id), so both should cost the same.",
  options: {
    large: { default: '100k', description: 'members of the large group' },
    small: { default: '10', description: 'members of the small group' },
    repeat: { default: '20', description: 'measured requests per group and filter, each for another member' },
  },
  main,
});
