// Benchmark: cost of one group-membership PATCH (add one member, remove one member) as the group
// grows from 10 to 10k to 100k members, driven over real loopback HTTP against the real app.
//
//   npm run bench:membership-patch -- [--sizes 10,10000,100000] [--requests 200]
//       [--warmup 20] [--round 10] [--gets 20] [--profile 5] [--max-minutes M] [--out results.json]
//
//   --sizes        group sizes (members seeded per group); the smallest is the ratio baseline
//   --requests     measured add PATCHes per size (and as many remove PATCHes)
//   --warmup       unmeasured PATCHes per size before measuring
//   --round        add/remove pairs per size per round; rounds interleave the sizes
//   --gets         measured GET /Groups/{id}?excludedAttributes=members per size
//   --profile      add/remove pairs per size run with driver command monitoring (0: none)
//   --max-minutes  start no new round after this long (a time budget; the report says how many ran)
//   --out          also write the results as JSON to this file
//
// Without MONGODB_URI it starts its own embedded FerretDB on a temporary data directory (removed at
// the end); with MONGODB_URI it uses a fresh database (dropped at the end).
//
// Seeding is not what is measured, so users are inserted directly in the database with the
// driver's insertMany, in batches, in exactly the shape the API stores (the documents are built by
// the app's own ingress validation and toStoredFields, and one API-created user is compared field
// by field with a seeded one before seeding starts). The groups are created through the API; the
// members' `groupIds` are set during the insert, member documents carry the version bump a
// membership change gives them, and each group's version is bumped once, as one PATCH adding all
// its members would. Name claims are inserted too, as the API would. Stored fields that do not
// derive from SCIM attributes (lifecycle state, the emptied pending queue) are copied from the
// API-created user. Not written: the audit-trail and event-log entries of the seeded users'
// creation; a membership PATCH only appends to those collections (`_id`-unique inserts), so their
// size does not enter its cost.
//
// Measurement: for each size, add one not-yet-member user with a PATCH, then remove it again, so a
// group oscillates between S and S+1 members. Sizes are interleaved in rounds (10 → 10k → 100k →
// repeat) so machine noise hits all sizes alike. The users added and removed are "pool" users
// inserted last, interleaved across sizes, so that where they sit in the collection (which matters
// to an engine that scans) is the same for every size.
//
// Profile phase (--profile N, 0 to skip): N more add/remove pairs per size through a second app
// instance whose driver has command monitoring on, attributing time to each database command.
// It runs on a separate connection so that monitoring never slows the measured requests.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { MongoClient, type CommandStartedEvent, type CommandSucceededEvent, type CommandFailedEvent } from 'mongodb';
import mongoose from 'mongoose';
import { createApp } from '../src/app.js';
import { EXAMPLE_POLICY_FILE, loadPolicy } from '../src/lifecycle/policy/load.js';
import { registerExtensionDirectory } from '../src/scim/extension-files.js';
import { createAuthenticator } from '../src/auth/authenticator.js';
import { loadConfig, type Config } from '../src/config.js';
import { startEmbeddedEngine, type EmbeddedEngine } from '../src/engine/embedded.js';
import { parseResourceBody } from '../src/scim/ingress.js';
import { USER_RESOURCE, USER_SCHEMA, GROUP_SCHEMA } from '../src/scim/schema-registry.js';
import type { Storage } from '../src/store/contract.js';
import { toStoredFields, type ResourceDocument } from '../src/store/mongo/documents.js';
import { claimKey } from '../src/store/mongo/name-claims.js';
import { createMongoStorage } from '../src/store/mongo/storage.js';
import { UsageError } from '../src/cli/run.js';
import { benchmark } from './lib/args.js';
import { scimClient, type ScimClient } from './lib/scim-client.js';

const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** Bounds every request; generous because a scanning engine can take minutes on a large collection. */
const INSERT_BATCH = 1_000;
/** Users per size that are added and removed by the measured requests (cycled). */
const POOL_PER_SIZE = 50;

