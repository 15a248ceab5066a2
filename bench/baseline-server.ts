// The throughput baselines of bench/load.ts: a minimal express + MongoDB driver server without SCIM
// (no parsing, schemas, validation, policy, rendering), on the same document shape and indexes as ours.
//
// BASELINE_WORK=same (the one the ≥ 0.7× target is measured against, as the issue defines it): the
// same database operations as ours per request, as bench/db-work.ts records them for ours: a name
// claim (and externalId entry) per create, a read then a version-conditional write that carries the
// audit entry and event in the document, the audit and event inserts, and the clear of that document's
// pending entries; membership changes read the group and the member, update the member and bump the
// group. "ours / baseline" is then what the SCIM layer costs.
//
// BASELINE_WORK=bare (default; shown for comparison): one driver call per write request, without the
// audit trail, events, name claims, versioning or membership checks; "ours / bare" is what the SCIM
// layer and those guarantees cost together.
//
//   MONGODB_URI=mongodb://…/db PORT=8090 [BASELINE_WORK=same] node dist/bench/baseline-server.js
import { randomUUID } from 'node:crypto';
import express from 'express';
import { MongoClient, type Filter } from 'mongodb';
import type { ResourceDocument as Doc } from '../src/store/mongo/documents.js';
import { CliError, commandLineOrExit, reportError, type Program } from '../src/cli/run.js';
import { sameWork } from './lib/baseline-same-work.js';

const TENANT = 'default';

/** Engines reject dots in field names: extension URNs go under `ext` with a safe key, as in ours. */
function split(body: Record<string, unknown>): { data: Record<string, unknown>; ext: Record<string, unknown> } {
  const data: Record<string, unknown> = {};
  const ext: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.startsWith('urn:')) ext[key.replace(/[.:]/g, '_')] = value;
    else data[key] = value;
  }
  return { data, ext };
}

const PROGRAM: Program = {
  name: 'bench:baseline-server',
  invocation: 'node dist/bench/baseline-server.js',
  direct: 'node dist/bench/baseline-server.js',
  command: {
    synopsis: '',
    summary: 'The raw-driver baseline server of bench:load (no SCIM work), on the same documents and indexes as ours.',
    description:
      'Configured by the environment: MONGODB_URI (required, with the database), PORT (default 8090),\n' +
      'HOST (default 127.0.0.1), BASELINE_WORK=same (the same database operations as ours) or bare\n' +
      '(default: one driver call per write). Started by bench:load; stops on SIGTERM or Ctrl-C.',
    options: {},
  },
};

