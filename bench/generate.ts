// Writes N realistic users as NDJSON (one SCIM User body per line), the input of `npm run import`
// and of bench/import.ts. Deterministic: the same --users and --from give the same file.
//
//   npm run bench:generate -- --users 100k --out users-100k.ndjson [--from 1]
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { count, options } from './lib/args.js';
import { note, progress } from './lib/progress.js';
import { userBody } from './lib/users.js';

/** Writes users `from`..`from+total-1` to `file`, honouring back-pressure; returns bytes written. */
export async function writeUsers(file: string, from: number, total: number): Promise<number> {
  const out = createWriteStream(file);
  const bar = progress('generating users', total);
  let bytes = 0;
  for (let i = 0; i < total; i += 1) {
    const line = `${JSON.stringify(userBody(from + i))}\n`;
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
    if (i % 1_000 === 999) bar.tick(i + 1);
  }
  bar.tick(total);
  bar.end();
  out.end();
  await once(out, 'finish');
  return bytes;
}

async function main(): Promise<void> {
  const args = options({ users: '10k', out: 'users.ndjson', from: '1' });
  const total = count('users', args.users);
  const started = performance.now();
  const bytes = await writeUsers(args.out, count('from', args.from), total);
  note(`wrote ${total.toLocaleString('en-US')} users (${(bytes / 2 ** 20).toFixed(1)} MiB) to ${args.out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
