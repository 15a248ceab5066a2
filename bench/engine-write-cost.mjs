// Cost of single-document operations by _id against a collection of N documents.
// Usage (after npm run build): node bench/engine-write-cost.mjs <mongodb-uri> [sizes, default 1000,10000] [operations per cell, default 50]
// Prints one markdown table row per operation: mean milliseconds per operation at each size.
import { MongoClient } from 'mongodb';

const { commandLineOrExit } = await import(new URL('../dist/src/cli/run.js', import.meta.url).href);
const args = commandLineOrExit({
  name: 'bench/engine-write-cost',
  invocation: 'node bench/engine-write-cost.mjs',
  direct: 'node bench/engine-write-cost.mjs',
  command: {
    synopsis: '<mongodb-uri> [sizes, default 1000,10000] [operations per cell, default 50]',
    summary: 'Cost of single-document operations by _id against a collection of N documents (mean ms per operation).',
    description: 'Needs `npm run build` first (for the command line only).',
    options: {},
    positionals: { name: 'the engine URI', min: 1, max: 3 },
  },
});
const [uri, sizesArg = '1000,10000', opsArg = '50'] = args.positionals;
const sizes = sizesArg.split(',').map(Number);
const ops = Number(opsArg);
const INSERT_BATCH = 1000;

// Ids are spread over the collection so that a scan cannot stop early on average.
const idAt = (i, n) => 'id' + ((i * 7919) % n);

const operations = [
  ['`findOne({_id})`', (col, i, n) => col.findOne({ _id: idAt(i, n) })],
  ['`findOne({_id, tenant})`', (col, i, n) => col.findOne({ _id: idAt(i, n), tenant: 'default' })],
  ['`insertOne`', (col, i) => col.insertOne({ _id: `new${i}`, tenant: 'default', version: 1, data: { pad: 'x'.repeat(300) } })],
  ['`updateOne({_id})`', (col, i, n) => col.updateOne({ _id: idAt(i, n) }, { $inc: { version: 1 } })],
  ['`updateOne({_id, version})`', (col, i, n) => col.updateOne({ _id: idAt(i, n), version: -1 }, { $inc: { version: 1 } })],
  ['`findOneAndUpdate({_id})`', (col, i, n) => col.findOneAndUpdate({ _id: idAt(i, n) }, { $inc: { version: 1 } }, { returnDocument: 'after' })],
  ['`replaceOne({_id})`', (col, i, n) => col.replaceOne({ _id: idAt(i, n) }, document(idAt(i, n), 2))],
  ['`bulkWrite([updateOne {_id}])`', (col, i, n) => col.bulkWrite([{ updateOne: { filter: { _id: idAt(i, n) }, update: { $inc: { version: 1 } } } }])],
  ['`find({_id: {$in: 10 ids}, tenant})`', (col, i, n) => col.find({ _id: { $in: tenIds(i, n) }, tenant: 'default' }).toArray()],
  ['`updateMany({_id: {$in: 10 ids}, tenant})`', (col, i, n) => col.updateMany({ _id: { $in: tenIds(i, n) }, tenant: 'default' }, { $inc: { version: 1 } })],
  ['`deleteOne({_id})`', (col, i, n) => col.deleteOne({ _id: idAt(i, n) })],
];

function tenIds(i, n) {
  return Array.from({ length: 10 }, (_, j) => idAt(i * 10 + j, n));
}

function document(id, version) {
  return { _id: id, tenant: 'default', version, data: { userName: 'u' + id, pad: 'x'.repeat(300) } };
}

async function seed(col, n) {
  await col.drop().catch(() => {});
  for (let start = 0; start < n; start += INSERT_BATCH) {
    const batch = [];
    for (let i = start; i < Math.min(n, start + INSERT_BATCH); i++) batch.push(document('id' + i, 1));
    await col.insertMany(batch);
  }
}

async function meanMs(fn) {
  const start = performance.now();
  for (let i = 0; i < ops; i++) await fn(i);
  return (performance.now() - start) / ops;
}

const client = new MongoClient(uri);
await client.connect();
const results = new Map(operations.map(([label]) => [label, []]));
for (const n of sizes) {
  const col = client.db('writecost').collection('x' + n);
  await seed(col, n);
  for (const [label, fn] of operations) results.get(label).push(await meanMs((i) => fn(col, i, n)));
  const plan = await col.find({ _id: idAt(1, n), tenant: 'default' }).explain();
  console.error(n, 'docs, plan of find({_id, tenant}):', JSON.stringify(plan.queryPlanner?.Plan ?? plan.queryPlanner), 'filterPushdown:', plan.filterPushdown);
  await col.drop();
}
await client.close();

console.log(`| operation | ${sizes.map((n) => `${n.toLocaleString('en')} docs`).join(' | ')} |`);
console.log(`|---|${sizes.map(() => '---:').join('|')}|`);
for (const [label, times] of results) console.log(`| ${label} | ${times.map((t) => `${t.toFixed(1)} ms`).join(' | ')} |`);
