import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Settings the CLIs read from the environment: the runner's own are dropped, so each test says what it sets. */
const CONFIG_VARIABLES = ['PORT', 'HOST', 'MONGODB_URI', 'DATA_DIR', 'SCIM_BEARER_TOKEN', 'PUBLIC_BASE_URL', 'DEFAULT_TENANT', 'ADMIN_TOKEN', 'POLICY_FILE', 'WEBHOOKS'];
const CONFIG_PREFIXES = ['JWT_', 'MAX_', 'RATE_LIMIT_', 'WEBHOOK_', 'EVENT_STREAM_'];

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** dist/test/support → dist/src/cli/<name>.js: what `npm run <name>` runs. */
const cliPath = (name: string) => path.resolve(path.dirname(fileURLToPath(import.meta.url)), `../../src/cli/${name}.js`);

export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of Object.keys(base)) {
    if (CONFIG_VARIABLES.includes(name) || CONFIG_PREFIXES.some((prefix) => name.startsWith(prefix))) delete base[name];
  }
  return { ...base, ...env };
}

/** Runs a CLI as a real process; `onStderr` sees stderr as it grows (to interrupt a run at the right moment). */
export async function runCli(
  name: 'import' | 'policy' | 'streams' | 'tokens',
  args: string[],
  env: Record<string, string>,
  onStderr?: (stderr: string, child: ReturnType<typeof spawn>) => void,
): Promise<CliRun> {
  return runProcess([cliPath(name), ...args], env, undefined, onStderr);
}

/** Runs a CLI from another copy of the application (`root` holds dist/src), in that directory, as a container would. */
export function runCliIn(root: string, name: 'import' | 'policy' | 'tokens', args: string[], env: Record<string, string>): Promise<CliRun> {
  return runProcess([path.join('dist', 'src', 'cli', `${name}.js`), ...args], env, root);
}

async function runProcess(argv: string[], env: Record<string, string>, cwd: string | undefined, onStderr?: (stderr: string, child: ReturnType<typeof spawn>) => void): Promise<CliRun> {
  const child = spawn(process.execPath, argv, { env: cliEnv(env), cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr?.(stderr, child);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
