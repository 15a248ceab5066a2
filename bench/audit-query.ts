// An audit page (GET /admin/audit) on a trail of --small entries and on one of --large entries,
// in the same run: the same query shapes (newest page unfiltered, by resource, by actor, by
// operation, by resource type, by time range, and the next page of a cursor walk), requests
// alternating between the two trails. Each page is read from an index (src/store/mongo/audit-store.ts),
// so the large trail should cost about what the small one does.
//
//   npm run bench:audit-query -- [--small 10k] [--large 1M] [--repeat 20] [--page 100]
//
// The trails are seeded straight into two databases of one engine through the audit store
// (insertMany of 1,000 entries), one entry every 30 s, so a time range holds as many entries in both.
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient, type Document } from 'mongodb';
import { auditFilter, auditSort, createAuditStore } from '../src/store/mongo/audit-store.js';
import { benchmark, count } from './lib/args.js';
import { auditEntry, resourceIdOf } from './lib/audit-entries.js';
import { openBenchDatabase } from './lib/database.js';
import { explainShape } from './lib/explain.js';
import { startInProcess } from './lib/in-process.js';
import { note, progress } from './lib/progress.js';
import { commandLine, fmt, printBlock, quantile, runHeader, table } from './lib/report.js';
import { scimClient, type ScimClient } from './lib/scim-client.js';

const START = Date.parse('2025-01-01T00:00:00Z');
const STEP_MS = 30_000;
const TARGET_RATIO = 1.5;
const TENANT = 'default';
const BATCH = 1_000;

interface Trail {
  label: string;
  entries: number;
  uri: string;
  admin: ScimClient;
  close(): Promise<void>;
}

/** The query shapes, as GET /admin/audit parameters for a trail of `entries`. */
function shapes(entries: number, page: number): { name: string; query: Record<string, string> }[] {
  const middle = START + Math.floor(entries / 2) * STEP_MS;
  const newest = { order: 'newest', limit: String(page) };
  return [
    { name: 'newest page, unfiltered', query: newest },
    { name: 'by resource', query: { ...newest, resource: resourceIdOf(Math.floor(entries / 2)) } },
    { name: 'by actor (admin, 2%)', query: { ...newest, actor: 'admin' } },
    { name: 'by operation (delete, 4%)', query: { ...newest, operation: 'delete' } },
    { name: 'by resource type (Token, 1%)', query: { ...newest, resourceType: 'Token' } },
    { name: 'by time range (2 h in the middle)', query: { ...newest, since: new Date(middle - 3_600_000).toISOString(), until: new Date(middle + 3_600_000).toISOString() } },
    { name: 'by actor and operation (okta, patch)', query: { ...newest, actor: 'okta', operation: 'patch' } },
  ];
}

async function seed(uri: string, entries: number, label: string): Promise<void> {
  const client = await new MongoClient(uri).connect();
  try {
    const store = createAuditStore(client.db());
    await store.ensureIndexes();
    const bar = progress(`seeding ${label}`, entries);
    for (let from = 0; from < entries; from += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, entries - from) }, (_, i) => auditEntry(from + i, TENANT, START, STEP_MS));
      await store.append(batch);
      bar.tick(from + batch.length);
    }
    bar.end();
  } finally {
    await client.close();
  }
}

async function plans(uri: string, entries: number, page: number): Promise<string[]> {
  const client = await new MongoClient(uri).connect();
  try {
    const lines: string[] = [];
    for (const { name, query } of shapes(entries, page)) {
      const audit = {
        tenant: TENANT,
        order: 'newest' as const,
        limit: page + 1,
        resourceId: query['resource'],
        actor: query['actor'],
        operation: query['operation'],
        resourceType: query['resourceType'],
        since: query['since'] ? new Date(query['since']) : undefined,
        until: query['until'] ? new Date(query['until']) : undefined,
      };
      lines.push(`- ${name}: ${await explainShape(client.db(), 'audit', { filter: auditFilter(audit), sort: auditSort(audit) as Document, limit: audit.limit })}`);
    }
    return lines;
  } finally {
    await client.close();
  }
}

