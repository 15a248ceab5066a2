// What the audit indexes cost on the write path: appending entries (insertMany, as the entry
// writer's group commit does) to a trail with the two indexes the audit store had before
// (tenant+resourceId+at, tenant+at, default names) and to one with today's five `scalar_` indexes,
// in batches of 1, 10 and 100, alternating between the two trails in the same run.
//
//   npm run bench:audit-append -- [--existing 20k] [--entries 3000] [--rounds 3]
//
// Without MONGODB_URI an embedded FerretDB is started on a temporary directory (removed at the end).
import type { Db } from 'mongodb';
import { createAuditStore } from '../src/store/mongo/audit-store.js';
import { benchmark, count } from './lib/args.js';
import { auditEntry } from './lib/audit-entries.js';
import { openBenchDatabase } from './lib/database.js';
import { note } from './lib/progress.js';
import { commandLine, fmt, printBlock, quantile, runHeader, table } from './lib/report.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const BATCHES = [1, 10, 100];

async function append(db: Db, from: number, count: number): Promise<void> {
  const entries = Array.from({ length: count }, (_, i) => {
    const { id, ...entry } = auditEntry(from + i, 'default', START, 1000);
    return { _id: id, ...entry };
  });
  await db.collection('audit').insertMany(entries as never[], { ordered: false });
}

async function main(args: { existing: string; entries: string; rounds: string }): Promise<void> {
  const [existing, entries, rounds] = [count('existing', args.existing), count('entries', args.entries), count('rounds', args.rounds)];
  const database = await openBenchDatabase('auditappend');
  try {
    // A sibling database is dropped at the end (on MONGODB_URI) like the benchmark's own.
    database.sibling('before');
    const before = database.client.db(`${database.dbName}_before`);
    await before.collection('audit').createIndex({ tenant: 1, resourceId: 1, at: 1 });
    await before.collection('audit').createIndex({ tenant: 1, at: 1 });
    const after = database.client.db(database.dbName);
    await createAuditStore(after).ensureIndexes();
    const trails = [
      { label: '2 indexes, default names (before)', db: before },
      { label: '5 scalar_ indexes (now)', db: after },
    ];
    for (const { db } of trails) for (let from = 0; from < existing; from += 1000) await append(db, from, Math.min(1000, existing - from));
    note(`${existing} entries in each trail`);
    let next = existing;
    const samples = new Map<string, number[]>();
    for (let round = 0; round < rounds; round += 1) {
      for (const batch of BATCHES) {
        for (const { label, db } of round % 2 === 0 ? trails : [...trails].reverse()) {
          const started = performance.now();
          for (let done = 0; done < entries; done += batch) {
            await append(db, next, batch);
            next += batch;
          }
          const perEntry = (performance.now() - started) / entries;
          const key = `${batch}\u0000${label}`;
          samples.set(key, [...(samples.get(key) ?? []), perEntry]);
          note(`  round ${round + 1}, batches of ${batch}, ${label}: ${fmt(perEntry, 3)} ms per entry`);
        }
      }
    }
    const lines = runHeader('Appending audit entries: the indexes before and now', commandLine('audit-append'), database.label);
    lines.push(`${existing.toLocaleString('en-US')} entries in each trail first; then ${entries.toLocaleString('en-US')} entries per batch size, trail and round, ${rounds} rounds alternating between the trails; medians of the rounds.`, '');
    lines.push(
      ...table(
        ['entries per insertMany', ...trails.map((trail) => `${trail.label}, ms per entry`), 'now / before'],
        BATCHES.map((batch) => {
          const [was, is] = trails.map((trail) => quantile(samples.get(`${batch}\u0000${trail.label}`) ?? [], 0.5));
          return [batch, fmt(was ?? Number.NaN, 3), fmt(is ?? Number.NaN, 3), `${fmt((is ?? Number.NaN) / (was ?? Number.NaN), 2)}×`];
        }),
      ),
    );
    printBlock(lines);
  } finally {
    await database.close();
  }
}

benchmark('audit-append', {
  summary: 'What the audit indexes cost when entries are appended.',
  options: {
    existing: { default: '20k', description: 'entries already in the trail' },
    entries: { default: '3000', description: 'entries appended per round' },
    rounds: { default: '3', description: 'rounds, alternating' },
  },
  main,
});
