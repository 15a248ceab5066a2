// What the command-line tools share: finding the database (MONGODB_URI, the running server's
// embedded engine, or one of their own) and failures whose message is all the operator needs.
import { MongoClient } from 'mongodb';
import type { Config } from '../config.js';
import { startEmbeddedEngine } from '../engine/embedded.js';
import { engineFilePath, readEngineFile } from '../engine/engine-file.js';
import type { Storage } from '../store/contract.js';
import { createMongoStorage } from '../store/mongo/storage.js';

/** A failure whose message is all the operator needs (no stack trace). */
export class CliError extends Error {}

export const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Credentials never reach the terminal or a log. */
const redact = (uri: string) => uri.replace(/\/\/[^@/]*@/, '//***@');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function answers(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2_000 });
  try {
    await client.connect();
    await client.db().admin().ping();
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}

export interface Database {
  uri: string;
  /** Stops the engine this command started, if it started one. */
  stop?: () => Promise<void>;
}

/**
 * MONGODB_URI; else the engine of a server running on DATA_DIR (two engines on one SQLite
 * directory are unsafe); else an embedded engine of our own, stopped at the end.
 */
export async function openDatabase(config: Config, say: (line: string) => void): Promise<Database> {
  if (config.mongodbUri) return { uri: config.mongodbUri };
  const running = await readEngineFile(config.dataDir);
  if (running && isAlive(running.pid)) {
    if (!(await answers(running.uri))) {
      throw new CliError(
        `the server (pid ${running.pid}) using ${config.dataDir} does not answer at ${running.uri}; ` +
          `a second engine on the same data is unsafe. Try again when it does, or delete ${engineFilePath(config.dataDir)} if no server is running`,
      );
    }
    say(`using the engine of the server running on ${config.dataDir} (pid ${running.pid})`);
    return { uri: running.uri };
  }
  say(`MONGODB_URI is not set: starting the embedded engine (data in ${config.dataDir})`);
  const engine = await startEmbeddedEngine({ dataDir: config.dataDir, log: say }).catch((error: unknown) => {
    throw new CliError(`cannot start the embedded engine: ${reason(error)}`);
  });
  return { uri: `${engine.uri}scim`, stop: () => engine.stop() };
}

export async function connect(uri: string): Promise<Storage> {
  try {
    return await createMongoStorage({ uri });
  } catch (error) {
    throw new CliError(`cannot reach the database at ${redact(uri)}: ${reason(error)}`);
  }
}
