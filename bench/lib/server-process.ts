import { spawn, type ChildProcess } from 'node:child_process';
import { EXAMPLE_POLICY_FILE } from '../../src/lifecycle/policy/load.js';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';

/** A server running as its own process, so its CPU and memory are its own. */
export interface ServerProcess {
  base: string;
  pid: number;
  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMiB(): Promise<number>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

async function waitReady(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    const ready = await fetch(`${base}/readyz`).then((response) => response.ok, () => false);
    if (ready) return;
    await delay(100);
  }
  throw new Error(`server at ${base} not ready within 60 s:\n${output()}`);
}

/**
 * `script` (default: our server, dist/src/server.js) with `env` (the example policy unless it names
 * another: benchmarks measure the grants it gives); PORT and HOST are chosen here.
 * The child's stderr is kept (last 20 kB) for error messages.
 */
export async function startServerProcess(env: Record<string, string>, script = 'dist/src/server.js', nodeArgs: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, path.join(REPOSITORY_ROOT, script)], {
    // Benchmarks measure throughput, so the per-token rate limit is off unless a caller sets it.
    env: { ...process.env, RATE_LIMIT_PER_SECOND: '0', POLICY_FILE: EXAMPLE_POLICY_FILE, ...env, PORT: String(port), HOST: '127.0.0.1' },
    cwd: REPOSITORY_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-20_000);
  });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(base, child, () => tail);
  const pid = child.pid as number;
  return {
    base,
    pid,
    peakRssMiB: () => peakRssMiB(pid),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
