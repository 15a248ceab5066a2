// Prepares a build directory for the embedded engine: our wrapper plus a patched copy of FerretDB.
// The patches (engine/ferretdb/patches/*.patch, explained in engine/ferretdb/patches/README.md) are
// applied to a copy of the module the Go toolchain downloads, so the repository carries only the
// small diffs, never FerretDB's source, and a fresh machine needs nothing but Go and the module proxy.
import { execFile } from 'node:child_process';
import { chmod, cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { applyPatch, parsePatch } from 'diff';

const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const PATCHED_DIR = 'ferretdb';
const PATCHES_DIR = 'patches';
/** The old name of a file a patch creates. */
const NO_FILE = '/dev/null';
export const WRAPPER_SOURCES = ['go.mod', 'go.sum', 'main.go'] as const;

const run = promisify(execFile);

/** The patch files in the order they apply (their names start with a sequence number). */
export async function listPatches(wrapperDir: string): Promise<string[]> {
  const dir = path.join(wrapperDir, PATCHES_DIR);
  const names = (await readdir(dir)).filter((name) => name.endsWith('.patch')).sort();
  return names.map((name) => path.join(dir, name));
}

/** Fills buildDir with a module that builds the wrapper against the patched FerretDB copy. */
export async function preparePatchedBuild(wrapperDir: string, buildDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  await preparePatchedModule(wrapperDir, path.join(buildDir, PATCHED_DIR), env);

  for (const name of WRAPPER_SOURCES) await cp(path.join(wrapperDir, name), path.join(buildDir, name));
  // The copy sits inside the build module but has its own go.mod, so Go treats it as a separate module.
  const goMod = await readFile(path.join(wrapperDir, 'go.mod'), 'utf8');
  await writeFile(path.join(buildDir, 'go.mod'), `${goMod}\nreplace ${FERRETDB_MODULE} => ./${PATCHED_DIR}\n`);
}

/**
 * Copies the FerretDB module the wrapper's go.mod requires into patchedDir and applies the patches;
 * returns the module's version (e.g. v1.24.2).
 */
export async function preparePatchedModule(wrapperDir: string, patchedDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { dir, version } = await downloadModule(wrapperDir, env);
  await cp(dir, patchedDir, { recursive: true });
  await makeWritable(patchedDir);
  for (const patch of await listPatches(wrapperDir)) await applyPatchFile(patch, patchedDir);
  return version;
}

/** The directories of the Go packages the patches change, relative to the module root (e.g. internal/handler). */
export async function patchedPackages(wrapperDir: string): Promise<string[]> {
  const dirs = new Set<string>();
  for (const patchFile of await listPatches(wrapperDir)) {
    for (const filePatch of parsePatch(await readFile(patchFile, 'utf8'))) {
      const file = stripPrefix(filePatch.newFileName === NO_FILE ? filePatch.oldFileName : filePatch.newFileName);
      if (file.endsWith('.go')) dirs.add(path.posix.dirname(file));
    }
  }
  return [...dirs].sort();
}

/** Where the Go module cache holds the FerretDB version the wrapper's go.mod requires (downloading it if needed). */
async function downloadModule(wrapperDir: string, env: NodeJS.ProcessEnv): Promise<{ dir: string; version: string }> {
  const { stdout } = await run('go', ['mod', 'download', '-json', FERRETDB_MODULE], { cwd: wrapperDir, env });
  const { Dir: dir, Version: version } = JSON.parse(stdout) as { Dir?: unknown; Version?: unknown };
  if (typeof dir !== 'string' || typeof version !== 'string') throw new Error(`go mod download did not report a directory and version for ${FERRETDB_MODULE}`);
  return { dir, version };
}

async function applyPatchFile(patchFile: string, rootDir: string): Promise<void> {
  for (const filePatch of parsePatch(await readFile(patchFile, 'utf8'))) {
    const created = filePatch.oldFileName === NO_FILE;
    const target = path.join(rootDir, stripPrefix(created ? filePatch.newFileName : filePatch.oldFileName));
    const patched = applyPatch(created ? '' : await readFile(target, 'utf8'), filePatch);
    if (patched === false) {
      throw new Error(`${path.basename(patchFile)} does not apply to ${target}: was the FerretDB version in go.mod changed?`);
    }
    await writeFile(target, patched);
  }
}

/** The module cache is read-only and cp keeps modes; without this neither patching nor cleanup could write. */
async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    await chmod(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
}

/** `a/internal/x.go` -> `internal/x.go` (git-style diff prefixes). */
function stripPrefix(fileName: string | undefined): string {
  if (!fileName) throw new Error('a patch names no file');
  return fileName.replace(/^[ab]\//, '');
}
