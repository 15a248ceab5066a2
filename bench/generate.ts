// Writes N realistic users as NDJSON (one SCIM User body per line), the input of `npm run import`
// and of bench/import.ts. Deterministic: the same --users and --from give the same file.
//
//   npm run bench:generate -- --users 100k --out users-100k.ndjson [--from 1]
import { benchmark, count } from './lib/args.js';
import { note } from './lib/progress.js';
import { writeUsers } from './lib/users-file.js';

type Args = Record<'users' | 'out' | 'from', string>;

async function main(args: Args): Promise<void> {
  const total = count('users', args.users);
  const started = performance.now();
  const bytes = await writeUsers(args.out, count('from', args.from), total);
  note(`wrote ${total.toLocaleString('en-US')} users (${(bytes / 2 ** 20).toFixed(1)} MiB) to ${args.out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

benchmark('generate', {
  summary: 'Writes realistic SCIM users as NDJSON (one User per line): the input of `npm run import` and bench:import.',
  description: 'Deterministic: the same --users and --from give the same file.',
  options: {
    users: { default: '10k', description: 'how many users (10000, 10k, 1M)' },
    out: { default: 'users.ndjson', value: '<file>', description: 'the file to write' },
    from: { default: '1', description: 'number of the first user (to write several files without overlap)' },
  },
  main,
  database: false,
});