// ---------------------------------------------------------------------------------------------
// Arguments

interface Options {
  sizes: number[];
  requests: number;
  warmup: number;
  round: number;
  gets: number;
  profile: number;
  /** Stop starting new measured rounds after this many minutes (every round covers all sizes). */
  maxMinutes: number | undefined;
  out: string | undefined;
}

function positiveInt(name: string, text: string, allowZero = false): number {
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) throw new UsageError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, not "${text}"`);
  return value;
}

type Args = Record<'sizes' | 'requests' | 'warmup' | 'round' | 'gets' | 'profile' | 'max-minutes' | 'out', string>;

function parseOptions(values: Args): Options {
  const sizes = [...new Set(values.sizes.split(',').map((part) => positiveInt('sizes', part.trim())))].sort((a, b) => a - b);
  if (sizes.length === 0) throw new UsageError('--sizes needs at least one size');
  return {
    sizes,
    requests: positiveInt('requests', values.requests),
    warmup: positiveInt('warmup', values.warmup, true),
    round: positiveInt('round', values.round),
    gets: positiveInt('gets', values.gets, true),
    profile: positiveInt('profile', values.profile, true),
    maxMinutes: values['max-minutes'] === '' ? undefined : positiveInt('max-minutes', values['max-minutes']),
    out: values.out === '' ? undefined : values.out,
  };
}

// ---------------------------------------------------------------------------------------------
// Progress on stderr: a redrawn bar on a terminal, periodic lines otherwise.

function progress(label: string, total: number): { tick(done: number): void; end(): void } {
  const started = performance.now();
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  const render = (done: number): string => {
    const fraction = total === 0 ? 1 : done / total;
    const width = 30;
    const filled = Math.round(fraction * width);
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : 0;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${rate.toFixed(0)}/s ETA ${eta.toFixed(0)}s`;
  };
  return {
    tick(done) {
      const now = performance.now();
      if (tty) process.stderr.write(`\r${render(done)}`);
      else if (now - lastLine >= 5_000 || done === total) {
        lastLine = now;
        process.stderr.write(`${render(done)}\n`);
      }
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}

const note = (line: string): void => void process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Statistics

interface Summary {
  n: number;
  medianMs: number;
  p95Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  // Nearest rank.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1 ? (sorted[(sorted.length - 1) / 2] as number) : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  return {
    n: sorted.length,
    medianMs: median,
    p95Ms: quantile(sorted, 0.95),
    meanMs: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length),
    minMs: sorted[0] ?? Number.NaN,
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

// ---------------------------------------------------------------------------------------------
// Database URIs and seeding

/** `base` with `dbName` as its database and `extra` appended to its query string. */
function databaseUri(base: string, dbName: string, extra = ''): string {
  const match = /^([a-z+]+:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/i.exec(base);
  if (!match) throw new Error('MONGODB_URI is not a mongodb:// or mongodb+srv:// URI');
  const query = [match[2]?.slice(1), extra].filter((part) => part !== undefined && part !== '').join('&');
  return `${match[1]}/${dbName}${query ? `?${query}` : ''}`;
}

function userBody(userName: string, ordinal: number): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA],
    userName,
    externalId: `ext-${ordinal}`,
    name: { givenName: 'Bench', familyName: `User${ordinal}` },
    displayName: `Bench User ${ordinal}`,
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
  };
}

/** Stored fields that the API writes beyond the SCIM data (e.g. lifecycle state), copied from an API-created user. */
type TemplateFields = Partial<ResourceDocument>;

/**
 * The stored document for a user, built by the same ingress validation and mapping the API uses.
 * `template` supplies the stored fields that do not derive from the SCIM attributes (lifecycle
 * state, an emptied pending queue…), taken from a user the API created, so the seeded shape follows
 * the API's as it evolves.
 */
