import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * `<DATA_DIR>/engine.json`: written by the server while its embedded engine runs, so that tools on
 * the same DATA_DIR connect to that engine rather than open a second one on the same SQLite files.
 */
export interface EngineFile {
  /** The engine's URI including the database name. */
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
