// Benchmark: cost of the IdP lookups (GET /Users?filter=userName eq / externalId eq / id eq, and
// GET /Groups?filter=displayName eq) as the tenant grows, over real loopback HTTP against the app.
//
//   npm run build && nice -n 10 node bench/lookup-cost.mjs [--sizes 10000,100000] [--requests 20]
//       [--warmup 3] [--root DIR]
//
//   --sizes     users per database (one database per size; groups = users / 10); the first is the
//               ratio baseline
//   --requests  measured requests per lookup kind and size
//   --warmup    unmeasured requests before them (default 3)
//   --root      the checkout whose compiled app (DIR/dist) is measured, default this one: to measure
//               another branch, build it in a worktree (node_modules linked) and pass its path. The
//               engine always comes from this checkout (the same patched FerretDB on main).
//
// Starts its own embedded FerretDB on a temporary data directory, removed at the end.
// Seeding is not measured: documents are built by the app's own ingress validation and
// toStoredFields and inserted with insertMany, with their name claims and externalId entries
// exactly as the store writes them (the entries are ignored by code that predates them).
// Targets are spread over the collection (i * 7919 mod n) so a scan cannot stop early on average.
// "userName eq (absent)" is Okta's lookup before it creates a user: the common miss.
// Finally, with driver command monitoring, it lists every database command that POST, PUT, PATCH and
// DELETE of a user with an externalId issue, and flags any whose filter has no `_id` (a scan).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const { commandLineOrExit } = await import(pathToFileURL(path.join(here, 'dist/src/cli/run.js')).href);
const args = commandLineOrExit({
  name: 'bench/lookup-cost',
  invocation: 'node bench/lookup-cost.mjs',
  direct: 'node bench/lookup-cost.mjs',
  command: {
    synopsis: '[options]',
    summary: 'Cost of the IdP lookups (userName, externalId, id, displayName eq) as the tenant grows, over loopback HTTP.',
    description: 'Needs `npm run build` first. Starts its own embedded engine on a temporary directory.',
    options: {
      sizes: { type: 'string', value: '<sizes>', default: '10000,100000', description: 'users per database (groups: a tenth); the first is the ratio baseline' },
      requests: { type: 'string', value: '<n>', default: '20', description: 'measured requests per lookup kind and size' },
      warmup: { type: 'string', value: '<n>', default: '3', description: 'unmeasured requests before them' },
      root: { type: 'string', value: '<dir>', default: here, description: 'the checkout whose compiled app (DIR/dist) is measured' },
    },
  },
});
const values = { sizes: args.required('sizes'), requests: args.required('requests'), warmup: args.required('warmup'), root: args.required('root') };
const sizes = values.sizes.split(',').map(Number);
const requests = Number(values.requests);
const warmup = Number(values.warmup);
const root = path.resolve(values.root);
const load = (rel) => import(pathToFileURL(path.join(root, rel)).href);

const { createApp } = await load('dist/src/app.js');
const { loadPolicy } = await load('dist/src/lifecycle/policy/load.js');
const { createAuthenticator } = await load('dist/src/auth/authenticator.js');
const { loadConfig } = await load('dist/src/config.js');
const { parseResourceBody } = await load('dist/src/scim/ingress.js');
const { USER_RESOURCE, GROUP_RESOURCE, USER_SCHEMA } = await load('dist/src/scim/schema-registry.js');
const { toStoredFields } = await load('dist/src/store/mongo/documents.js');
const { claimKey } = await load('dist/src/store/mongo/name-claims.js');
const { createMongoStorage } = await load('dist/src/store/mongo/storage.js');
const { default: mongoose } = await load('node_modules/mongoose/index.js');
const { MongoClient } = await import(pathToFileURL(path.join(here, 'node_modules/mongodb/lib/index.js')).href);
const { startEmbeddedEngine } = await import(pathToFileURL(path.join(here, 'dist/src/engine/embedded.js')).href);

const INSERT_BATCH = 1_000;
const note = (line) => process.stderr.write(`${line}\n`);
const userName = (i) => `bench.user.${String(i).padStart(7, '0')}@example.com`;
const externalId = (i) => `ext-${String(i).padStart(7, '0')}`;
const groupName = (i) => `Bench Group ${String(i).padStart(6, '0')}`;
const spread = (i, n) => (i * 7919) % n;

function userBody(i) {
  return { schemas: [USER_SCHEMA], userName: userName(i), externalId: externalId(i), active: true, name: { givenName: 'Bench', familyName: `User ${i}` }, emails: [{ value: userName(i), type: 'work', primary: true }] };
}

