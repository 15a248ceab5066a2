import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { effectivePermissions, grantsFor } from '../../src/lifecycle/grants.js';
import { loadPolicy, PolicyError } from '../../src/lifecycle/policy/load.js';
import type { Policy } from '../../src/lifecycle/policy/types.js';
import type { Grant } from '../../src/lifecycle/types.js';
import { createLifecycle } from '../../src/services/lifecycle.js';
import { createUserService } from '../../src/services/users.js';
import type { ResourceRecord, Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { startServer } from '../server/server-process.js';
import { runCli } from '../support/cli.js';

const EXAMPLE_POLICY = path.join(REPOSITORY_ROOT, 'schemas', 'policy.example.json');
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const JOB_ID = 'policy-reevaluate';




type PolicyJson = { roles: Record<string, { permissions: string[] }>; rules: { name: string }[] } & Record<string, unknown>;

async function examplePolicy(): Promise<PolicyJson> {
  const json = JSON.parse(await readFile(EXAMPLE_POLICY, 'utf8')) as PolicyJson;
  delete json['$schema'];
  return json;
}

const PEOPLE: { tenant: string; userName: string; userType: string; active?: boolean; enterprise: Record<string, unknown>; title?: string }[] = [
  { tenant: 'default', userName: 'sales.one', userType: 'Employee', enterprise: { employeeNumber: '1', department: 'Sales' } },
  { tenant: 'default', userName: 'sales.manager', userType: 'Employee', title: 'Sales Manager EMEA', enterprise: { employeeNumber: '2', department: 'Sales' } },
  { tenant: 'default', userName: 'contractor.one', userType: 'Contractor', enterprise: { department: 'Engineering' } },
  { tenant: 'default', userName: 'intern.one', userType: 'Intern', enterprise: { employeeNumber: '3', department: 'Sales' } },
  { tenant: 'default', userName: 'left.company', userType: 'Contractor', active: false, enterprise: {} },
  { tenant: 'acme', userName: 'sales.two', userType: 'Employee', enterprise: { employeeNumber: '4', department: 'Sales' } },
  { tenant: 'acme', userName: 'contractor.two', userType: 'Contractor', enterprise: {} },
  { tenant: 'acme', userName: 'finance.one', userType: 'Employee', enterprise: { employeeNumber: '5', department: 'Finance' } },
  { tenant: 'acme', userName: 'plain.one', userType: 'Employee', enterprise: { employeeNumber: '6' } },
];

describe('policy re-evaluate (CLI)', function () {
  this.timeout(180_000);
  let dir: string;
  let dbUri: string;
  let storage: Storage;
  let policyA: Policy;
  let fileB: string;
  let policyB: Policy;
  let ids: { tenant: string; id: string; userName: string }[] = [];

  async function writePolicy(name: string, json: unknown): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, JSON.stringify(json, null, 2));
    return file;
  }

  async function stored(): Promise<ResourceRecord[]> {
    const records = await Promise.all(ids.map(({ tenant, id }) => storage.users.get(tenant, id)));
    return records.map((record) => {
      assert.ok(record);
      return record;
    });
  }

  /** The grants and permissions the policy gives the user. */
  function expected(record: ResourceRecord, policy: Policy): { grants: Grant[]; permissions: string[] } {
    const grants = record.lifecycle?.state === 'active' ? grantsFor(policy, { attributes: record.attributes, groups: [] }) : [];
    return { grants, permissions: record.lifecycle?.state === 'active' ? effectivePermissions(policy, grants) : [] };
  }

  /** Whether re-evaluating against the policy changes what the user holds (and so writes the user). */
  function changedBy(record: ResourceRecord, policy: Policy): boolean {
    return !isDeepStrictEqual(expected(record, policy), { grants: record.lifecycle?.grants, permissions: record.lifecycle?.permissions });
  }

  function assertFollows(record: ResourceRecord, policy: Policy): void {
    const lifecycle = record.lifecycle;
    assert.ok(lifecycle, `${record.id} has no lifecycle`);
    const { grants, permissions } = expected(record, policy);
    assert.deepEqual(lifecycle.grants, grants, `${String(record.attributes['userName'])} grants`);
    assert.deepEqual(lifecycle.permissions, permissions);
  }

  const env = (policyFile: string) => ({ MONGODB_URI: dbUri, POLICY_FILE: policyFile });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'scim-policy-cli-'));
    dbUri = testDatabaseUri(uniqueDbName('cli_policy_reevaluate'));
    storage = await createMongoStorage({ uri: dbUri });
    policyA = loadPolicy(EXAMPLE_POLICY);
    // Policy B: sales reps may also export from the CRM; contractors lose their default access.
    const b = await examplePolicy();
    b.roles['sales-rep']?.permissions.push('crm:export');
    b.rules = b.rules.filter((rule) => rule.name !== 'contractors');
    fileB = await writePolicy('policy-b.json', b);
    policyB = loadPolicy(fileB);

    const users = createUserService(storage, createLifecycle({ storage, policy: policyA, webhooksFor: () => [], log: () => undefined }));
    for (const person of PEOPLE) {
      const body = {
        schemas: [USER_SCHEMA, ENTERPRISE],
        userName: person.userName,
        userType: person.userType,
        active: person.active ?? true,
        ...(person.title ? { title: person.title } : {}),
        [ENTERPRISE]: person.enterprise,
      };
      const { record } = await users.create({ tenant: person.tenant, actor: 'test', requestId: 'seed' }, body);
      ids.push({ tenant: person.tenant, id: record.id, userName: person.userName });
    }
    ids = ids.sort((x, y) => (x.id < y.id ? -1 : 1));
  });

  after(async () => {
    await storage?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('scan lists users of every tenant in id order, after the id given', async () => {
    const all = await storage.users.scan(undefined, 100);
    assert.deepEqual(all, ids.map(({ tenant, id }) => ({ tenant, id })));
    const rest = await storage.users.scan(ids[2]?.id, 3);
    assert.deepEqual(rest, ids.slice(3, 6).map(({ tenant, id }) => ({ tenant, id })));
    assert.equal(await storage.users.count(), PEOPLE.length);
  });

  it('applies the new policy to every user, writing those whose access changes, with audit entries, events and progress', async () => {
    for (const record of await stored()) assertFollows(record, policyA);
    const before = await stored();
    // Sales reps gain crm:export through their role, contractors lose theirs; the others keep what they hold.
    const changing = before.filter((record) => changedBy(record, policyB)).length;
    assert.equal(changing, 5);

    const run = await runCli('policy', ['re-evaluate', '--batch', '2'], env(fileB));
    assert.equal(run.code, 0, run.stderr);

    // Not a terminal: one progress line per batch of 2, the last at 100%.
    const lines = run.stderr.split('\n').filter((line) => /^\[policy\] \d+% \d+\/\d+ users · \d+ changed · \d+ users\/s$/.test(line));
    assert.equal(lines.length, Math.ceil(PEOPLE.length / 2), run.stderr);
    assert.match(lines.at(-1) ?? '', new RegExp(`^\\[policy\\] 100% ${PEOPLE.length}/${PEOPLE.length} users · ${changing} changed`));
    assert.match(run.stdout, new RegExp(`re-evaluated ${PEOPLE.length} users against policy ${policyB.fingerprint.slice(0, 12)}: ${changing} changed`));

    const after = await stored();
    for (const record of after) assertFollows(record, policyB);
    for (const [index, record] of after.entries()) {
      const previous = before[index] as ResourceRecord;
      const { tenant, id, userName } = ids[index] as (typeof ids)[number];
      const entries = (await storage.audit.query({ tenant, resourceId: id, limit: 100 })).filter((entry) => entry.operation === 'reevaluate');
      if (!changedBy(previous, policyB)) {
        // Nothing a SCIM client sees changed: no new version, no audit entry; the policy that confirmed the grants is noted.
        assert.equal(record.version, previous.version, `${userName}: not written`);
        assert.equal(record.lastModified.getTime(), previous.lastModified.getTime());
        assert.equal(record.lifecycle?.policyFingerprint, policyB.fingerprint);
        assert.equal(entries.length, 0, `${userName}: no audit entry`);
        continue;
      }
      assert.equal(record.version, previous.version + 1);
      assert.equal(record.lifecycle?.policyFingerprint, policyB.fingerprint);
      assert.equal(entries.length, 1, `${userName}: one reevaluate audit entry`);
      const entry = entries[0];
      assert.equal(entry?.actor, 'cli:policy-reevaluate');
      assert.match(entry?.requestId ?? '', /^policy-reevaluate:[0-9a-f-]{36}$/);

      const grantsChanged = JSON.stringify(previous.lifecycle?.grants) !== JSON.stringify(record.lifecycle?.grants);
      const events = (await storage.events.forSubject(tenant, id)).filter((event) => event.type === 'user.roles_changed');
      if (grantsChanged) {
        assert.equal(events.length, 1, `${userName}: user.roles_changed`);
        assert.equal(events[0]?.requestId, entry?.requestId);
        assert.deepEqual(events[0]?.data['added'], entry?.grantsAdded);
        assert.deepEqual(events[0]?.data['revoked'], entry?.grantsRevoked);
      }
    }
    // The contractors lost their access; sales staff gained a permission through their role.
    const byName = new Map(after.map((record) => [record.attributes['userName'], record]));
    assert.deepEqual(byName.get('contractor.one')?.lifecycle?.grants, []);
    assert.ok(byName.get('sales.one')?.lifecycle?.permissions.includes('crm:export'));
    const contractor = ids.find((entry) => entry.userName === 'contractor.two') as (typeof ids)[number];
    const [revoked] = (await storage.events.forSubject(contractor.tenant, contractor.id)).filter((event) => event.type === 'user.roles_changed');
    assert.deepEqual(revoked?.data['revoked'], [{ kind: 'role', name: 'contractor-limited', source: 'policy', rules: ['contractors'] }]);

    const job = await storage.jobs.get(JOB_ID);
    assert.equal(job?.fingerprint, policyB.fingerprint);
    assert.equal(job?.processed, PEOPLE.length);
    assert.equal(job?.changed, changing);
    assert.ok(job?.finishedAt);
  });

  it('is idempotent: a second run has nothing to do, and --restart changes nothing', async () => {
    const before = await stored();
    const again = await runCli('policy', ['re-evaluate'], env(fileB));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to do/);
    assert.match(again.stdout, /--restart/);

    const restarted = await runCli('policy', ['re-evaluate', '--restart'], env(fileB));
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stdout, new RegExp(`re-evaluated ${PEOPLE.length} users against policy \\w+: 0 changed`));
    const after = await stored();
    assert.deepEqual(after.map((record) => record.version), before.map((record) => record.version));
    const entries = await Promise.all(ids.map(({ tenant, id }) => storage.audit.query({ tenant, resourceId: id, limit: 100 })));
    assert.equal(entries.flat().filter((entry) => entry.operation === 'reevaluate').length, 5, 'no new audit entries');
  });

  it('resumes an interrupted run after the last user it saved', async () => {
    // Policy C: interns no longer get the baseline.
    const c = await examplePolicy();
    const baseline = c.rules[0] as unknown as { name: string; when: { all: unknown[] } };
    assert.equal(baseline.name, 'employee-baseline');
    baseline.when.all[0] = { attribute: 'userType', in: ['Employee'] };
    const fileC = await writePolicy('policy-c.json', c);
    const policyC = loadPolicy(fileC);
    const half = 4;
    const lastId = ids[half - 1]?.id;
    await storage.jobs.save({ id: JOB_ID, fingerprint: policyC.fingerprint, lastId, processed: half, changed: 1, startedAt: new Date() });
    const before = await stored();
    const changing = before.slice(half).filter((record) => changedBy(record, policyC)).length;

    const run = await runCli('policy', ['re-evaluate', '--batch', '3'], env(fileC));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /resuming after 4 users/);
    const after = await stored();
    for (const [index, record] of after.entries()) {
      if (index < half) {
        assert.equal(record.version, before[index]?.version, 'users before the checkpoint are not processed again');
        assert.notEqual(record.lifecycle?.policyFingerprint, policyC.fingerprint);
      } else {
        assertFollows(record, policyC);
      }
    }
    const job = await storage.jobs.get(JOB_ID);
    assert.equal(job?.processed, PEOPLE.length);
    assert.equal(job?.changed, 1 + changing);
    assert.ok(job?.finishedAt);
  });

  it('Ctrl-C finishes the current user, saves the checkpoint and exits 130; the next run completes', async () => {
    // Policy D: nobody gets the baseline any more, and no sales manager role: most users change.
    const d = await examplePolicy();
    d.roles['engineer']?.permissions.push('ci:approve');
    d.rules = d.rules.filter((rule) => rule.name !== 'sales-managers' && rule.name !== 'employee-baseline');
    const fileD = await writePolicy('policy-d.json', d);
    const policyD = loadPolicy(fileD);

    const before = await stored();
    let sent = false;
    const interrupted = await runCli('policy', ['re-evaluate', '--batch', '1'], env(fileD), { onStderr: (stderr, child) => {
      if (!sent && /\[policy\] \d+% 1\//.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    } });
    assert.equal(interrupted.code, 130, interrupted.stderr);
    assert.match(interrupted.stderr, /SIGINT: finishing the current user/);
    assert.match(interrupted.stderr, /run the command again to resume/);
    const saved = await storage.jobs.get(JOB_ID);
    assert.equal(saved?.fingerprint, policyD.fingerprint);
    assert.equal(saved?.finishedAt, undefined);
    assert.ok(saved && saved.processed >= 1 && saved.processed < PEOPLE.length, `processed ${saved?.processed}`);
    // Of the users the new policy changes, exactly those up to the checkpoint were written.
    const middle = await stored();
    for (const [index, record] of middle.entries()) {
      if (!changedBy(before[index] as ResourceRecord, policyD)) continue;
      assert.equal(record.lifecycle?.policyFingerprint === policyD.fingerprint, index < (saved?.processed ?? 0), `user ${index}`);
    }

    const resumed = await runCli('policy', ['re-evaluate'], env(fileD));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`resuming after ${saved?.processed} users?`));
    for (const record of await stored()) assertFollows(record, policyD);
    assert.equal((await storage.jobs.get(JOB_ID))?.processed, PEOPLE.length);
  });

  it('exits 1 with the policy problems when the policy is bad, writing nothing', async () => {
    const bad = await examplePolicy();
    (bad.rules[0] as unknown as { grant: string[] }).grant = ['no-such-role'];
    const file = await writePolicy('bad.json', bad);
    const expected = (() => {
      try {
        loadPolicy(file);
      } catch (error) {
        if (error instanceof PolicyError) return error.message;
      }
      assert.fail('the policy should be rejected');
    })();
    const before = await stored();
    const run = await runCli('policy', ['re-evaluate'], env(file));
    assert.equal(run.code, 1);
    // One line per problem, each naming the command.
    for (const line of expected.split('\n')) assert.ok(run.stderr.includes(`policy re-evaluate: ${line}\n`), run.stderr);
    assert.deepEqual((await stored()).map((record) => record.version), before.map((record) => record.version));
  });

  it('exits 1 with one clear line on a bad configuration or an unreachable database, 2 on bad arguments', async () => {
    const config = await runCli('policy', ['re-evaluate'], { MONGODB_URI: 'http://nowhere', POLICY_FILE: fileB });
    assert.equal(config.code, 1);
    assert.match(config.stderr, /MONGODB_URI: must be a mongodb:\/\//);

    const unreachable = await runCli('policy', ['re-evaluate'], { MONGODB_URI: 'mongodb://user:secret@127.0.0.1:1/scim', POLICY_FILE: fileB });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach the database at mongodb:\/\/\*\*\*@127\.0\.0\.1:1\/scim/);
    assert.ok(!unreachable.stderr.includes('secret'));

    const usage = await runCli('policy', ['re-evaluate', '--batch', 'many'], env(fileB));
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^policy re-evaluate: --batch must be a whole number from 1 to 10000, not "many"; see "npm run policy -- re-evaluate --help"\n$/);
    const unknown = await runCli('policy', ['frobnicate'], env(fileB));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });
});