async function main(): Promise<void> {
  commandLineOrExit(PROGRAM);
  const uri = process.env['MONGODB_URI'];
  if (!uri) throw new CliError('MONGODB_URI is required (with the database name)');
  const client = await new MongoClient(uri).connect();
  const db = client.db();
  const users = db.collection<Doc>('users');
  const same = process.env['BASELINE_WORK'] === 'same' ? sameWork(db) : undefined;
  const app = express();
  app.use(express.json({ type: () => true, limit: '4mb' }));
  app.get('/readyz', (_req, res) => void res.json({ status: 'ready' }));

  const byId = (id: string): Filter<Doc> => ({ _id: id, tenant: TENANT });
  app.get('/users/:id', async (req, res) => {
    const doc = await users.findOne(byId(req.params.id));
    res.status(doc ? 200 : 404).json(doc ?? {});
  });
  app.get('/users', async (req, res) => {
    const query = req.query as Record<string, string | undefined>;
    // Equality lookups as ours does them (docs/decisions.md D30): an `_id` read of the name claim or
    // externalId entry, then the candidates by `_id`; a query on nameLc would scan on FerretDB.
    if (query['userName'] !== undefined) {
      const nameLc = query['userName'].toLowerCase();
      const claim = await db.collection<{ _id: string; owner: string }>('name_claims').findOne({ _id: `${TENANT}|User|${nameLc}` });
      return void res.json(await users.find({ _id: { $in: claim ? [claim.owner] : [] }, tenant: TENANT, nameLc }).limit(2).toArray());
    }
    if (query['externalId'] !== undefined) {
      const externalId = query['externalId'];
      const entry = await db.collection<{ _id: string; owners: string[] }>('external_ids').findOne({ _id: `${TENANT}|User|${externalId}` });
      return void res.json(await users.find({ _id: { $in: entry?.owners ?? [] }, tenant: TENANT, 'data.externalId': externalId }).limit(2).toArray());
    }
    // Delta sync: changed since `since`, keyset-paged by (lastModified, _id).
    const since = new Date(query['since'] ?? 0);
    const after = query['afterTime'] === undefined ? undefined : { at: new Date(query['afterTime']), id: String(query['afterId']) };
    const position = after ? { $or: [{ lastModified: { $gt: after.at } }, { lastModified: after.at, _id: { $gt: after.id } }] } : {};
    // Ours counts the matches for totalResults on every page; the same-work baseline does too.
    if (same) await users.countDocuments({ tenant: TENANT, lastModified: { $gt: since } });
    const page = await users.find({ tenant: TENANT, lastModified: { $gt: since }, ...position }).sort({ lastModified: 1, _id: 1 }).limit(Number(query['count'] ?? 100)).toArray();
    res.json(page);
  });
  app.post('/users', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const now = new Date();
    const doc: Doc = { _id: randomUUID(), tenant: TENANT, version: 1, created: now, lastModified: now, nameLc: String(body['userName']).toLowerCase(), ...split(body), groupIds: [], sk: {} };
    if (same) await same.create(doc, typeof body['externalId'] === 'string' ? body['externalId'] : undefined);
    else await users.insertOne(doc);
    res.status(201).json(doc);
  });
  app.put('/users/:id', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    if (same) {
      const fields = split(body);
      const found = await same.update(req.params.id, { nameLc: String(body['userName']).toLowerCase(), ...fields }, fields.data, undefined);
      return void res.status(found ? 200 : 404).json(body);
    }
    const result = await users.replaceOne(byId(req.params.id), { tenant: TENANT, version: 2, created: new Date(), lastModified: new Date(), nameLc: String(body['userName']).toLowerCase(), ...split(body), groupIds: [], sk: {} });
    res.status(result.matchedCount ? 200 : 404).json(body);
  });
  app.patch('/users/:id', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const set = Object.fromEntries(Object.entries(body).map(([key, value]) => [`data.${key}`, value]));
    if (same) {
      const found = await same.update(req.params.id, set, split(body).data, body['active'] === false ? 'user.deactivated' : undefined);
      return void res.status(found ? 204 : 404).end();
    }
    const result = await users.updateOne(byId(req.params.id), { $set: { ...set, lastModified: new Date() }, $inc: { version: 1 } });
    res.status(result.matchedCount ? 204 : 404).end();
  });
  // Membership lives on the member, as in ours: one conditional update of the user.
  app.patch('/groups/:id/members/:userId', async (req, res) => {
    const adding = (req.body as { op?: string }).op === 'add';
    const groupId = req.params.id;
    const touch = { $set: { lastModified: new Date() }, $inc: { version: 1 } };
    const filter = byId(req.params.userId);
    if (same) {
      await same.membership(groupId, req.params.userId, adding);
      return void res.status(204).end();
    }
    await (adding ? users.updateOne(filter, { ...touch, $addToSet: { groupIds: groupId } }) : users.updateOne(filter, { ...touch, $pull: { groupIds: groupId } }));
    res.status(204).end();
  });

  const server = app.listen(Number(process.env['PORT'] ?? 8090), process.env['HOST'] ?? '127.0.0.1');
  const stop = (): void => {
    server.close();
    server.closeIdleConnections();
    void client.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => process.exit(reportError(PROGRAM, undefined, error)));