function storedDocument(resource, nameAttribute, tenant, id, body, template) {
  const { attributes } = parseResourceBody(resource, body);
  const now = new Date();
  return { ...template, _id: id, tenant, version: 1, created: now, lastModified: now, ...toStoredFields(resource, nameAttribute, attributes), groupIds: [] };
}

async function seed(db, kind, count, tenant, build) {
  const collection = db.collection(kind === 'User' ? 'users' : 'groups');
  const ids = [];
  for (let start = 0; start < count; start += INSERT_BATCH) {
    const docs = [];
    for (let i = start; i < Math.min(count, start + INSERT_BATCH); i += 1) docs.push(build(i));
    await collection.insertMany(docs, { ordered: false });
    const at = new Date();
    await db.collection('name_claims').insertMany(docs.map((doc) => ({ _id: claimKey(tenant, kind, doc.nameLc), owner: doc._id, at })), { ordered: false });
    const withExternalId = docs.filter((doc) => typeof doc.data.externalId === 'string');
    if (withExternalId.length > 0) {
      await db.collection('external_ids').insertMany(withExternalId.map((doc) => ({ _id: `${tenant}|${kind}|${doc.data.externalId}`, owners: [doc._id] })), { ordered: false });
    }
    ids.push(...docs.map((doc) => doc._id));
    if (start % 20_000 === 0) note(`  ${kind}: ${start + docs.length}/${count}`);
  }
  return ids;
}

