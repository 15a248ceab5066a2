// Every console page at --small users and again at --large (the same database, grown), each page
// --requests times in a fresh server process after --warmup unmeasured requests. Each page's data
// comes from index ranges and index counts, so its time should not grow with the directory:
// target ≤ 1.5× at 100,000 users of its time at 1,000.
//
//   npm run bench:console -- [--small 1k] [--large 100k] [--requests 20] [--warmup 3]
//
// Users are seeded straight into the database in the API's shape (bench/lib/seed.ts), every one a
// member of the group "Everyone" (so it grows from 1,000 to 100,000 members); "Auditors" keeps ten
// members; the last 60 users of each batch are deactivated through the API (more than a page). The pages: the lists (first
// page), a prefix search, a state filter, a user, both groups, the roles and a role every seeded
// user holds (the example policy), the access review, the audit trail, the policy what-if form,
// webhooks and streams, and tokens. Campaigns and Reviews are not here: ADMIN_TOKEN holds neither
// campaign scope, and what they list grows with a campaign's items, not with the directory.
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import { randomBytes } from 'node:crypto';
import { benchmark, count } from './lib/args.js';
import { signIn } from './lib/console-session.js';
import { openBenchDatabase } from './lib/database.js';
import { note } from './lib/progress.js';
import { commandLine, fmt, printBlock, quantile, runHeader, table } from './lib/report.js';
import { scimClient, type ScimClient } from './lib/scim-client.js';
import { createSeeder } from './lib/seed.js';
import { startServerProcess } from './lib/server-process.js';
import { GROUP_SCHEMA, PATCH_SCHEMA } from './lib/users.js';
import { EXAMPLE_POLICY_FILE } from '../src/lifecycle/policy/load.js';

const TARGET_RATIO = 1.5;
// More than a page: the list of inactive users shows a full page at both sizes.
const DEACTIVATED = 60;

interface Fixture {
  userId: string;
  everyone: string;
  auditors: string;
  role: string;
}

function pages(fixture: Fixture): [string, string][] {
  return [
    ['Overview', '/overview'],
    ['Users', '/users'],
    ['Users: family name starts with "mü"', '/users?field=familyName&q=m%C3%BC'],
    ['Users: inactive', '/users?field=userName&q=&state=inactive'],
    ['A user', `/users/${fixture.userId}`],
    ['Groups', '/groups'],
    ['Group of every user', `/groups/${fixture.everyone}`],
    ['Group of ten', `/groups/${fixture.auditors}`],
    ['Roles and policy', '/roles'],
    [`Role held by every seeded user (${fixture.role})`, `/roles/${encodeURIComponent(fixture.role)}`],
    ['Access review', '/access-review'],
    ['Audit', '/audit'],
    ['Policy what-if (the form, with the running policy)', '/policy-what-if'],
    ['Webhooks and streams', '/webhooks'],
    ['Tokens', '/tokens'],
  ];
}

async function measure(base: string, cookie: string, path: string, requests: number, warmup: number): Promise<number[]> {
  const samples: number[] = [];
  for (let n = 0; n < warmup + requests; n += 1) {
    const started = performance.now();
    const response = await fetch(`${base}/console${path}`, { headers: { Cookie: cookie }, redirect: 'manual' });
    await response.text();
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    if (n >= warmup) samples.push(performance.now() - started);
  }
  return samples;
}

async function groupOf(api: ScimClient, displayName: string): Promise<string> {
  return (await api.json<{ id: string }>('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName }, 201)).id;
}

async function main(args: { small: string; large: string; requests: string; warmup: string }): Promise<void> {
  const [small, large, requests, warmup] = [count('small', args.small), count('large', args.large), count('requests', args.requests), count('warmup', args.warmup)];
  if (large <= small) throw new Error('--large must exceed --small');
  const token = randomBytes(24).toString('hex');
  const adminToken = randomBytes(24).toString('hex');
  const database = await openBenchDatabase('console');
  try {
    const start = () => startServerProcess({ MONGODB_URI: database.uri, SCIM_BEARER_TOKEN: token, ADMIN_TOKEN: adminToken, POLICY_FILE: EXAMPLE_POLICY_FILE });
    const results = new Map<string, number[]>();
    let fixture: Fixture | undefined;
    let seeded = 0;
    for (const size of [small, large]) {
      const server = await start();
      try {
        const api = scimClient(server.base, token);
        const seeder = await createSeeder(database.client.db(database.dbName), api, 'default');
        const everyone = fixture?.everyone ?? (await groupOf(api, 'Everyone'));
        const ids = await seeder.users(seeded + 1, size - seeded, () => [everyone]);
        if (!fixture) {
          const auditors = await groupOf(api, 'Auditors');
          await api.expect('PATCH', `/Groups/${auditors}`, 204, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: ids.slice(0, 10).map((value) => ({ value })) }] });
          const user = await api.json<Record<string, unknown>>('GET', `/Users/${ids[0]}`, undefined, 200);
          const lifecycle = Object.entries(user).find(([key]) => key.includes(':lifecycle:'))?.[1] as { grants?: { kind: string; name: string }[] } | undefined;
          fixture = { userId: ids[0] as string, everyone, auditors, role: lifecycle?.grants?.find((grant) => grant.kind === 'role')?.name ?? 'employee-baseline' };
        }
        for (const id of ids.slice(-DEACTIVATED)) {
          await api.expect('PATCH', `/Users/${id}`, 200, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }] });
        }
        seeded = size;
      } finally {
        await server.stop();
      }
      note(`seeded ${size.toLocaleString('en-US')} users`);
      const fresh = await start();
      try {
        const cookie = await signIn(fresh.base, adminToken);
        for (const [name, path] of pages(fixture as Fixture)) {
          const median = quantile(await measure(fresh.base, cookie, path, requests, warmup), 0.5);
          results.set(name, [...(results.get(name) ?? []), median]);
          note(`${size.toLocaleString('en-US')} users, ${name}: median ${fmt(median)} ms`);
        }
      } finally {
        await fresh.stop();
      }
    }
    const rows = [...results].map(([name, [atSmall = 0, atLarge = 0]]) => {
      const ratio = atLarge / atSmall;
      return [name, fmt(atSmall), fmt(atLarge), `${fmt(ratio, 2)}×`, ratio <= TARGET_RATIO ? 'met' : 'not met'];
    });
    const lines = runHeader(`Console pages at ${small.toLocaleString('en-US')} and ${large.toLocaleString('en-US')} users`, commandLine('console'), database.label);
    lines.push(`A fresh server process per size (node dist/src/server.js); each page ${requests} times one after another after ${warmup} unmeasured, signed in as ADMIN_TOKEN. Medians in ms.`, '');
    lines.push(...table(['page', `${small.toLocaleString('en-US')} users`, `${large.toLocaleString('en-US')} users`, 'ratio', `target ≤ ${TARGET_RATIO}×`], rows));
    printBlock(lines);
  } finally {
    await database.close();
  }
}

benchmark('console', {
  summary: 'Every console page at a small and a large directory: no page may grow with the users.',
  options: {
    small: { default: '1k', description: 'users at the first measurement' },
    large: { default: '100k', description: 'users at the second' },
    requests: { default: '20', description: 'measured requests per page and size' },
    warmup: { default: '3', description: 'unmeasured requests first' },
  },
  main,
});
