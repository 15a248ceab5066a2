// Runs the embedded FerretDB engine as a child process and waits until it answers pings.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdtemp, rm, unlink } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { ensureEngineBinary } from './binary.js';
import { sqliteDirectory } from './data-dir.js';
import { checkSocketDirectory, ensurePrivateDirectory, makeContentsPrivate } from './private-files.js';

const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;
const STOP_GRACE_MS = 10_000;
const STDERR_TAIL_LINES = 50;
// The engine logs for as long as it runs; only a bounded window is kept for error messages.
const STDERR_BUFFER_CHARS = 32_768;
/** The driver takes a host ending in ".sock" as a socket path. */
const SOCKET_NAME = 'engine.sock';
/** sun_path holds 108 bytes on Linux, 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 103;

export interface EmbeddedEngine {
  /** mongodb://<socket path, percent-encoded>/ */
  uri: string;
  /** The Unix domain socket the engine listens on (it has no TCP listener). */
  socket: string;
  stop(): Promise<void>;
}

/**
 * Starts the engine on `dataDir` (created 0700, or made private), listening on
 * `<dataDir>/engine.sock`; when that path is too long for a socket, in a fresh 0700 directory under
 * the system temp directory instead (removed at stop). The same short dataDir always gives the same
 * socket, so an engine restarted on it serves the same URI.
 */
export async function startEmbeddedEngine(opts: {
  dataDir: string;
  log?: (line: string) => void;
  /** Told when the engine exits while serving (not stopped by us), with its last output. */
  onUnexpectedExit?: (message: string) => void;
}): Promise<EmbeddedEngine> {
  const binary = await ensureEngineBinary({ log: opts.log });
  const dataDir = path.resolve(opts.dataDir);
  await ensurePrivateDirectory(dataDir, 'DATA_DIR', opts.log);
  const sqliteDir = sqliteDirectory(dataDir);
  await ensurePrivateDirectory(sqliteDir, 'the engine directory', opts.log);
  const tightened = await makeContentsPrivate(sqliteDir);
  if (tightened > 0) opts.log?.(`made ${tightened} engine files in ${sqliteDir} private (they were open to other users)`);
  const { socket, tempDir } = await socketLocation(dataDir);
  await clearStaleSocket(socket, dataDir);

  // stdin stays open and unwritten: the engine exits when it closes, i.e. when we stop it or die, and
  // ignores SIGINT/SIGTERM. In a session of its own, a Ctrl-C or a signal to our process group does
  // not reach it either: only we stop it, after our requests are done.
  const child = spawn(binary, ['-listen-unix', socket, '-sqlite-dir', sqliteDir, '-exit-on-stdin-close'], {
    stdio: ['pipe', 'ignore', 'pipe'],
    detached: true,
  });
  const stderrTail = captureTail(child.stderr);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await once(child, 'spawn');
  child.on('error', (err) => opts.log?.(`embedded FerretDB: ${err.message}`));

  let stopping: Promise<void> | undefined;
  let serving = false;
  // Its stderr is kept as a tail, not passed on: it reaches the log only when the engine fails
  // (at start, in the error thrown below).
  child.once('exit', (code, signal) => {
    if (serving && !stopping) opts.onUnexpectedExit?.(`embedded FerretDB exited unexpectedly (${signal ?? `exit code ${code}`}); its last output:\n${stderrTail()}`);
  });
  const engine: EmbeddedEngine = {
    uri: `mongodb://${encodeURIComponent(socket)}/`,
    socket,
    stop: () =>
      (stopping ??= terminate(child, exited).then(async () => {
        if (tempDir) await rm(tempDir, { recursive: true, force: true });
      })),
  };
  try {
    await waitUntilReady(engine.uri, child, stderrTail);
    serving = true;
  } catch (err) {
    await engine.stop();
    throw err;
  }
  return engine;
}

async function socketLocation(dataDir: string): Promise<{ socket: string; tempDir?: string }> {
  const inDataDir = path.join(dataDir, SOCKET_NAME);
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH_BYTES) return { socket: inDataDir };
  // mkdtemp creates the directory 0700 under a name no one else can have taken first.
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'scim-engine-'));
  await checkSocketDirectory(tempDir);
  const socket = path.join(tempDir, SOCKET_NAME);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) {
    await rm(tempDir, { recursive: true, force: true });
    throw new Error(`no socket path of at most ${MAX_SOCKET_PATH_BYTES} bytes: DATA_DIR and the temp directory (TMPDIR) are both too long`);
  }
  return { socket, tempDir };
}

/**
 * A socket left by an engine that was killed is removed; one that answers belongs to an engine
 * still serving this DATA_DIR, and a second engine on the same SQLite files would be unsafe.
 */
async function clearStaleSocket(socket: string, dataDir: string): Promise<void> {
  const info = await lstat(socket).catch(() => undefined);
  if (!info) return;
  if (!info.isSocket()) throw new Error(`${socket} exists and is not a socket; remove it if nothing else needs it`);
  if (await answers(socket)) throw new Error(`another engine is serving ${dataDir} (at ${socket}); a second one on the same data is unsafe`);
  await unlink(socket);
}

function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = net.connect(socket);
    connection.once('connect', () => {
      connection.destroy();
      resolve(true);
    });
    connection.once('error', () => resolve(false));
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
      // Another engine that started on the same socket in the moment after we checked it.
      if (pid !== child.pid) throw new Error(`${uri} is served by another process (pid ${pid}), not the embedded engine`);
      return;
    }
    await delay(READY_POLL_MS);
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`embedded FerretDB did not answer within ${READY_TIMEOUT_MS} ms (${reason}):\n${stderrTail()}`);
}

/** Pings the server and returns the pid it reports, to tell our engine from another on the socket. */
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
