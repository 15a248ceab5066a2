import { MongoClient } from 'mongodb';
const c = new MongoClient(process.argv[2]); await c.connect();
const db = c.db('pushdown');
for (const n of [1000, 10000]) {
  const col = db.collection('x' + n); await col.drop().catch(() => {});
  const docs = Array.from({ length: n }, (_, i) => ({ _id: 'id' + i, tenant: 'default', version: 1, data: { userName: 'u' + i, pad: 'x'.repeat(300) } }));
  for (let i = 0; i < n; i += 1000) await col.insertMany(docs.slice(i, i + 1000));
  const time = async (label, fn) => { const t = performance.now(); for (let i = 0; i < 50; i++) await fn(i); console.log(n, label, ((performance.now() - t) / 50).toFixed(2), 'ms'); };
  await time('findOne {_id}', (i) => col.findOne({ _id: 'id' + (i * 7 % n) }));
  await time('findOne {_id,tenant}', (i) => col.findOne({ _id: 'id' + (i * 7 % n), tenant: 'default' }));
  await time('updateOne {_id}', (i) => col.updateOne({ _id: 'id' + (i * 7 % n) }, { $inc: { version: 1 } }));
  await time('updateOne {_id,version}', (i) => col.updateOne({ _id: 'id' + (i * 7 % n), version: -1 }, { $inc: { version: 1 } }));
  await time('findOneAndUpdate {_id}', (i) => col.findOneAndUpdate({ _id: 'id' + (i * 7 % n) }, { $inc: { version: 1 } }, { returnDocument: 'after' }));
  console.log(JSON.stringify(await col.find({ _id: 'id5' }).explain()).slice(0, 300));
  console.log(JSON.stringify(await col.find({ _id: 'id5', tenant: 'default' }).explain()).slice(0, 300));
}
await c.close();
