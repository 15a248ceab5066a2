// Which database a command uses, said on stderr before it is used: MONGODB_URI; else the engine of
// the server running on DATA_DIR; else an embedded engine of the command's own on DATA_DIR, only
// when DATA_DIR already holds the server's data (or the command was asked to create it). A command
// run from the wrong directory must never quietly work on a new, empty database the server never sees.
import { MongoClient } from 'mongodb';
import type { Config } from '../config.js';
import { EMBEDDED_DATABASE, holdsData } from '../engine/data-dir.js';
import { startEmbeddedEngine } from '../engine/embedded.js';
import { engineFilePath, readEngineFile } from '../engine/engine-file.js';
import type { Storage } from '../store/contract.js';
import { createMongoStorage } from '../store/mongo/storage.js';
import { CliError } from './run.js';

/** The help's paragraph on which database a command uses. */
export const DATABASE_HELP =
  'Database: MONGODB_URI; else the engine of the server running on DATA_DIR (default ./.data in the\n' +
  'current directory); else an engine of its own on DATA_DIR if that holds data. Which one is used\n' +
  'is said on stderr.';

export const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Credentials never reach the terminal or a log. */
export const redact = (uri: string) => uri.replace(/\/\/[^@/]*@/, '//***@');

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

export interface DatabaseChoice {
  /** The command may start the embedded engine on a DATA_DIR that holds no data yet. */
  create: boolean;
  /** The option that allows it (named in the refusal), if the command has one. */
  createOption?: string;
}

/** The absolute DATA_DIR, and where it came from when DATA_DIR is not set. */
function describeDataDir(config: Config): string {
  return config.dataDirIsDefault ? `${config.dataDir} (DATA_DIR is not set: ./.data in the current directory)` : config.dataDir;
}

export async function openDatabase(config: Config, say: (line: string) => void, choice: DatabaseChoice): Promise<Database> {
  if (config.mongodbUri) {
    say(`using MONGODB_URI ${redact(config.mongodbUri)}`);
    return { uri: config.mongodbUri };
  }
  const running = await readEngineFile(config.dataDir);
  if (running && isAlive(running.pid)) {
    // Two engines on one SQLite directory are unsafe: the server's engine is the only way in.
    if (!(await answers(running.uri))) {
      throw new CliError(
        `the server (pid ${running.pid}) running on ${config.dataDir} does not answer at ${running.uri}; a second engine on the same data is unsafe: ` +
          `try again when it answers, or delete ${engineFilePath(config.dataDir)} if no server is running`,
      );
    }
    say(`using the engine of the server running on ${config.dataDir} (pid ${running.pid})`);
    return { uri: running.uri };
  }
  const existing = await holdsData(config.dataDir);
  if (!existing && !choice.create) {
    throw new CliError(
      `no server is running on ${describeDataDir(config)} and it holds no data: set DATA_DIR to the server's data directory, or MONGODB_URI to its database` +
        (choice.createOption ? `, or pass ${choice.createOption} to start a new database there` : ''),
    );
  }
  say(`no server is running on ${describeDataDir(config)}: starting the embedded engine there${existing ? '' : ' on a new, empty database'} (it stops when this command ends)`);
  const engine = await startEmbeddedEngine({ dataDir: config.dataDir, log: say }).catch((error: unknown) => {
    throw new CliError(`cannot start the embedded engine: ${reason(error)}`);
  });
  return { uri: `${engine.uri}${EMBEDDED_DATABASE}`, stop: () => engine.stop() };
}

export async function connect(uri: string): Promise<Storage> {
  try {
    return await createMongoStorage({ uri });
  } catch (error) {
    throw new CliError(`cannot reach the database at ${redact(uri)}: ${reason(error)}`);
  }
}

/** Opens the database as `openDatabase` does, runs `work` on it, and closes everything it opened. */
export async function withStorage<T>(config: Config, say: (line: string) => void, choice: DatabaseChoice, work: (storage: Storage) => Promise<T>): Promise<T> {
  const database = await openDatabase(config, say, choice);
  try {
    const storage = await connect(database.uri);
    try {
      return await work(storage);
    } finally {
      await storage.close().catch(() => undefined);
    }
  } finally {
    await database.stop?.();
  }
}
