import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * `<DATA_DIR>/engine.json`: written by the server while its embedded engine runs, so that tools on
 * the same DATA_DIR connect to that engine rather than open a second one on the same SQLite files.
 * Mode 0600, like everything in DATA_DIR: it names the socket of an engine without authentication.
 */
export interface EngineFile {
  /** The engine's URI (its Unix socket) including the database name. */
  uri: string;
  /** The server process that owns the engine (the engine exits with it). */
  pid: number;
}

export function engineFilePath(dataDir: string): string {
  return path.join(dataDir, 'engine.json');
}

/** undefined when there is no file or it is not a record written by the server. */
export async function readEngineFile(dataDir: string): Promise<EngineFile | undefined> {
  let text: string;
  try {
    text = await readFile(engineFilePath(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<EngineFile> | null;
    return typeof parsed?.uri === 'string' && Number.isInteger(parsed.pid) ? { uri: parsed.uri, pid: parsed.pid as number } : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole (a temp file renamed over it), so a reader never sees half of it, and 0600 from the start. */
export async function writeEngineFile(dataDir: string, record: EngineFile): Promise<void> {
  const file = engineFilePath(dataDir);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  await rename(temp, file);
}

export async function removeEngineFile(dataDir: string): Promise<void> {
  await rm(engineFilePath(dataDir), { force: true });
}
