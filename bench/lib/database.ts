import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedEngine } from '../../src/engine/embedded.js';
import { note } from './progress.js';

/**
 * The database a benchmark runs on: MONGODB_URI (a fresh database, dropped at the end) or an
 * embedded FerretDB on a temporary directory (removed at the end).
 */
export interface BenchDatabase {
  /** Connection string naming the benchmark's database. */
  uri: string;
  dbName: string;
  label: string;
  client: MongoClient;
  /** `uri` with extra query options, e.g. monitorCommands=true. */
  uriWith(extra: string): string;
  /** Another database on the same engine (dropped at the end too): `<dbName>_<suffix>`. */
  sibling(suffix: string): string;
  close(): Promise<void>;
}

function withDatabase(base: string, dbName: string, extra = ''): string {
  const match = /^([a-z+]+:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/i.exec(base);
  if (!match) throw new Error('MONGODB_URI is not a mongodb:// or mongodb+srv:// URI');
  const query = [match[2]?.slice(1), extra].filter((part) => part !== undefined && part !== '').join('&');
  return `${match[1]}/${dbName}${query ? `?${query}` : ''}`;
}

export async function openBenchDatabase(tag: string): Promise<BenchDatabase> {
  const external = process.env['MONGODB_URI'];
  const dbName = `bench_${tag}_${randomBytes(3).toString('hex')}`;
  let stopEngine = async (): Promise<void> => undefined;
  let base = external;
  if (!base) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), `scim-bench-${tag}-`));
    note(`starting embedded FerretDB in ${dataDir}`);
    const engine = await startEmbeddedEngine({ dataDir, log: note });
    base = engine.uri;
    stopEngine = async () => {
      await engine.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const root = base;
  const uri = withDatabase(root, dbName);
  const client = await new MongoClient(uri).connect();
  const siblings: string[] = [];
  return {
    uri,
    dbName,
    label: external ? `MONGODB_URI (${external.replace(/\/\/[^@/]*@/, '//***@')})` : 'embedded FerretDB 1.24.2 (SQLite backend)',
    client,
    uriWith: (extra) => withDatabase(root, dbName, extra),
    sibling(suffix) {
      siblings.push(`${dbName}_${suffix}`);
      return withDatabase(root, `${dbName}_${suffix}`);
    },
    async close() {
      if (external) for (const name of [dbName, ...siblings]) await client.db(name).dropDatabase().catch(() => undefined);
      await client.close();
      await stopEngine();
    },
  };
}