function userDocument(tenant: string, id: string, body: Record<string, unknown>, groupIds: string[], now: Date, template: TemplateFields = {}): ResourceDocument {
  const { attributes } = parseResourceBody(USER_RESOURCE, body);
  const fields = toStoredFields(USER_RESOURCE, 'userName', attributes);
  // A membership change is a write to the member: +1 version (see membership-store.ts).
  return { ...template, _id: id, tenant, version: 1 + groupIds.length, created: now, lastModified: now, ...fields, groupIds };
}

interface SeedPlan {
  /** group id → members to seed; pool users are seeded with no groups. */
  groups: { size: number; id: string }[];
  pools: Map<number, string[]>;
}

async function seedUsers(client: MongoClient, dbName: string, tenant: string, plan: SeedPlan, template: TemplateFields): Promise<void> {
  const db = client.db(dbName);
  const users = db.collection<ResourceDocument>('users');
  const claims = db.collection<{ _id: string; owner: string; at: Date }>('name_claims');
  const total = plan.groups.reduce((sum, group) => sum + group.size, 0) + [...plan.pools.values()].reduce((sum, pool) => sum + pool.length, 0);
  const bar = progress('seeding users', total);
  let ordinal = 0;
  let done = 0;
  let batch: ResourceDocument[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const now = new Date();
    await users.insertMany(batch, { ordered: false });
    await claims.insertMany(batch.map((doc) => ({ _id: claimKey(tenant, 'User', doc.nameLc), owner: doc._id, at: now })), { ordered: false });
    done += batch.length;
    batch = [];
    bar.tick(done);
  };
  const push = async (id: string, groupIds: string[]): Promise<void> => {
    ordinal += 1;
    const userName = `bench.user.${String(ordinal).padStart(7, '0')}@example.com`;
    batch.push(userDocument(tenant, id, userBody(userName, ordinal), groupIds, new Date(), template));
    if (batch.length >= INSERT_BATCH) await flush();
  };
  for (const group of plan.groups) {
    for (let i = 0; i < group.size; i += 1) await push(randomUUID(), [group.id]);
  }
  // Pool users last and interleaved across sizes: the same position in the collection for every size.
  for (let i = 0; i < POOL_PER_SIZE; i += 1) {
    for (const group of plan.groups) await push(plan.pools.get(group.size)?.[i] as string, []);
  }
  await flush();
  bar.end();
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** node:http with keep-alive, one socket: not fetch, whose 300 s header timeout a scanning engine can exceed. */
type Http = Pick<ScimClient, 'base' | 'request'>;

async function expectStatus(http: Http, method: string, urlPath: string, status: number, body?: unknown): Promise<{ text: string; ms: number }> {
  const result = await http.request(method, urlPath, body);
  if (result.status !== status) throw new Error(`${method} ${urlPath}: expected ${status}, got ${result.status}: ${result.text.slice(0, 500)}`);
  return result;
}

const addMember = (userId: string) => ({ schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });
const removeMember = (userId: string) => ({ schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }] });

interface AppInstance {
  http: Http;
  storage: Storage;
  server: Server;
  close(): Promise<void>;
}