async function main(args: { small: string; large: string; repeat: string; page: string }): Promise<void> {
  const [small, large, repeat, page] = [count('small', args.small), count('large', args.large), count('repeat', args.repeat), count('page', args.page)];
  const token = randomBytes(24).toString('hex');
  const adminToken = randomBytes(24).toString('hex');
  const database = await openBenchDatabase('audit');
  const trails: Trail[] = [];
  try {
    for (const [label, entries, uri] of [
      [`${small.toLocaleString('en-US')} entries`, small, database.sibling('small')],
      [`${large.toLocaleString('en-US')} entries`, large, database.uri],
    ] as const) {
      await seed(uri, entries, label);
      const app = await startInProcess(uri, token, { ADMIN_TOKEN: adminToken });
      trails.push({ label, entries, uri, admin: scimClient(app.origin, adminToken, 2, '/admin'), close: app.close });
    }
    const rows: (string | number)[][] = [];
    const ratios: (string | number)[][] = [];
    const names = shapes(small, page).map((shape) => shape.name).concat('next page of a walk by operation (cursor)');
    for (const [index, name] of names.entries()) {
      const samples = new Map<Trail, number[]>(trails.map((trail) => [trail, []]));
      const counts = new Map<Trail, number>();
      const run = async (trail: Trail) => {
        const shape = shapes(trail.entries, page)[index];
        let path = `/audit?${new URLSearchParams(shape?.query ?? { order: 'newest', limit: String(page), operation: 'delete' })}`;
        if (!shape) {
          // The cursor of the first page is taken outside the timing: the second page is what is measured.
          const first = JSON.parse(await trail.admin.expect('GET', path, 200)) as { nextCursor?: string };
          if (!first.nextCursor) throw new Error(`${trail.label}: the walk by operation has one page only`);
          path += `&cursor=${first.nextCursor}`;
        }
        const result = await trail.admin.request('GET', path);
        if (result.status !== 200) throw new Error(`${trail.label} ${name}: ${result.status} ${result.text.slice(0, 300)}`);
        counts.set(trail, (JSON.parse(result.text) as { count: number }).count);
        return result.ms;
      };
      for (const trail of trails) await run(trail);
      for (let i = 0; i < repeat; i += 1) {
        for (const trail of i % 2 === 0 ? trails : [...trails].reverse()) {
          await delay(5);
          samples.get(trail)?.push(await run(trail));
        }
      }
      const medians = trails.map((trail) => quantile(samples.get(trail) ?? [], 0.5));
      for (const trail of trails) {
        const times = samples.get(trail) ?? [];
        rows.push([name, trail.label, counts.get(trail) ?? 0, fmt(quantile(times, 0.5)), fmt(quantile(times, 0.9))]);
      }
      const ratio = (medians[1] ?? Number.NaN) / (medians[0] ?? Number.NaN);
      ratios.push([name, `${fmt(ratio, 2)}×`, ratio <= TARGET_RATIO ? 'met' : 'not met']);
      note(`  ${name}: ${medians.map((ms) => `${fmt(ms)} ms`).join(' vs ')} (${fmt(ratio, 2)}×)`);
    }
    const lines = runHeader(`GET /admin/audit: a page at ${small.toLocaleString('en-US')} and at ${large.toLocaleString('en-US')} entries`, commandLine('audit-query'), database.label);
    lines.push(`Two trails in two databases of one engine, one entry every 30 s; pages of ${page}; ${repeat} requests per shape and trail, alternating between the trails; times are medians (p90 beside), measured by the client over HTTP with the server in the same process.`, '');
    lines.push(...table(['query', 'trail', 'entries returned', 'request ms', 'p90 ms'], rows), '');
    lines.push(`Ratio ${large.toLocaleString('en-US')} / ${small.toLocaleString('en-US')} entries (median request ms, same run), target ≤ ${TARGET_RATIO}×:`, '');
    lines.push(...table(['query', 'ratio', 'target'], ratios), '');
    lines.push(`Plans at ${large.toLocaleString('en-US')} entries (explain of the query each page sends):`, '', ...(await plans(database.uri, large, page)));
    printBlock(lines);
  } finally {
    for (const trail of trails) await trail.close();
    await database.close();
  }
}

benchmark('audit-query', {
  summary: 'Time of GET /admin/audit pages on a small and a large trail, in one run.',
  options: {
    small: { default: '10k', description: 'entries in the small trail' },
    large: { default: '1M', description: 'entries in the large trail' },
    repeat: { default: '20', description: 'requests per query shape and trail' },
    page: { default: '100', description: 'entries per page' },
  },
  main,
});
