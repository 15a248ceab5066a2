// Throughput of concurrent single-document updates by _id into one collection.
// Usage: node bench/engine-concurrent-writes.mjs <mongodb-uri> [concurrency levels, default 1,8,32] [updates per level, default 400]
// Prints one markdown table row per concurrency level: updates per second, and the mean latency of one update.
import { MongoClient } from 'mongodb';

const [uri, levelsArg = '1,8,32', opsArg = '400'] = process.argv.slice(2);
if (!uri) throw new Error('usage: node bench/engine-concurrent-writes.mjs <mongodb-uri> [levels] [updates]');
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
