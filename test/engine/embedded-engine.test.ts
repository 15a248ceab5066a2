import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { type EmbeddedEngine, startEmbeddedEngine } from '../../src/engine/embedded.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';

interface Probe {
  _id: string;
  n: number;
}

async function withDb<T>(uri: string, fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = await MongoClient.connect(uri);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

function acceptsConnections(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('embedded engine', () => {
  it('stores and reads documents in the shared test engine', async () => {
    await withDb(testDatabaseUri(uniqueDbName('embedded-engine')), async (client) => {
      const probes = client.db().collection<Probe>('probes');
      await probes.insertOne({ _id: 'a', n: 1 });
      assert.deepEqual(await probes.findOne({ _id: 'a' }), { _id: 'a', n: 1 });
      await client.db().dropDatabase();
    });
  });

  it('keeps data across a restart and stops idempotently', async function () {
    if (process.env.MONGODB_URI) this.skip();
    this.timeout(90_000);
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-engine-restart-'));
    const started: EmbeddedEngine[] = [];
    const start = async (): Promise<EmbeddedEngine> => {
      const engine = await startEmbeddedEngine({ dataDir });
      started.push(engine);
      return engine;
    };
    try {
      const first = await start();
      await withDb(`${first.uri}restart`, (client) => client.db().collection<Probe>('probes').insertOne({ _id: 'kept', n: 7 }));
      await first.stop();

      const second = await start();
      const found = await withDb(`${second.uri}restart`, (client) => client.db().collection<Probe>('probes').findOne({ _id: 'kept' }));
      assert.deepEqual(found, { _id: 'kept', n: 7 });

      await Promise.all([second.stop(), second.stop()]);
      await second.stop();
      assert.equal(await acceptsConnections(second.socket), false);
    } finally {
      // A failed assertion must not leave an engine running, or mocha would never exit.
      await Promise.all(started.map((engine) => engine.stop()));
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  describe('patched FerretDB (engine/ferretdb/patches): `_id` filters use the `_id` index', () => {
    interface Doc {
      _id: string;
      tenant: string;
      version: number;
    }
    interface Explained {
      filterPushdown?: boolean;
      queryPlanner?: { Plan?: string[] };
    }
    // [filter, the ids it must return] over a: t1, b: t1, c: t2.
    const shapes: [string, Record<string, unknown>, string[]][] = [
      ['{_id}', { _id: 'a' }, ['a']],
      ['{_id, tenant}', { _id: 'a', tenant: 't1' }, ['a']],
      ['{_id, tenant} of another tenant', { _id: 'c', tenant: 't1' }, []],
      ['{_id: {$in}, tenant}', { _id: { $in: ['a', 'c', 'missing'] }, tenant: 't1' }, ['a']],
      ['{_id: {$in}}', { _id: { $in: ['a', 'c'] } }, ['a', 'c']],
    ];

    for (const [what, filter, expected] of shapes) {
      it(`${what}: pushed down as an index search, and the full filter still applies`, async function () {
        if (process.env.MONGODB_URI) this.skip();
        await withDb(testDatabaseUri(uniqueDbName('engine-pushdown')), async (client) => {
          const docs = client.db().collection<Doc>('docs');
          await docs.insertMany([{ _id: 'a', tenant: 't1', version: 1 }, { _id: 'b', tenant: 't1', version: 1 }, { _id: 'c', tenant: 't2', version: 1 }]);
          const explained = (await docs.find(filter).explain()) as Explained;
          assert.equal(explained.filterPushdown, true);
          assert.match(explained.queryPlanner?.Plan?.join('\n') ?? '', /SEARCH .* USING INDEX/);
          assert.deepEqual((await docs.find(filter).toArray()).map((doc) => doc._id).sort(), expected);
          await client.db().dropDatabase();
        });
      });
    }

    it('a write by {_id, version} with a stale version changes nothing; with the current one, one document', async function () {
      if (process.env.MONGODB_URI) this.skip();
      await withDb(testDatabaseUri(uniqueDbName('engine-pushdown-write')), async (client) => {
        const docs = client.db().collection<Doc>('docs');
        await docs.insertMany([{ _id: 'a', tenant: 't1', version: 2 }, { _id: 'b', tenant: 't1', version: 1 }]);
        assert.equal((await docs.updateOne({ _id: 'a', version: 1 }, { $inc: { version: 1 } })).matchedCount, 0);
        assert.equal((await docs.updateOne({ _id: 'a', version: 2 }, { $inc: { version: 1 } })).modifiedCount, 1);
        assert.equal((await docs.deleteMany({ _id: { $in: ['a', 'b'] }, version: 1 })).deletedCount, 1);
        assert.deepEqual(await docs.find().toArray(), [{ _id: 'a', tenant: 't1', version: 3 }]);
        await client.db().dropDatabase();
      });
    });
  });
});
