// Throughput of concurrent single-document updates by _id into one collection.
// Usage (after npm run build): node bench/engine-concurrent-writes.mjs <mongodb-uri> [concurrency levels, default 1,8,32] [updates per level, default 400]
// Prints one markdown table row per concurrency level: updates per second, and the mean latency of one update.
import { MongoClient } from 'mongodb';

const { commandLineOrExit } = await import(new URL('../dist/src/cli/run.js', import.meta.url).href);
const args = commandLineOrExit({
  name: 'bench/engine-concurrent-writes',
  invocation: 'node bench/engine-concurrent-writes.mjs',
  direct: 'node bench/engine-concurrent-writes.mjs',
  command: {
    synopsis: '<mongodb-uri> [concurrency levels, default 1,8,32] [updates per level, default 400]',
    summary: 'Throughput of concurrent single-document updates by _id into one collection.',
    description: 'Needs `npm run build` first (for the command line only).',
    options: {},
    positionals: { name: 'the engine URI', min: 1, max: 3 },
  },
});
const [uri, levelsArg = '1,8,32', opsArg = '400'] = args.positionals;
const levels = levelsArg.split(',').map(Number);
const ops = Number(opsArg);
const DOCS = 1000;

const client = new MongoClient(uri, { maxPoolSize: Math.max(...levels) });
await client.connect();
const col = client.db('concurrentwrites').collection('x');
await col.drop().catch(() => {});
await col.insertMany(Array.from({ length: DOCS }, (_, i) => ({ _id: 'id' + i, tenant: 'default', version: 1, pad: 'x'.repeat(300) })));

console.log('| concurrent writers | updates/s | mean ms per update |');
console.log('|---:|---:|---:|');
for (const level of levels) {
  let next = 0;
  let busyMs = 0;
  // Each worker takes the next update until `ops` are done; ids differ so no two updates touch one document.
  const worker = async () => {
    while (next < ops) {
      const i = next++;
      const start = performance.now();
      await col.updateOne({ _id: 'id' + ((i * 7919) % DOCS), tenant: 'default' }, { $inc: { version: 1 } });
      busyMs += performance.now() - start;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: level }, worker));
  const seconds = (performance.now() - start) / 1000;
  console.log(`| ${level} | ${Math.round(ops / seconds)} | ${(busyMs / ops).toFixed(1)} |`);
}
await col.drop();
await client.close();
