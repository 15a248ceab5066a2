// Writes N realistic users as NDJSON (one SCIM User body per line), the input of `npm run import`
// and of bench/import.ts. Deterministic: the same --users and --from give the same file.
//
//   npm run bench:generate -- --users 100k --out users-100k.ndjson [--from 1]
import { count, options } from './lib/args.js';
import { note } from './lib/progress.js';
import { writeUsers } from './lib/users-file.js';

async function main(): Promise<void> {
  const args = options({ users: '10k', out: 'users.ndjson', from: '1' });
  const total = count('users', args.users);
  const started = performance.now();
  const bytes = await writeUsers(args.out, count('from', args.from), total);
  note(`wrote ${total.toLocaleString('en-US')} users (${(bytes / 2 ** 20).toFixed(1)} MiB) to ${args.out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
