import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXAMPLE_POLICY_FILE, loadPolicy } from '../../src/lifecycle/policy/load.js';
import { runCli } from '../support/cli.js';
import { testDatabaseUri } from '../support/engine.js';
import { ENTERPRISE, LIFECYCLE, startTestApp, user, USER_SCHEMA, type TestApp } from '../support/app.js';

/**
 * Issue 15 §2: a policy edit re-evaluated over the directory writes only the users whose grants or
 * permissions change, so a pulling app's delta sync (`meta.lastModified gt <watermark>`) sees
 * exactly them, and nobody else's meta.version moves.
 */

const USERS = 50;
/** Every tenth user works in Legal: the edit below concerns exactly them (10%). */
const isLegal = (index: number) => index % 10 === 0;

type PolicyJson = { roles: Record<string, { description?: string; permissions: string[] }>; rules: unknown[] } & Record<string, unknown>;

interface Seeded {
  id: string;
  legal: boolean;
}

interface Seen {
  version: string;
  lastModified: string;
  permissions: string[];
}

describe('policy re-evaluate writes only the users whose access changes (no churn)', function () {
  this.timeout(180_000);
  let t: TestApp;
  let dir: string;
  let env: (policyFile: string) => Record<string, string>;
  const seeded: Seeded[] = [];

  async function examplePolicy(): Promise<PolicyJson> {
    const json = JSON.parse(await readFile(EXAMPLE_POLICY_FILE, 'utf8')) as PolicyJson;
    delete json['$schema'];
    return json;
  }

  async function writePolicy(name: string, json: unknown): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, JSON.stringify(json, null, 2));
    return file;
  }

  /** What a SCIM client sees of every seeded user. */
  async function seen(): Promise<Map<string, Seen>> {
    const result = new Map<string, Seen>();
    for (const { id } of seeded) {
      const response = await t.scim.get(`/Users/${id}`).expect(200);
      const body = response.body as { meta: { version: string; lastModified: string }; [LIFECYCLE]: { permissions: string[] } };
      result.set(id, { version: body.meta.version, lastModified: body.meta.lastModified, permissions: body[LIFECYCLE].permissions });
    }
    return result;
  }

  /** The delta a pulling app asks for after its last full read. */
  async function changedSince(watermark: string): Promise<string[]> {
    const filter = encodeURIComponent(`meta.lastModified gt "${watermark}"`);
    const response = await t.scim.get(`/Users?filter=${filter}&count=1000`).expect(200);
    const body = response.body as { totalResults: number; Resources?: { id: string }[] };
    return (body.Resources ?? []).map((resource) => resource.id).sort();
  }

  async function reevaluateEntries(): Promise<number> {
    let total = 0;
    for (const { id } of seeded) total += (await t.storage.audit.query({ tenant: 'default', resourceId: id, limit: 100 })).filter((entry) => entry.operation === 'reevaluate').length;
    return total;
  }

  const legalIds = () => seeded.filter((entry) => entry.legal).map((entry) => entry.id).sort();

  before(async () => {
    t = await startTestApp('cli-policy-churn');
    dir = await mkdtemp(path.join(os.tmpdir(), 'scim-policy-churn-'));
    const uri = testDatabaseUri(t.dbName ?? '');
    env = (policyFile) => ({ MONGODB_URI: uri, POLICY_FILE: policyFile });
    for (let index = 0; index < USERS; index += 1) {
      const department = isLegal(index) ? 'Legal' : ['Engineering', 'Sales', 'Finance'][index % 3];
      const body = user(`churn.${index}@example.com`, { schemas: [USER_SCHEMA, ENTERPRISE], userType: 'Employee', [ENTERPRISE]: { employeeNumber: String(1000 + index), department } });
      const response = await t.scim.post('/Users').send(body).expect(201);
      seeded.push({ id: String((response.body as { id: string }).id), legal: isLegal(index) });
    }
  });

  after(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('an edit granting a new role to Legal (10% of users) changes exactly their versions and lastModified; the delta sync returns exactly them', async () => {
    // Besides the new role, a description changes: the policy's fingerprint moves, nobody's access does.
    const draft = await examplePolicy();
    draft.roles['legal-counsel'] = { permissions: ['contracts:read'] };
    draft.rules.push({ name: 'legal', grant: ['legal-counsel'], when: { attribute: 'department', equals: 'Legal' } });
    const salesRep = draft.roles['sales-rep'];
    assert.ok(salesRep);
    salesRep.description = 'Reworded: sales staff who sell.';
    const file = await writePolicy('legal.json', draft);

    const before = await seen();
    await sleep(10);
    const watermark = new Date().toISOString();
    await sleep(10);
    const run = await runCli('policy', ['re-evaluate'], env(file));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`re-evaluated ${USERS} users against policy \\w+: ${USERS / 10} changed`));

    const after = await seen();
    for (const { id, legal } of seeded) {
      const [was, now] = [before.get(id), after.get(id)];
      if (legal) {
        assert.notEqual(now?.version, was?.version, `${id} (Legal) gets a new version`);
        assert.ok(String(now?.lastModified) > watermark, `${id} (Legal) lastModified moves`);
        assert.ok(now?.permissions.includes('contracts:read'));
      } else {
        assert.deepEqual(now, was, `${id} (not Legal): version, lastModified and permissions unchanged`);
      }
    }
    assert.deepEqual(await changedSince(watermark), legalIds());
    assert.equal(await reevaluateEntries(), USERS / 10, 'an audit entry for each changed user, none for the others');

    // Everyone is known to follow the new policy (the console's overview counts those who do not), meta or not.
    const fingerprint = loadPolicy(file).fingerprint;
    for (const { id } of seeded) assert.equal((await t.storage.users.get('default', id))?.lifecycle?.policyFingerprint, fingerprint);
    const census = await t.storage.users.census('default', { policyFingerprint: fingerprint, staleBefore: new Date(0) });
    assert.equal(census.otherPolicy, 0);
  });

  it('a second re-evaluate is a no-op: nothing to do, and --restart changes 0 users', async () => {
    const draft = await examplePolicy();
    draft.roles['legal-counsel'] = { permissions: ['contracts:read'] };
    draft.rules.push({ name: 'legal', grant: ['legal-counsel'], when: { attribute: 'department', equals: 'Legal' } });
    (draft.roles['sales-rep'] as { description?: string }).description = 'Reworded: sales staff who sell.';
    const file = await writePolicy('legal-again.json', draft);
    const before = await seen();
    const entries = await reevaluateEntries();

    const again = await runCli('policy', ['re-evaluate'], env(file));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to do/);
    const restarted = await runCli('policy', ['re-evaluate', '--restart'], env(file));
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stdout, new RegExp(`re-evaluated ${USERS} users against policy \\w+: 0 changed`));

    assert.deepEqual(await seen(), before);
    assert.equal(await reevaluateEntries(), entries, 'no audit entry for a user that did not change');
  });

  it('a role whose permissions change changes exactly its holders (permissions are visible), each with a user.roles_changed event', async () => {
    const draft = await examplePolicy();
    draft.roles['legal-counsel'] = { permissions: ['contracts:read', 'contracts:sign'] };
    draft.rules.push({ name: 'legal', grant: ['legal-counsel'], when: { attribute: 'department', equals: 'Legal' } });
    const file = await writePolicy('legal-sign.json', draft);
    const before = await seen();
    const watermark = [...before.values()].map((entry) => entry.lastModified).sort().at(-1) ?? '';

    const run = await runCli('policy', ['re-evaluate'], env(file));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`: ${USERS / 10} changed`));
    assert.deepEqual(await changedSince(watermark), legalIds());
    const after = await seen();
    for (const id of legalIds()) {
      assert.ok(after.get(id)?.permissions.includes('contracts:sign'));
      const events = (await t.storage.events.forSubject('default', id)).filter((event) => event.type === 'user.roles_changed');
      assert.deepEqual(events.at(-1)?.data['permissions'], after.get(id)?.permissions);
    }
  });
});
