import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/server → dist/src/server.js: the same entry point `npm start` runs. */
const SERVER_ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/server.js');

export interface RunningServer {
  baseUrl: string;
  stdout: () => string;
  stderr: () => string;
  child: ChildProcess;
  stop(): Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function withoutInheritedConfig(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['PORT', 'HOST', 'MONGODB_URI', 'DATA_DIR', 'SCIM_BEARER_TOKEN', 'PUBLIC_BASE_URL', 'DEFAULT_TENANT', 'RATE_LIMIT_PER_SECOND', 'RATE_LIMIT_BURST', 'SCHEMA_EXTENSIONS_DIR', 'UNKNOWN_ATTRIBUTES', 'SHUTDOWN_GRACE_MS', 'POLICY_FILE', 'LOG_LEVEL', 'METRICS_PORT', 'METRICS_HOST', 'WEBHOOKS', 'ADMIN_TOKEN']) delete env[name];
  return env;
}

/** Attempts at a free port: the one picked can be taken by another process before the server binds it. */
const PORT_ATTEMPTS = 3;

export interface ServerOptions {
  /** Leads a process group of its own, as a shell gives a foreground job: signal it all with process.kill(-pid). */
  ownProcessGroup?: boolean;
  /**
   * How to tell it is up: by its 'listening on' log line (default), or, when LOG_LEVEL hides that
   * line, by /healthz answering.
   */
  readyWhen?: 'logged' | 'answering';
}

/** Runs the real server process; resolves once it logs that it listens, rejects if it exits first. */
export async function startServer(env: Record<string, string>, options: ServerOptions = {}): Promise<RunningServer> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startServerOn(await freePort(), env, options);
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

async function startServerOn(port: number, env: Record<string, string>, options: ServerOptions): Promise<RunningServer> {
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { ...withoutInheritedConfig(), HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const answering = () => fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false);
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(async () => {
      if (options.readyWhen === 'answering' ? await answering() : err.includes('listening on')) {
        clearInterval(check);
        resolve();
      }
    }, 50);
    void exited.then(([code]) => {
      clearInterval(check);
      reject(new Error(`server exited with ${code}: ${err}`));
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    child,
    async stop() {
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
  };
}

/** Runs the server expecting it to refuse to start; returns its exit code and stderr. */
export async function runServerExpectingFailure(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [SERVER_ENTRY], { env: { ...withoutInheritedConfig(), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr: err };
}