async function startApp(config: Config, uri: string, token: string): Promise<AppInstance> {
  const storage = await createMongoStorage({ uri });
  const authenticator = createAuthenticator(config, storage.credentials);
  const app = createApp({ config, storage, authenticator, policy: loadPolicy(config.policyFile ?? EXAMPLE_POLICY_FILE), log: (entry) => note(JSON.stringify(entry)) });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    http: scimClient(`http://127.0.0.1:${port}`, token, 1),
    storage,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await storage.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Command profile

interface CommandSample {
  key: string;
  ms: number;
  docs: number;
}

/** Names a command by what it does, without values: "find users {_id,tenant}". */
function commandKey(event: CommandStartedEvent): string {
  const command = event.command as Record<string, unknown>;
  const name = event.commandName;
  const collection = typeof command[name] === 'string' ? (command[name] as string) : typeof command['collection'] === 'string' ? (command['collection'] as string) : '';
  // Keys only, no values; an operator is kept: {_id:$in,tenant,groupIds:$ne}.
  const keysOf = (value: unknown): string => {
    if (!value || typeof value !== 'object') return '';
    const parts = Object.entries(value as Record<string, unknown>).map(([key, inner]) => {
      const operators = inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.keys(inner).filter((name) => name.startsWith('$')) : [];
      return operators.length > 0 ? `${key}:${operators.join('+')}` : key;
    });
    return `{${parts.join(',')}}`;
  };
  let shape = '';
  if (name === 'find' || name === 'count' || name === 'findAndModify') shape = keysOf(command['filter'] ?? command['query']);
  else if (name === 'update') shape = ((command['updates'] as { q?: unknown }[] | undefined) ?? []).map((update) => keysOf(update.q)).join(' ');
  else if (name === 'delete') shape = ((command['deletes'] as { q?: unknown }[] | undefined) ?? []).map((del) => keysOf(del.q)).join(' ');
  return `${name} ${collection} ${shape}`.trim();
}

function returnedDocs(event: CommandSucceededEvent): number {
  const reply = event.reply as { cursor?: { firstBatch?: unknown[]; nextBatch?: unknown[] }; n?: number } | undefined;
  return reply?.cursor?.firstBatch?.length ?? reply?.cursor?.nextBatch?.length ?? 0;
}

function monitor(client: MongoClient): { drain(): CommandSample[] } {
  const pending = new Map<number, string>();
  let samples: CommandSample[] = [];
  client.on('commandStarted', (event: CommandStartedEvent) => {
    const key = event.commandName === 'getMore' ? `getMore ${String((event.command as { collection?: unknown }).collection)}` : commandKey(event);
    pending.set(event.requestId, key);
  });
  client.on('commandSucceeded', (event: CommandSucceededEvent) => {
    const key = pending.get(event.requestId);
    pending.delete(event.requestId);
    if (key !== undefined) samples.push({ key, ms: event.duration, docs: returnedDocs(event) });
  });
  client.on('commandFailed', (event: CommandFailedEvent) => {
    const key = pending.get(event.requestId);
    pending.delete(event.requestId);
    if (key !== undefined) samples.push({ key: `${key} (failed)`, ms: event.duration, docs: 0 });
  });
  return {
    drain() {
      const out = samples;
      samples = [];
      return out;
    },
  };
}

interface ProfileRow {
  size: number;
  op: 'add' | 'remove';
  command: string;
  /** Per request: how many such commands, their total time and documents returned (medians over the profiled requests). */
  countPerRequest: number;
  medianMsPerRequest: number;
  docsPerRequest: number;
}

// ---------------------------------------------------------------------------------------------
// Main

interface SizeResult {
  size: number;
  add: Summary;
  remove: Summary;
  patch: Summary;
  get: Summary;
  ratioAddMedian: number;
  ratioRemoveMedian: number;
  ratioPatchMedian: number;
  ratioGetMedian: number;
}

async function main(args: Args): Promise<void> {
  const options = parseOptions(args);
  const startedAt = new Date();
  const token = randomBytes(24).toString('hex');
  const config = loadConfig({ SCIM_BEARER_TOKEN: token, RATE_LIMIT_PER_SECOND: '0' });
  registerExtensionDirectory(config.schemaExtensionsDir);
  const tenant = config.defaultTenant;

  let engine: EmbeddedEngine | undefined;
  let dataDir: string | undefined;
  let baseUri = process.env['MONGODB_URI'];
  const dbName = baseUri ? `bench_membership_${randomBytes(4).toString('hex')}` : 'bench_membership';
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) await step().catch((error: unknown) => note(`cleanup: ${String(error)}`));
  };

  try {
    if (!baseUri) {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-bench-'));
      const dir = dataDir;
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      note(`starting embedded FerretDB in ${dataDir}`);
      engine = await startEmbeddedEngine({ dataDir, log: note });
      const started = engine;
      cleanups.push(() => started.stop());
      baseUri = engine.uri;
    }
    const uri = databaseUri(baseUri, dbName);

    const raw = new MongoClient(uri);
    await raw.connect();
    cleanups.push(() => raw.close());
    if (process.env['MONGODB_URI']) cleanups.push(async () => void (await raw.db(dbName).dropDatabase()));

    const main = await startApp(config, uri, token);
    cleanups.push(() => main.close());
    const http = main.http;
    note(`app listening on ${http.base} (database ${dbName})`);

    // 1. The seeded shape is the API's shape: create one user through the API and compare.
    const probe = userBody('bench.shape-check@example.com', 0);
    const created = JSON.parse((await expectStatus(http, 'POST', '/Users', 201, probe)).text) as { id: string };
    const apiDoc = await raw.db(dbName).collection<ResourceDocument>('users').findOne({ _id: created.id });
    const derived = userDocument(tenant, created.id, probe, [], new Date());
    const template: TemplateFields = Object.fromEntries(Object.entries(apiDoc ?? {}).filter(([key]) => !(key in derived)));
    const seededDoc = userDocument(tenant, created.id, probe, [], new Date(), template);
    const comparable = (doc: Partial<ResourceDocument> | null) => {
      const { created: _c, lastModified: _l, ...rest } = doc ?? {};
      return rest;
    };
    if (!apiDoc || !isDeepStrictEqual(comparable(apiDoc), comparable(seededDoc))) {
      throw new Error(`seeded documents would differ from API-created ones:\nAPI:    ${JSON.stringify(apiDoc)}\nseeded: ${JSON.stringify(seededDoc)}`);
    }
    await expectStatus(http, 'DELETE', `/Users/${created.id}`, 204);
    const copied = Object.keys(template);
    note(`shape check: a seeded user document equals an API-created one (apart from timestamps)${copied.length > 0 ? `; copied from the API-created user: ${copied.join(', ')}` : ''}`);

    // 2. Groups through the API, then users (members and pool) straight into the database.
    const groups: { size: number; id: string }[] = [];
    for (const size of options.sizes) {
      const body = { schemas: [GROUP_SCHEMA], displayName: `bench-group-${size}` };
      groups.push({ size, id: (JSON.parse((await expectStatus(http, 'POST', '/Groups', 201, body)).text) as { id: string }).id });
    }
    const pools = new Map(options.sizes.map((size) => [size, Array.from({ length: POOL_PER_SIZE }, () => randomUUID())]));
    const seedStarted = performance.now();
    await seedUsers(raw, dbName, tenant, { groups, pools }, template);
    const groupsCollection = raw.db(dbName).collection<ResourceDocument>('groups');
    for (const group of groups) {
      // What the API's one PATCH adding all members leaves on the group: one version bump.
      await groupsCollection.updateOne({ _id: group.id }, { $inc: { version: 1 }, $set: { lastModified: new Date() } });
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    note(`seeded in ${seedSeconds.toFixed(1)} s`);

    // 3. Check the seeded memberships through the API (count=0 list: no members are rendered).
    for (const group of groups) {
      const filter = encodeURIComponent(`groups.value eq "${group.id}"`);
      const list = JSON.parse((await expectStatus(http, 'GET', `/Users?filter=${filter}&count=0`, 200)).text) as { totalResults: number };
      if (list.totalResults !== group.size) throw new Error(`group ${group.size}: the API reports ${list.totalResults} members`);
    }
    note('membership check: each group has the expected number of members according to the API');

    // 4. Warm-up, then interleaved measured rounds.
    const cursor = new Map(options.sizes.map((size) => [size, 0]));
    const nextPoolUser = (size: number): string => {
      const pool = pools.get(size) as string[];
      const index = cursor.get(size) as number;
      cursor.set(size, index + 1);
      return pool[index % pool.length] as string;
    };
    const pair = async (app: AppInstance, group: { size: number; id: string }): Promise<{ add: number; remove: number }> => {
      const userId = nextPoolUser(group.size);
      const add = await expectStatus(app.http, 'PATCH', `/Groups/${group.id}`, 204, addMember(userId));
      const remove = await expectStatus(app.http, 'PATCH', `/Groups/${group.id}`, 204, removeMember(userId));
      // Slow requests (a scanning engine on a large collection) get a line each, so progress stays visible.
      if (add.ms + remove.ms > 10_000) note(`  group ${group.size}: add ${(add.ms / 1000).toFixed(1)} s, remove ${(remove.ms / 1000).toFixed(1)} s`);
      return { add: add.ms, remove: remove.ms };
    };
    const getLean = async (app: AppInstance, group: { id: string }): Promise<number> =>
      (await expectStatus(app.http, 'GET', `/Groups/${group.id}?excludedAttributes=members`, 200)).ms;

    const warmPairs = Math.ceil(options.warmup / 2);
    if (warmPairs > 0) {
      const bar = progress('warm-up', warmPairs * groups.length);
      let done = 0;
      for (const group of groups) {
        for (let i = 0; i < warmPairs; i += 1) {
          await pair(main, group);
          bar.tick((done += 1));
        }
        await getLean(main, group);
      }
      bar.end();
    }

    const samples = new Map(options.sizes.map((size) => [size, { add: [] as number[], remove: [] as number[], get: [] as number[] }]));
    const rounds = Math.ceil(options.requests / options.round);
    const getsPerRound = Math.ceil(options.gets / rounds);
    const measureStarted = performance.now();
    let roundsDone = 0;
    for (let round = 0; round < rounds; round += 1) {
      if (options.maxMinutes !== undefined && performance.now() - measureStarted > options.maxMinutes * 60_000) {
        note(`--max-minutes ${options.maxMinutes} reached: stopping after ${roundsDone} of ${rounds} rounds`);
        break;
      }
      const pairsThisRound = Math.min(options.round, options.requests - round * options.round);
      const medians: string[] = [];
      for (const group of groups) {
        const bucket = samples.get(group.size) as { add: number[]; remove: number[]; get: number[] };
        for (let i = 0; i < pairsThisRound; i += 1) {
          const { add, remove } = await pair(main, group);
          bucket.add.push(add);
          bucket.remove.push(remove);
        }
        for (let i = 0; i < getsPerRound && bucket.get.length < options.gets; i += 1) bucket.get.push(await getLean(main, group));
        medians.push(`${group.size}: add ${summarize(bucket.add).medianMs.toFixed(0)} / remove ${summarize(bucket.remove).medianMs.toFixed(0)} ms`);
      }
      roundsDone += 1;
      const elapsed = (performance.now() - measureStarted) / 1000;
      note(`round ${round + 1}/${rounds} (${elapsed.toFixed(0)} s, ETA ${((elapsed / (round + 1)) * (rounds - round - 1)).toFixed(0)} s) running medians: ${medians.join(', ')}`);
    }

    // 5. Profile: which database commands a PATCH issues and how long each takes.
    const profile: ProfileRow[] = [];
    if (options.profile > 0) {
      const monitored = await startApp(config, databaseUri(baseUri, dbName, 'monitorCommands=true'), token);
      cleanups.push(() => monitored.close());
      const connection = mongoose.connections.find((candidate) => candidate.name === dbName && candidate.getClient().options.monitorCommands);
      if (!connection) throw new Error('could not find the monitored mongoose connection');
      const recorder = monitor(connection.getClient() as unknown as MongoClient);
      await pair(monitored, groups[0] as { size: number; id: string });
      recorder.drain();
      const bar = progress('profiling', options.profile * groups.length);
      let done = 0;
      for (const group of groups) {
        const perOp: Record<'add' | 'remove', CommandSample[][]> = { add: [], remove: [] };
        for (let i = 0; i < options.profile; i += 1) {
          const userId = nextPoolUser(group.size);
          recorder.drain();
          await expectStatus(monitored.http, 'PATCH', `/Groups/${group.id}`, 204, addMember(userId));
          perOp.add.push(recorder.drain());
          await expectStatus(monitored.http, 'PATCH', `/Groups/${group.id}`, 204, removeMember(userId));
          perOp.remove.push(recorder.drain());
          bar.tick((done += 1));
        }
        for (const op of ['add', 'remove'] as const) {
          const keys = [...new Set(perOp[op].flat().map((sample) => sample.key))];
          for (const key of keys) {
            const perRequest = perOp[op].map((requestSamples) => requestSamples.filter((sample) => sample.key === key));
            profile.push({
              size: group.size,
              op,
              command: key,
              countPerRequest: summarize(perRequest.map((list) => list.length)).medianMs,
              medianMsPerRequest: round2(summarize(perRequest.map((list) => list.reduce((sum, sample) => sum + sample.ms, 0))).medianMs),
              docsPerRequest: summarize(perRequest.map((list) => list.reduce((sum, sample) => sum + sample.docs, 0))).medianMs,
            });
          }
        }
      }
      bar.end();
    }

    // 6. Report.
    const baseline = samples.get(options.sizes[0] as number) as { add: number[]; remove: number[]; get: number[] };
    const baseAdd = summarize(baseline.add).medianMs;
    const baseRemove = summarize(baseline.remove).medianMs;
    const basePatch = summarize([...baseline.add, ...baseline.remove]).medianMs;
    const baseGet = summarize(baseline.get).medianMs;
    const results: SizeResult[] = options.sizes.map((size) => {
      const bucket = samples.get(size) as { add: number[]; remove: number[]; get: number[] };
      const add = summarize(bucket.add);
      const remove = summarize(bucket.remove);
      const patch = summarize([...bucket.add, ...bucket.remove]);
      const get = summarize(bucket.get);
      return {
        size,
        add,
        remove,
        patch,
        get,
        ratioAddMedian: add.medianMs / baseAdd,
        ratioRemoveMedian: remove.medianMs / baseRemove,
        ratioPatchMedian: patch.medianMs / basePatch,
        ratioGetMedian: get.medianMs / baseGet,
      };
    });
    const largest = results[results.length - 1] as SizeResult;
    const targetMet = largest.ratioPatchMedian <= 1.5;

    const cpuModel = os.cpus()[0]?.model ?? 'unknown';
    const report = {
      benchmark: 'membership-patch',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command: `node dist/bench/membership-patch.js ${process.argv.slice(2).join(' ')}`.trim(),
      engine: engine ? 'embedded FerretDB 1.24.2 (SQLite backend)' : `MONGODB_URI (${baseUri.replace(/\/\/[^@/]*@/, '//***@')})`,
      machine: { nproc: os.availableParallelism(), memoryGiB: round2(os.totalmem() / 2 ** 30), cpuModel, node: process.version, platform: `${os.platform()} ${os.release()}` },
      options: { ...options, poolPerSize: POOL_PER_SIZE },
      rounds: { planned: rounds, completed: roundsDone },
      seedSeconds: round2(seedSeconds),
      results: results.map((result) => ({
        ...result,
        add: roundSummary(result.add),
        remove: roundSummary(result.remove),
        patch: roundSummary(result.patch),
        get: roundSummary(result.get),
        ratioAddMedian: round2(result.ratioAddMedian),
        ratioRemoveMedian: round2(result.ratioRemoveMedian),
        ratioPatchMedian: round2(result.ratioPatchMedian),
        ratioGetMedian: round2(result.ratioGetMedian),
      })),
      target: { maxRatio: 1.5, largestSize: largest.size, ratio: round2(largest.ratioPatchMedian), met: targetMet },
      profile,
    };

    const lines: string[] = [];
    const fmt = (value: number): string => value.toFixed(1);
    lines.push(`Membership PATCH vs group size — ${report.engine}, ${report.machine.nproc} CPUs, ${cpuModel}`);
    lines.push('');
    lines.push('| group size | request | n | median ms | p95 ms | mean ms | median ratio vs ' + String(options.sizes[0]) + ' |');
    lines.push('|---:|---|---:|---:|---:|---:|---:|');
    for (const result of results) {
      const size = result.size.toLocaleString('en-US');
      lines.push(`| ${size} | PATCH add 1 member | ${result.add.n} | ${fmt(result.add.medianMs)} | ${fmt(result.add.p95Ms)} | ${fmt(result.add.meanMs)} | ${result.ratioAddMedian.toFixed(2)}× |`);
      lines.push(`| ${size} | PATCH remove 1 member | ${result.remove.n} | ${fmt(result.remove.medianMs)} | ${fmt(result.remove.p95Ms)} | ${fmt(result.remove.meanMs)} | ${result.ratioRemoveMedian.toFixed(2)}× |`);
      lines.push(`| ${size} | PATCH (add + remove) | ${result.patch.n} | ${fmt(result.patch.medianMs)} | ${fmt(result.patch.p95Ms)} | ${fmt(result.patch.meanMs)} | ${result.ratioPatchMedian.toFixed(2)}× |`);
      lines.push(`| ${size} | GET ?excludedAttributes=members | ${result.get.n} | ${fmt(result.get.medianMs)} | ${fmt(result.get.p95Ms)} | ${fmt(result.get.meanMs)} | ${result.ratioGetMedian.toFixed(2)}× |`);
    }
    lines.push('');
    if (results.length > 1) {
      lines.push(`Target (PATCH median at ${largest.size.toLocaleString('en-US')} members ≤ 1.5× the ${options.sizes[0]}-member median): ${targetMet ? 'MET' : 'NOT MET'} (${largest.ratioPatchMedian.toFixed(2)}×)`);
    } else lines.push('Target: not applicable (one size measured, nothing to compare with)');
    if (profile.length > 0) {
      lines.push('');
      lines.push(`Database commands per PATCH (command monitoring, ${options.profile} requests per size and op; medians per request):`);
      lines.push('');
      lines.push('| group size | request | command (filter keys) | commands | ms | docs returned |');
      lines.push('|---:|---|---|---:|---:|---:|');
      for (const row of profile) {
        lines.push(`| ${row.size.toLocaleString('en-US')} | ${row.op} | \`${row.command}\` | ${row.countPerRequest} | ${row.medianMsPerRequest.toFixed(1)} | ${row.docsPerRequest} |`);
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (options.out) {
      await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);
      note(`JSON results written to ${options.out}`);
    }
  } finally {
    await cleanup();
  }
}

function roundSummary(summary: Summary): Summary {
  return {
    n: summary.n,
    medianMs: round2(summary.medianMs),
    p95Ms: round2(summary.p95Ms),
    meanMs: round2(summary.meanMs),
    minMs: round2(summary.minMs),
    maxMs: round2(summary.maxMs),
  };
}

benchmark('membership-patch', {
  summary: 'Cost of one membership PATCH (add, then remove one member) as a group grows from 10 to 100,000 members.',
  description: 'Sizes are interleaved in rounds so machine noise hits all alike; see the comment at the top of\nbench/membership-patch.ts for the method.',
  options: {
    sizes: { default: '10,10000,100000', value: '<sizes>', description: 'group sizes; the smallest is the ratio baseline' },
    requests: { default: '200', description: 'measured add PATCHes per size (and as many removes)' },
    warmup: { default: '20', description: 'unmeasured PATCHes per size before measuring' },
    round: { default: '10', description: 'add/remove pairs per size per round' },
    gets: { default: '20', description: 'measured GET /Groups/{id}?excludedAttributes=members per size' },
    profile: { default: '5', description: 'add/remove pairs per size with driver command monitoring (0: none)' },
    'max-minutes': { default: '', value: '<minutes>', description: 'start no new round after this long (default: no limit)' },
    out: { default: '', value: '<file>', description: 'also write the results as JSON to this file' },
  },
  main,
});
