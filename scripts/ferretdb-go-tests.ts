// `npm run test:ferretdb`: FerretDB's own Go tests of the packages our engine patches change, run on
// the patched copy the embedded engine is built from (src/engine/patched-source.ts), so a patch that
// breaks what upstream's tests pin fails here. .ci/run runs it after `npm test`.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ENGINE_WRAPPER_DIR, goEnv } from '../src/engine/binary.js';
import { patchedPackages, preparePatchedModule } from '../src/engine/patched-source.js';

// -short skips internal/backends' shared backend tests, which open PostgreSQL beside SQLite (and fail
// without it); every other test of these packages needs nothing but SQLite in a temporary directory.
// ferretdb_debug turns the backend contract checks on, as upstream's `task test-unit` does.
const GO_TEST_FLAGS = ['-short', '-tags=ferretdb_debug', '-shuffle=on', '-count=1', '-timeout=10m'];

async function main(): Promise<number> {
  const moduleDir = await mkdtemp(path.join(os.tmpdir(), 'ferretdb-go-tests-'));
  try {
    const version = await preparePatchedModule(ENGINE_WRAPPER_DIR, moduleDir, goEnv());
    // FerretDB's test helpers find the repository root by its .git directory, and its version
    // package requires build/version/version.txt (which upstream generates with `git describe`).
    await mkdir(path.join(moduleDir, '.git'));
    await writeFile(path.join(moduleDir, 'build', 'version', 'version.txt'), `${version}\n`);
    const packages = (await patchedPackages(ENGINE_WRAPPER_DIR)).map((dir) => `./${dir}`);
    console.error(`FerretDB ${version} with our patches: go test ${[...GO_TEST_FLAGS, ...packages].join(' ')}`);
    return await goTest(moduleDir, [...GO_TEST_FLAGS, ...packages]);
  } finally {
    await rm(moduleDir, { recursive: true, force: true });
  }
}

function goTest(cwd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['test', ...args], { cwd, env: goEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