async function startApp(config, uri) {
  const storage = await createMongoStorage({ uri });
  const authenticator = createAuthenticator(config, storage.credentials);
  const app = createApp({ config, storage, authenticator, policy: loadPolicy(config.policyFile), log: (entry) => { if (process.env.BENCH_LOG) note(JSON.stringify(entry)); } });
  const server = await new Promise((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error) => (error ? reject(error) : resolve(listening)));
  });
  const base = `http://127.0.0.1:${server.address().port}/scim/v2`;
  const call = async (method, pathAndQuery, body) => {
    const response = await fetch(`${base}${pathAndQuery}`, {
      method,
      headers: { authorization: `Bearer ${config.bearerToken}`, 'content-type': 'application/scim+json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return { call, close: async () => { server.close(); await storage.close(); } };
}

function lookups(n, userIds) {
  const groups = n / 10;
  const q = (filter) => `?filter=${encodeURIComponent(filter)}&startIndex=1&count=100`;
  return [
    ['GET /Users?filter=userName eq', (i) => `/Users${q(`userName eq "${userName(spread(i, n)).toUpperCase()}"`)}`, 1],
    ['GET /Users?filter=userName eq (absent)', (i) => `/Users${q(`userName eq "absent.${i}@example.com"`)}`, 0],
    ['GET /Users?filter=externalId eq', (i) => `/Users${q(`externalId eq "${externalId(spread(i, n))}"`)}`, 1],
    ['GET /Users?filter=id eq', (i) => `/Users${q(`id eq "${userIds[spread(i, n)]}"`)}`, 1],
    ['GET /Groups?filter=displayName eq', (i) => `/Groups${q(`displayName eq "${groupName(spread(i, groups))}"`)}&excludedAttributes=members`, 1],
  ];
}

function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function measure(app, path, expected) {
  const start = performance.now();
  const response = await app.call('GET', path);
  const ms = performance.now() - start;
  if (response.status !== 200 || response.body.totalResults !== expected) throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`);
  return ms;
}

/** Every command the store sends for one user's create, PUT, PATCH and DELETE, and whether its filter has `_id`. */
async function profileWrites(app) {
  const commands = [];
  // The profiling app's URI turns command monitoring on; its connection is the newest.
  const client = mongoose.connections[mongoose.connections.length - 1].getClient();
  const record = (event) => {
    const { commandName: name, command } = event;
    const filter = command.filter ?? command.query ?? command.updates?.[0]?.q ?? command.deletes?.[0]?.q ?? (name === 'aggregate' ? command.pipeline?.[0]?.$match : undefined);
    if (['insert', 'find', 'update', 'delete', 'findAndModify', 'aggregate', 'count'].includes(name)) commands.push({ collection: command[name], method: name, filter });
  };
  client.on('commandStarted', record);
  const body = { schemas: [USER_SCHEMA], userName: `profile.${randomUUID()}@example.com`, externalId: 'profile-ext-1' };
  const steps = [];
  const step = async (label, method, pathFn, payload) => {
    commands.length = 0;
    const response = await app.call(method, pathFn(), payload);
    steps.push({ label, status: response.status, commands: [...commands] });
    return response;
  };
  const created = await step('POST /Users (with externalId)', 'POST', () => '/Users', body);
  const id = created.body.id;
  await step('PUT /Users/{id} (externalId changed)', 'PUT', () => `/Users/${id}`, { ...body, externalId: 'profile-ext-2' });
  await step('PATCH /Users/{id} (replace externalId)', 'PATCH', () => `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'externalId', value: 'profile-ext-3' }] });
  await step('DELETE /Users/{id}', 'DELETE', () => `/Users/${id}`);
  client.off('commandStarted', record);
  for (const { label, status, commands: issued } of steps) {
    console.log(`\n${label} → ${status}`);
    for (const command of issued) {
      const filter = command.filter;
      const scan = command.method !== 'insert' && !(filter && '_id' in filter) ? '  <-- no _id: scans on FerretDB' : '';
      console.log(`  ${command.method} ${command.collection} ${filter ? JSON.stringify(filter).slice(0, 120) : ''}${scan}`);
    }
  }
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-lookup-bench-'));
note(`measuring ${root}; embedded FerretDB in ${dataDir}`);
const engine = await startEmbeddedEngine({ dataDir, log: note });
const token = randomBytes(24).toString('hex');
const config = loadConfig({ SCIM_BEARER_TOKEN: token, RATE_LIMIT_PER_SECOND: '0' });
const tenant = config.defaultTenant;
const withDb = (name) => engine.uri.replace(/\/?(\?|$)/, `/${name}$1`);
const client = new MongoClient(engine.uri);
const apps = [];
try {
  await client.connect();
  const results = [];
  for (const n of sizes) {
    const dbName = `lookup_${n}`;
    const db = client.db(dbName);
    note(`seeding ${n} users and ${n / 10} groups`);
    // The API's own create gives the stored fields that do not derive from SCIM attributes.
    const app = await startApp(config, withDb(dbName));
    apps.push(app);
    const probe = await app.call('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'template@example.com' });
    if (probe.status !== 201) throw new Error(`template user: ${probe.status} ${JSON.stringify(probe.body)}`);
    const { _id, tenant: _t, version, created, lastModified, nameLc, data, ext, groupIds, sk, ...template } = await db.collection('users').findOne({ _id: probe.body.id });
    const userIds = await seed(db, 'User', n, tenant, (i) => storedDocument(USER_RESOURCE, 'userName', tenant, randomUUID(), userBody(i), template));
    await seed(db, 'Group', n / 10, tenant, (i) => storedDocument(GROUP_RESOURCE, 'displayName', tenant, randomUUID(), { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: groupName(i) }, {}));
    results.push({ n, app, userIds });
  }
  const table = new Map();
  for (const { n, app, userIds } of results) {
    for (const [label, pathAt, expected] of lookups(n, userIds)) {
      for (let i = 0; i < warmup; i += 1) await measure(app, pathAt(requests + i), expected);
      const times = [];
      for (let i = 0; i < requests; i += 1) times.push(await measure(app, pathAt(i), expected));
      if (!table.has(label)) table.set(label, []);
      table.get(label).push(median(times));
      note(`  ${n} users, ${label}: median ${median(times).toFixed(1)} ms`);
    }
  }
  const ratioHeads = sizes.slice(1).map((n) => `${n / 1000}k/${sizes[0] / 1000}k`);
  console.log(`| lookup (median ms of ${requests}) | ${sizes.map((n) => `${n.toLocaleString('en')} users`).join(' | ')} | ${ratioHeads.join(' | ')} |`);
  console.log(`|---|${sizes.map(() => '---:').join('|')}|${ratioHeads.map(() => '---:').join('|')}|`);
  for (const [label, times] of table) {
    console.log(`| \`${label}\` | ${times.map((t) => `${t.toFixed(1)}`).join(' | ')} | ${times.slice(1).map((t) => `${(t / times[0]).toFixed(2)}x`).join(' | ')} |`);
  }
  const profiled = await startApp(config, withDb(`lookup_${sizes[sizes.length - 1]}`) + '?monitorCommands=true');
  apps.push(profiled);
  await profileWrites(profiled);
} finally {
  for (const app of apps) await app.close().catch(() => undefined);
  await client.close();
  await engine.stop();
  await rm(dataDir, { recursive: true, force: true });
}
