// Peak RSS of the server process (VmHWM from /proc, a fresh child process per scenario) while
// (export) a client exports every user page by page with cursor paging, (group) two clients read
// a group of --members members with GET /Groups/{id} (all members in one response), and (members)
// a client walks GET /Users?filter=groups.value eq "{id}" with cursor paging.
//
//   npm run bench:memory -- [--users 10k] [--members 10k] [--page 200] [--group-gets 3]
//       [--scenarios export,group,members]
//
// 1M users / 100k members: --users 1M --members 100k --scenarios export,group (on the embedded
// engine ~20 min of seeding, ~25 min of export and a few minutes of group reads; the member walk of
// 100k members re-reads the group for every page there, so it is left to smaller runs).
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import { randomBytes } from 'node:crypto';
import { benchmark, count } from './lib/args.js';
import { openBenchDatabase } from './lib/database.js';
import { note, progress } from './lib/progress.js';
import { commandLine, fmt, printBlock, runHeader, table } from './lib/report.js';
import { scimClient, type ScimClient } from './lib/scim-client.js';
import { createSeeder } from './lib/seed.js';
import { startServerProcess, type ServerProcess } from './lib/server-process.js';
import { GROUP_SCHEMA } from './lib/users.js';

const TARGET_MIB = 256;
const q = encodeURIComponent;

/** Follows nextCursor until the end; returns resources seen. */
async function walk(api: ScimClient, query: string, label: string, total: number): Promise<number> {
  const bar = progress(label, total);
  let cursor = '';
  let seen = 0;
  for (;;) {
    const page = JSON.parse(await api.expect('GET', `/Users?${query}&cursor=${q(cursor)}`, 200)) as { Resources?: unknown[]; nextCursor?: string };
    seen += page.Resources?.length ?? 0;
    bar.tick(seen);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  bar.end();
  return seen;
}

interface Scenario {
  name: string;
  idleMiB: number;
  peakMiB: number;
  seconds: number;
  detail: string;
}

async function measure(name: string, start: () => Promise<ServerProcess>, token: string, work: (api: ScimClient) => Promise<string>): Promise<Scenario> {
  const server = await start();
  try {
    const api = scimClient(server.base, token, 4);
    await api.expect('GET', '/ServiceProviderConfig', 200);
    const idleMiB = await server.peakRssMiB();
    const started = performance.now();
    const detail = await work(api);
    const scenario = { name, idleMiB, peakMiB: await server.peakRssMiB(), seconds: (performance.now() - started) / 1000, detail };
    // Printed as it ends too: a later scenario that fails must not take this one's result with it.
    note(`${name}: peak RSS ${fmt(scenario.peakMiB)} MiB (${fmt(idleMiB)} after start), ${fmt(scenario.seconds)} s, ${detail}`);
    return scenario;
  } finally {
    await server.stop();
  }
}

type Args = Record<'users' | 'members' | 'page' | 'group-gets' | 'scenarios', string>;

async function main(args: Args): Promise<void> {
  const users = count('users', args.users);
  const members = Math.min(users, count('members', args.members));
  const page = count('page', args.page);
  const groupGets = count('group-gets', args['group-gets']);
  const which = args.scenarios.split(',');
  const token = randomBytes(24).toString('hex');
  const database = await openBenchDatabase('memory');
  try {
    const start = () => startServerProcess({ MONGODB_URI: database.uri, SCIM_BEARER_TOKEN: token });
    const groupName = 'memory-group';
    let groupId = '';
    const setup = await start();
    try {
      const api = scimClient(setup.base, token);
      const seeder = await createSeeder(database.client.db(database.dbName), api, 'default');
      groupId = (await api.json<{ id: string }>('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: groupName }, 201)).id;
      await seeder.users(1, users, (ordinal) => (ordinal <= members ? [groupId] : []));
    } finally {
      await setup.stop();
    }
    note(`seeded ${users} users, ${members} of them in ${groupName}`);

    const scenarios: Scenario[] = [];
    if (which.includes('export')) {
      scenarios.push(
        await measure(`export ${users.toLocaleString('en-US')} users (cursor pages of ${page})`, start, token, async (api) => {
          const seen = await walk(api, `count=${page}`, 'exporting users', users);
          return `${seen} users exported`;
        }),
      );
    }
    if (which.includes('group')) {
      scenarios.push(
        await measure(`GET /Groups/{id}, ${members.toLocaleString('en-US')} members`, start, token, async (api) => {
          let bytes = 0;
          for (let i = 0; i < groupGets; i += 1) {
            // Two clients at once, as an IdP and a pulling app might.
            const bodies = await Promise.all([0, 1].map(() => api.expect('GET', `/Groups/${groupId}`, 200)));
            bytes = Math.max(...bodies.map((body) => body.length));
            const listed = (JSON.parse(bodies[0] as string) as { members?: unknown[] }).members?.length ?? 0;
            if (listed !== members) throw new Error(`GET /Groups/{id} listed ${listed} members, expected ${members}`);
          }
          return `${groupGets}×2 concurrent GET /Groups/{id} (${fmt(bytes / 2 ** 20)} MiB each)`;
        }),
      );
    }
    if (which.includes('members')) {
      scenarios.push(
        await measure(`member walk, ${members.toLocaleString('en-US')} members`, start, token, async (api) => {
          const seen = await walk(api, `filter=${q(`groups.value eq "${groupId}"`)}&count=${page}&attributes=userName`, 'walking members', members);
          return `${seen} members walked by filter groups.value eq (cursor pages of ${page})`;
        }),
      );
    }
    const lines = runHeader(`Peak RSS of the server process at ${users.toLocaleString('en-US')} users`, commandLine('memory'), database.label);
    lines.push('A fresh server process per scenario (node dist/src/server.js); RSS is VmHWM from /proc/<pid>/status, the peak over the process lifetime.', '');
    lines.push(
      ...table(
        ['scenario', 'RSS after start MiB', 'peak RSS MiB', `target ≤ ${TARGET_MIB} MiB`, 'seconds', 'what ran'],
        scenarios.map((s) => [s.name, fmt(s.idleMiB), fmt(s.peakMiB), s.peakMiB <= TARGET_MIB ? 'met' : 'not met', fmt(s.seconds), s.detail]),
      ),
    );
    printBlock(lines);
  } finally {
    await database.close();
  }
}

benchmark('memory', {
  summary: 'Peak RSS of the server process while exporting every user, reading a large group, and walking its members.',
  options: {
    users: { default: '10k', description: 'users seeded' },
    members: { default: '10k', description: 'members of the large group (at most --users)' },
    page: { default: '200', description: 'page size of the export and the member walk' },
    'group-gets': { default: '3', description: 'GET /Groups/{id} rounds (two concurrent requests each)' },
    scenarios: { default: 'export,group,members', value: '<scenarios>', description: 'which scenarios to run (export, group, members)' },
  },
  main,
});
