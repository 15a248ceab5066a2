// Mocha root hook plugin (--require): one database engine for the whole test run.
// MONGODB_URI points the suite at an existing MongoDB; otherwise an embedded FerretDB is started.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type EmbeddedEngine, startEmbeddedEngine } from '../../src/engine/embedded.js';

// "test_" + "_" + 6 hex leaves this much of MongoDB's 63-byte database name limit for the tag.
const MAX_TAG_LENGTH = 63 - 'test_'.length - '_'.length - 6;

let baseUri: string | undefined;
let engine: EmbeddedEngine | undefined;
let dataDir: string | undefined;

export const mochaHooks: Mocha.RootHookObject = {
  async beforeAll(this: Mocha.Context) {
    // The first run builds the engine from source, which takes minutes.
    this.timeout(600_000);
    if (process.env.MONGODB_URI) {
      baseUri = process.env.MONGODB_URI;
      return;
    }
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-test-engine-'));
    engine = await startEmbeddedEngine({ dataDir, log: (line) => console.error(line) });
    baseUri = engine.uri;
  },
  async afterAll() {
    await engine?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  },
};

/** The test engine's URI with `dbName` as its database; call it from hooks or tests, not at load time. */
export function testDatabaseUri(dbName: string): string {
  if (!baseUri) {
    throw new Error('the test engine is not running: run mocha with --require test/support/engine.js');
  }
  // String surgery rather than URL: mongodb://a:1,b:2/ (several hosts) is not a valid WHATWG URL.
  const match = /^([a-z+]+:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/i.exec(baseUri);
  if (!match) throw new Error('MONGODB_URI is not a mongodb:// or mongodb+srv:// URI');
  return `${match[1]}/${dbName}${match[2] ?? ''}`;
}

/** A fresh database name per test file, so files never see each other's data. */
export function uniqueDbName(fileTag: string): string {
  const tag = fileTag.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_TAG_LENGTH);
  return `test_${tag}_${randomBytes(3).toString('hex')}`;
}
