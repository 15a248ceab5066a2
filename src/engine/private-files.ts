// The embedded engine has no authentication of its own: file permissions are what keep other local
// users away from its socket and data. Directories are 0700 and files 0600, owned by our user.
import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

const PRIVATE_DIRECTORY = 0o700;
const PRIVATE_FILE = 0o600;
const GROUP_OR_OTHER = 0o077;

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');

function ownUid(): number {
  if (!process.getuid) throw new Error('the embedded engine needs a POSIX system (it listens on a Unix domain socket)');
  return process.getuid();
}

/**
 * Creates `dir` (0700, parents too) or makes an existing one private. It must belong to our user:
 * a directory of another user is refused rather than used, since we could not keep it private.
 * `dir` may be a symbolic link (a data volume mounted elsewhere); what it points to is checked.
 */
export async function ensurePrivateDirectory(dir: string, what: string, say?: (line: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIRECTORY });
  const info = await stat(dir);
  if (!info.isDirectory()) throw new Error(`${what} ${dir} is not a directory`);
  const uid = ownUid();
  if (info.uid !== uid) throw new Error(`${what} ${dir} belongs to uid ${info.uid}, not to this process's user (uid ${uid}); run the server and its tools as its owner`);
  if ((info.mode & GROUP_OR_OTHER) !== 0) {
    await chmod(dir, PRIVATE_DIRECTORY);
    say?.(`${what} ${dir} was open to other users (mode ${octal(info.mode)}): made private (0700)`);
  }
}

/**
 * A directory made by `mkdtemp` for the engine's socket, checked before a socket goes into it: a
 * real directory (not a link another user could repoint), ours, and private.
 */
export async function checkSocketDirectory(dir: string): Promise<void> {
  const info = await lstat(dir);
  if (!info.isDirectory() || info.uid !== ownUid() || (info.mode & GROUP_OR_OTHER) !== 0) {
    throw new Error(`the engine's socket directory ${dir} is not a private directory of this user (mode ${octal(info.mode)}, uid ${info.uid})`);
  }
}

/**
 * Takes group and other access away from everything under `dir` (files written by an engine that
 * ran with a looser umask, before the engine set its own). Returns how many entries changed.
 */
export async function makeContentsPrivate(dir: string): Promise<number> {
  let changed = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const info = await lstat(file);
    if ((info.mode & GROUP_OR_OTHER) === 0) continue;
    await chmod(file, info.isDirectory() ? PRIVATE_DIRECTORY : PRIVATE_FILE);
    changed += 1;
  }
  return changed;
}
