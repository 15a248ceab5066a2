import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Settings the CLIs read from the environment: the runner's own are dropped, so each test says what it sets. */
const CONFIG_VARIABLES = [
  'PORT',
  'HOST',
  'MONGODB_URI',
  'DATA_DIR',
  'SCIM_BEARER_TOKEN',
  'PUBLIC_BASE_URL',
  'DEFAULT_TENANT',
  'ADMIN_TOKEN',
  'POLICY_FILE',
  'WEBHOOKS',
  'REQUEST_TIMEOUT_MS',
  'SHUTDOWN_GRACE_MS',
  'SCHEMA_EXTENSIONS_DIR',
  'UNKNOWN_ATTRIBUTES',
];
const CONFIG_PREFIXES = ['JWT_', 'MAX_', 'RATE_LIMIT_', 'WEBHOOK_', 'EVENT_STREAM_'];

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every command-line program, by the name `npm run` knows it, and the file it runs. */
export const PROGRAMS = {
  import: 'src/cli/import.js',
  policy: 'src/cli/policy.js',
  tokens: 'src/cli/tokens.js',
  streams: 'src/cli/streams.js',
  server: 'src/server.js',
  'bench:generate': 'bench/generate.js',
  'bench:import': 'bench/import.js',
  'bench:load': 'bench/load.js',
  'bench:db-work': 'bench/db-work.js',
  'bench:memory': 'bench/memory.js',
  'bench:scale-out': 'bench/scale-out.js',
  'bench:membership-patch': 'bench/membership-patch.js',
  'bench:member-filter': 'bench/member-filter.js',
  'bench:contention': 'bench/contention.js',
  'bench:baseline-server': 'bench/baseline-server.js',
  'bench:policy-what-if': 'bench/policy-what-if.js',
  'bench:audit-query': 'bench/audit-query.js',
  'bench:audit-append': 'bench/audit-append.js',
  'bench:access-review': 'bench/access-review.js',
  'bench:console': 'bench/console.js',
  'bench:campaign': 'bench/campaign.js',
  'bench:hr-reconcile': 'bench/hr-reconcile.js',
  'bench/lookup-cost': '../bench/lookup-cost.mjs',
  'bench/engine-write-cost': '../bench/engine-write-cost.mjs',
  'bench/engine-concurrent-writes': '../bench/engine-concurrent-writes.mjs',
} as const;

export type ProgramName = keyof typeof PROGRAMS;

export interface RunOptions {
  cwd?: string;
  /** Sees stderr as it grows (to interrupt a run at the right moment). */
  onStderr?: (stderr: string, child: ReturnType<typeof spawn>) => void;
}

export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of Object.keys(base)) {
    if (CONFIG_VARIABLES.includes(name) || CONFIG_PREFIXES.some((prefix) => name.startsWith(prefix))) delete base[name];
  }
  return { ...base, ...env };
}

/** Runs a program (dist/…, as `npm run <name>` does) as a real process. */
export function runCli(name: ProgramName, args: string[], env: Record<string, string>, options: RunOptions = {}): Promise<CliRun> {
  return runProcess([path.join(DIST, PROGRAMS[name]), ...args], env, options);
}

/** Runs a CLI from another copy of the application (`root` holds dist/src), in that directory, as a container would. */
export function runCliIn(root: string, name: 'import' | 'policy' | 'streams' | 'tokens', args: string[], env: Record<string, string>): Promise<CliRun> {
  return runProcess([path.join('dist', PROGRAMS[name]), ...args], env, { cwd: root });
}

async function runProcess(argv: string[], env: Record<string, string>, options: RunOptions): Promise<CliRun> {
  const child = spawn(process.execPath, argv, { env: cliEnv(env), cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    options.onStderr?.(stderr, child);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
