// Runs the embedded FerretDB engine as a child process and waits until it answers pings.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { ensureEngineBinary } from './binary.js';

const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;
const STOP_GRACE_MS = 10_000;
const STDERR_TAIL_LINES = 50;
// The engine logs for as long as it runs; only a bounded window is kept for error messages.
const STDERR_BUFFER_CHARS = 32_768;

export interface EmbeddedEngine {
  uri: string;
  stop(): Promise<void>;
}

export async function startEmbeddedEngine(opts: {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<EmbeddedEngine> {
  const binary = await ensureEngineBinary({ log: opts.log });
  const sqliteDir = path.resolve(opts.dataDir, 'ferretdb');
  await mkdir(sqliteDir, { recursive: true });
  const port = opts.port ?? (await freeLoopbackPort());

  // stdin stays open and unwritten: the engine exits when it closes, i.e. when we stop it or die, and
  // ignores SIGINT/SIGTERM. In a session of its own, a Ctrl-C or a signal to our process group does
  // not reach it either: only we stop it, after our requests are done.
  const child = spawn(binary, ['-listen', `127.0.0.1:${port}`, '-sqlite-dir', sqliteDir, '-exit-on-stdin-close'], {
    stdio: ['pipe', 'ignore', 'pipe'],
    detached: true,
  });
  const stderrTail = captureTail(child.stderr);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await once(child, 'spawn');
  child.on('error', (err) => opts.log?.(`embedded FerretDB: ${err.message}`));

  let stopping: Promise<void> | undefined;
  const engine: EmbeddedEngine = {
    uri: `mongodb://127.0.0.1:${port}/`,
    stop: () => (stopping ??= terminate(child, exited)),
  };
  try {
    await waitUntilReady(engine.uri, child, stderrTail);
  } catch (err) {
    await engine.stop();
    throw err;
  }
  return engine;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('could not determine a free loopback port')),
      );
    });
  });
}

function captureTail(stream: Readable): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text = (text + chunk).slice(-STDERR_BUFFER_CHARS);
  });
  return () => text.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitUntilReady(uri: string, child: ChildProcess, stderrTail: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      const status = child.signalCode ?? `exit code ${child.exitCode}`;
      throw new Error(`embedded FerretDB exited during startup (${status}):\n${stderrTail()}`);
    }
    const pid = await servingPid(uri).catch((err: unknown) => void (lastError = err));
    if (pid !== undefined) {
      // Someone else may own the port (a caller-chosen port, or a race after freeLoopbackPort).
      if (pid !== child.pid) throw new Error(`${uri} is served by another process (pid ${pid}), not the embedded engine`);
      return;
    }
    await delay(READY_POLL_MS);
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`embedded FerretDB did not answer within ${READY_TIMEOUT_MS} ms (${reason}):\n${stderrTail()}`);
}

/** Pings the server and returns the pid it reports, to tell our engine from a stranger on the port. */
async function servingPid(uri: string): Promise<unknown> {
  // A short selection timeout keeps each attempt brief, so a crashed child is noticed quickly.
  const client = new MongoClient(uri, { directConnection: true, serverSelectionTimeoutMS: 1_000 });
  try {
    await client.connect();
    await client.db().admin().ping();
    return (await client.db().admin().serverStatus()).pid;
  } finally {
    await client.close();
  }
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (hasExited(child)) return exited;
  child.stdin?.end();
  const graceful = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS, false, { ref: false })]);
  if (!graceful) child.kill('SIGKILL');
  await exited;
}
