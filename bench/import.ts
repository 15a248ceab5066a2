// Bulk import speed, users/s, through both import paths in one run, each on a fresh database of
// the same engine: the public API (POST /Bulk, --batch creates per request, --concurrency requests
// in flight, against the server as a child process) and the CLI (`npm run import`, the user
// service without HTTP). Both apply validation, name claims, lifecycle rules, audit and events.
//
//   npm run bench:import -- [--users 10k] [--batch 100] [--concurrency 2] [--paths bulk,cli,raw]
//
// `raw` (after bulk or cli) writes what that path stored again through the driver, with the same
// commands per batch and no SCIM work: the engine's ceiling for this import, measured in the same run.
//
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import type { Db } from 'mongodb';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../src/cli/run.js';
import { REPOSITORY_ROOT } from '../src/repository-root.js';
import { benchmark, count } from './lib/args.js';
import { openBenchDatabase, type BenchDatabase } from './lib/database.js';
import { note, progress } from './lib/progress.js';
import { commandLine, fmt, printBlock, runHeader, table } from './lib/report.js';
import { scimClient } from './lib/scim-client.js';
import { startServerProcess } from './lib/server-process.js';
import { userBody } from './lib/users.js';
import { writeUsers } from './lib/users-file.js';

const TARGET_USERS_PER_SECOND = 2_000;

interface PathResult {
  path: string;
  imported: number;
  failed: number;
  seconds: number;
}

async function viaBulk(database: BenchDatabase, users: number, batch: number, concurrency: number): Promise<PathResult> {
  const token = randomBytes(24).toString('hex');
  const server = await startServerProcess({ MONGODB_URI: database.uri, SCIM_BEARER_TOKEN: token });
  try {
    const api = scimClient(server.base, token, concurrency);
    const bar = progress('import via Bulk', users);
    const started = performance.now();
    let next = 1;
    let imported = 0;
    let failed = 0;
    const worker = async (): Promise<void> => {
      while (next <= users) {
        const from = next;
        const size = Math.min(batch, users - from + 1);
        next += size;
        const Operations = Array.from({ length: size }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `u${from + i}`, data: userBody(from + i) }));
        const reply = await api.json<{ Operations: { status: string }[] }>('POST', '/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations }, 200);
        for (const result of reply.Operations) if (result.status === '201') imported += 1;
        else failed += 1;
        bar.tick(imported + failed);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    bar.end();
    return { path: `POST /Bulk (${batch}/request, ${concurrency} in flight)`, imported, failed, seconds: (performance.now() - started) / 1000 };
  } finally {
    await server.stop();
  }
}

async function viaCli(database: BenchDatabase, users: number, batch: number, concurrency: number): Promise<PathResult> {
  const file = path.join(os.tmpdir(), `scim-bench-import-${randomBytes(3).toString('hex')}.ndjson`);
  try {
    await writeUsers(file, 1, users);
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(REPOSITORY_ROOT, 'dist/src/cli/import.js'), file, '--batch', String(batch), '--concurrency', String(concurrency)], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, MONGODB_URI: database.uri },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number | null];
    const seconds = (performance.now() - started) / 1000;
    const match = /: ([\d,]+) users? created, .*; ([\d,]+) rejected/.exec(stdout);
    if (!match || (code !== 0 && code !== 3)) throw new Error(`the import CLI failed (exit ${code}): ${stdout}`);
    // Wall time of the whole command (start-up and connection included), not the CLI's own figure.
    return { path: `npm run import (batches of ${batch}, ${concurrency} in flight)`, imported: Number((match[1] as string).replace(/,/g, '')), failed: Number((match[2] as string).replace(/,/g, '')), seconds };
  } finally {
    await rm(file, { force: true });
  }
}

type Document = Record<string, unknown> & { _id: unknown };

/** What one import stored per user: its document, name claim, externalId entry, audit entries and events. */
interface StoredUser {
  user: Document;
  claims: Document[];
  externalIds: Document[];
  audit: Document[];
  events: Document[];
}

/** Reads back what a path stored, grouped per user, for the raw path to write again. */
async function storedUsers(db: Db): Promise<StoredUser[]> {
  const byOwner = async (name: string, ownerOf: (doc: Document) => unknown) => {
    const groups = new Map<unknown, Document[]>();
    for (const doc of await db.collection<Document>(name).find().toArray()) groups.set(ownerOf(doc), [...(groups.get(ownerOf(doc)) ?? []), doc]);
    return (owner: unknown) => groups.get(owner) ?? [];
  };
  const claims = await byOwner('name_claims', (doc) => doc['owner']);
  const externalIds = await byOwner('external_ids', (doc) => (doc['owners'] as unknown[])[0]);
  const audit = await byOwner('audit', (doc) => doc['resourceId']);
  const events = await byOwner('events', (doc) => doc['resourceId']);
  const users = await db.collection<Document>('users').find().toArray();
  return users.map((user) => ({ user, claims: claims(user._id), externalIds: externalIds(user._id), audit: audit(user._id), events: events(user._id) }));
}

