// Locates the embedded FerretDB binary, building it from engine/ferretdb (wrapper plus our patches to
// FerretDB, see patched-source.ts) on first use.
// No mongod can be installed where we develop, so when MONGODB_URI is unset we run FerretDB instead.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../repository-root.js';
import type { Readable } from 'node:stream';
import { listPatches, preparePatchedBuild, WRAPPER_SOURCES } from './patched-source.js';

/** engine/ferretdb: our wrapper (main.go, go.mod) and the patches to FerretDB. */
export const ENGINE_WRAPPER_DIR = path.join(REPOSITORY_ROOT, 'engine', 'ferretdb');
const BINARY_NAME = 'ferretdb-embedded';
const BUILD_OUTPUT_TAIL_LINES = 20;

const GO_MISSING =
  'Go >= 1.24 is needed to build the embedded FerretDB engine, but `go` is not on PATH. ' +
  'Install Go, or set MONGODB_URI to use an existing MongoDB.';

export async function ensureEngineBinary(opts: { log?: (line: string) => void } = {}): Promise<string> {
  const wrapperDir = ENGINE_WRAPPER_DIR;
  // Keyed by the wrapper's contents and patches, so editing either rebuilds and an unchanged wrapper never does.
  const binary = path.join(REPOSITORY_ROOT, '.cache', 'engine', await hashWrapper(wrapperDir), BINARY_NAME);
  if (await isFile(binary)) return binary;

  opts.log?.('building embedded FerretDB engine (first run only, takes a few minutes)…');
  await mkdir(path.dirname(binary), { recursive: true });
  // A per-process temp name plus rename keeps concurrent builders (e.g. two mocha runs)
  // from ever executing a half-written binary: rename within one directory is atomic.
  const temp = `${binary}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const buildDir = `${temp}.src`;
  try {
    await preparePatchedBuild(wrapperDir, buildDir, goEnv());
    await goBuild(buildDir, temp);
    await rename(temp, binary);
  } catch (err) {
    throw isGoMissing(err) ? new Error(GO_MISSING) : err;
  } finally {
    await rm(temp, { force: true });
    await rm(buildDir, { recursive: true, force: true });
  }
  return binary;
}

// Walks up from this module because it runs both from src/engine (via a loader) and dist/src/engine.

async function hashWrapper(wrapperDir: string): Promise<string> {
  const hash = createHash('sha256');
  const files = [...WRAPPER_SOURCES.map((name) => path.join(wrapperDir, name)), ...(await listPatches(wrapperDir))];
  for (const file of files) {
    // Names and separators keep different splits of the same bytes from colliding.
    hash.update(`${path.relative(wrapperDir, file)}\0`).update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function isGoMissing(err: unknown): boolean {
  const spawnError = err as NodeJS.ErrnoException;
  return spawnError.code === 'ENOENT' && spawnError.syscall === 'spawn go';
}

// Pure-Go SQLite (modernc.org) needs no C toolchain; CGO off keeps the build portable.
export function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CGO_ENABLED: '0' };
}

function goBuild(cwd: string, output: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['build', '-trimpath', '-o', output, '.'], {
      cwd,
      env: goEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let outputText = '';
    const collect = (stream: Readable): void => {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (outputText += chunk));
    };
    collect(child.stdout);
    collect(child.stderr);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const tail = outputText.trimEnd().split('\n').slice(-BUILD_OUTPUT_TAIL_LINES).join('\n');
      reject(new Error(`building the embedded FerretDB engine failed (${signal ?? `exit code ${code}`}):\n${tail}`));
    });
  });
}