describe('policy re-evaluate (CLI) on the embedded engine in DATA_DIR', function () {
  this.timeout(180_000);
  let dataDir: string;

  before(function () {
    // These start embedded engines of their own; a run against MongoDB may have none built.
    if (process.env.MONGODB_URI) this.skip();
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'scim-policy-cli-data-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("uses the running server's engine (DATA_DIR/engine.json) rather than opening a second one", async () => {
    const server = await startServer({ DATA_DIR: dataDir, POLICY_FILE: EXAMPLE_POLICY });
    try {
      const record = JSON.parse(await readFile(path.join(dataDir, 'engine.json'), 'utf8')) as { uri: string; pid: number };
      assert.equal(record.pid, server.child.pid);
      assert.equal(record.uri, `mongodb://${encodeURIComponent(path.join(dataDir, 'engine.sock'))}/scim`);
      const run = await runCli('policy', ['re-evaluate'], { DATA_DIR: dataDir, POLICY_FILE: EXAMPLE_POLICY });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, new RegExp(`using the engine of the server running on .* \\(pid ${server.child.pid}\\)`));
      assert.doesNotMatch(run.stderr, /starting the embedded engine/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.equal(existsSync(path.join(dataDir, 'engine.json')), false, 'removed on a clean stop');
  });

  it('starts an engine of its own, and says so, when the recorded server is gone and DATA_DIR holds data', async () => {
    assert.equal((await runCli('tokens', ['create', '--name', 'seed', '--scopes', 'scim:read', '--init'], { DATA_DIR: dataDir })).code, 0);
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    await writeFile(path.join(dataDir, 'engine.json'), JSON.stringify({ uri: `mongodb://${encodeURIComponent(path.join(dataDir, 'engine.sock'))}/scim`, pid: gone.pid }));
    const run = await runCli('policy', ['re-evaluate'], { DATA_DIR: dataDir, POLICY_FILE: EXAMPLE_POLICY });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stderr.includes(`no server is running on ${dataDir}: starting the embedded engine there (it stops when this command ends)`), run.stderr);
    assert.match(run.stdout, /re-evaluated 0 users/);
  });
});