/**
 * The engine's ceiling for the same work: the documents a SCIM path stored, written again through
 * the driver with the same commands per batch (claims, externalId entries, users with their pending
 * entries, audit, events, the clear), without any SCIM work.
 */
async function viaRawDriver(database: BenchDatabase, stored: readonly StoredUser[], batch: number, concurrency: number): Promise<PathResult> {
  const db = database.client.db(database.dbName);
  const insert = (name: string, docs: Document[]) => (docs.length > 0 ? db.collection<Document>(name).insertMany(docs, { ordered: false }) : undefined);
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < stored.length) {
      const slice = stored.slice(next, next + batch);
      next += batch;
      await insert('name_claims', slice.flatMap((item) => item.claims));
      await insert('external_ids', slice.flatMap((item) => item.externalIds));
      // Pending entries as ours stores them: JSON text per entry (src/store/mongo/pending-entries.ts).
      const pending = (docs: Document[]) => docs.map((doc) => JSON.stringify(doc));
      await insert('users', slice.map(({ user, audit, events }) => ({ ...user, pending: { events: pending(events), audit: pending(audit) }, hasPending: true })));
      await insert('audit', slice.flatMap((item) => item.audit));
      await insert('events', slice.flatMap((item) => item.events));
      await db.collection<Document>('users').updateMany({ _id: { $in: slice.map((item) => item.user._id) as never[] }, version: 1 }, { $set: { pending: { events: [], audit: [] }, hasPending: false } });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { path: `raw driver, same documents and commands (batches of ${batch}, ${concurrency} in flight)`, imported: stored.length, failed: 0, seconds: (performance.now() - started) / 1000 };
}

type Args = Record<'users' | 'batch' | 'concurrency' | 'paths', string>;

async function main(args: Args): Promise<void> {
  const users = count('users', args.users);
  const batch = count('batch', args.batch);
  const concurrency = count('concurrency', args.concurrency);
  const paths = args.paths.split(',');
  for (const [index, which] of paths.entries()) {
    if (!['bulk', 'cli', 'raw'].includes(which)) throw new UsageError(`--paths: unknown path "${which}" (bulk, cli, raw)`);
    if (which === 'raw' && !paths.slice(0, index).some((earlier) => earlier !== 'raw')) throw new UsageError('--paths: raw rewrites what an earlier path (bulk or cli) stored; list it after one');
  }
  const results: PathResult[] = [];
  let engine = '';
  let stored: StoredUser[] = [];
  for (const which of paths) {
    const database = await openBenchDatabase(`import_${which}`);
    engine = database.label;
    try {
      if (which === 'bulk') results.push(await viaBulk(database, users, batch, concurrency));
      else if (which === 'cli') results.push(await viaCli(database, users, batch, concurrency));
      else results.push(await viaRawDriver(database, stored, batch, concurrency));
      const db = database.client.db(database.dbName);
      note(`${which}: ${await db.collection('users').countDocuments()} users stored`);
      if (which !== 'raw') stored = await storedUsers(db);
    } finally {
      await database.close();
    }
  }
  const rows = results.map((result) => [result.path, result.imported, result.failed, fmt(result.seconds), Math.round(result.imported / result.seconds), Math.round(result.imported / result.seconds) >= TARGET_USERS_PER_SECOND ? 'met' : 'not met']);
  printBlock([
    ...runHeader(`Import ${users.toLocaleString('en-US')} users`, commandLine('import'), engine),
    ...table(['path', 'imported', 'failed', 'seconds', 'users/s', `target ≥ ${TARGET_USERS_PER_SECOND} users/s`], rows),
    '',
    'Each path on a fresh database of the same engine, one after the other; realistic users (bench/lib/users.ts, ~850 bytes of JSON each).',
  ]);
}

benchmark('import', {
  summary: 'Import speed in users/s through POST /Bulk, `npm run import` and the bare driver (the ceiling of the engine), each on a fresh database.',
  options: {
    users: { default: '2000', description: 'users imported by each path' },
    batch: { default: '100', description: 'users per Bulk request or import batch' },
    concurrency: { default: '2', description: 'requests or batches in flight' },
    paths: { default: 'bulk,cli,raw', value: '<paths>', description: 'which paths to measure (bulk, cli, raw; raw after one of the others)' },
  },
  main,
});
