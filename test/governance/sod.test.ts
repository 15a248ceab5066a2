import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import { parsePolicy, PolicyError } from '../../src/lifecycle/policy/load.js';
import type { BlockedGrant } from '../../src/lifecycle/types.js';
import { ENTERPRISE, GROUP_SCHEMA, sweep, startTestApp, USER_SCHEMA, type TestApp } from '../support/app.js';
import { runCli } from '../support/cli.js';
import { testDatabaseUri } from '../support/engine.js';
import { auditOf, context, eventsOf, expectStatus, lifecycleIn, oktaClient, patchOp, responseRoles, storedLifecycle, TENANT, typesOf, uniqueName, type Body, type Client } from '../lifecycle/helpers.js';
import { runServerExpectingFailure } from '../server/server-process.js';
import { bindToken, decodeSet, poll, streamAdmin } from '../support/streams.js';

/**
 * Separation of duties (issue 15 §3): the policy's `conflicts` name roles and permissions one
 * person must not hold together. `flag` keeps the grants, reports the conflict in the access review
 * and announces it once; `block` withholds the grant that would complete the set (a direct grant
 * from the IdP is dropped, a policy grant held back), the request still succeeds, and an event and
 * the audit entry say which grant, which conflict and why. Conflicts arise from policy rules, from
 * direct grants and from group membership changes alike.
 */

const ADMIN_TOKEN = 'admin-token-for-sod-tests-0123456789';

const POLICY = {
  roles: {
    'sales-rep': { permissions: ['crm:read', 'crm:write'] },
    'sales-manager': { permissions: ['crm:read', 'crm:approve-discount'] },
    'payroll-admin': { permissions: ['payroll:write'] },
    'payroll-approver': { permissions: ['payroll:approve'] },
    'vendor-admin': { permissions: ['vendor:create'] },
    'ap-clerk': { permissions: ['invoice:pay'] },
    engineer: { permissions: ['git:write'] },
    'release-manager': { permissions: ['deploy:prod'] },
  },
  rules: [
    { name: 'sales-reps', grant: ['sales-rep'], when: { attribute: 'department', equals: 'Sales' } },
    { name: 'sales-managers', grant: ['sales-manager'], when: { attribute: 'title', startsWith: 'Sales Manager' } },
    { name: 'payroll-admins', grant: ['payroll-admin'], when: { attribute: 'department', equals: 'Payroll' } },
    { name: 'payroll-approvers', grant: ['payroll-approver'], when: { memberOf: 'Payroll Approvers' } },
    { name: 'procurement', grant: ['vendor-admin'], when: { attribute: 'title', equals: 'Procurement Officer' } },
    { name: 'engineers', grant: ['engineer'], when: { attribute: 'department', equals: 'Engineering' } },
    { name: 'release-managers', grant: ['release-manager'], when: { memberOf: 'Release Managers' } },
  ],
  conflicts: [
    { name: 'sell-and-discount', mode: 'flag', roles: ['sales-rep', 'sales-manager'] },
    { name: 'payroll-four-eyes', mode: 'block', description: 'Who runs payroll does not approve it.', roles: ['payroll-admin', 'payroll-approver'] },
    { name: 'vendor-and-payment', mode: 'block', permissions: ['vendor:create', 'invoice:pay'] },
    { name: 'code-and-release', mode: 'flag', roles: ['engineer', 'release-manager'] },
  ],
};

function person(userName: string, attributes: Body = {}, enterprise: Body = {}): Body {
  return { schemas: [USER_SCHEMA, ENTERPRISE], userName, active: true, ...attributes, [ENTERPRISE]: enterprise };
}

const roleValues = (body: Body, attribute: 'roles' | 'entitlements') => ((body[attribute] ?? []) as Body[]).map((item) => item['value']);

describe('governance: separation of duties', function () {
  this.timeout(120_000);
  let t: TestApp;
  let okta: Client;
  let dir: string;
  let policyFile: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sod-test-'));
    policyFile = path.join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(POLICY, null, 2));
    t = await startTestApp('governance-sod', { POLICY_FILE: policyFile, ADMIN_TOKEN });
    okta = oktaClient(t);
    // A pulling app that follows separation of duties only, subscribed before anything happens.
    expectStatus(await streamAdmin(t, ADMIN_TOKEN).create({ name: 'sod-watch', events: ['user.sod_conflict', 'user.sod_blocked'] }), 201);
  });

  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function create(body: Body): Promise<{ id: string; body: Body }> {
    const response = await okta.post('/Users', body);
    assert.equal(response.status, 201, context(response));
    return { id: String(response.body.id), body: response.body as Body };
  }

  async function createGroup(displayName: string, members: string[] = []): Promise<string> {
    const response = await okta.post('/Groups', { schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })) });
    expectStatus(response, 201);
    return String(response.body.id);
  }

  async function addMember(groupId: string, userId: string): Promise<void> {
    expectStatus(await okta.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: userId }] })), 200, 204);
  }

  /** Events of one type for the user, and the audit entries announcing it: each must be stored exactly once. */
  async function announced(id: string, type: 'user.sod_conflict' | 'user.sod_blocked') {
    const events = (await eventsOf(t, id)).filter((event) => event.type === type);
    const entries = (await auditOf(t, id)).filter((entry) => entry.events.includes(type));
    assert.equal(new Set(events.map((event) => event.id)).size, events.length, 'no event stored twice');
    assert.equal(new Set(entries.map((entry) => entry.id)).size, entries.length, 'no audit entry stored twice');
    return { events, entries };
  }

  const reevaluateAll = async () => {
    const run = await runCli('policy', ['re-evaluate', '--restart'], { MONGODB_URI: testDatabaseUri(t.dbName!), POLICY_FILE: policyFile });
    assert.equal(run.code, 0, run.stderr);
  };

  /** The engineer in "Release Managers" (flag conflict code-and-release), for the policy edit at the end. */
  let codeReleaseId: string;

  describe('flag: the grants are kept and the conflict reported', () => {
    let salesId: string;

    it('a conflict arising from policy rules: both roles granted, one user.sod_conflict with the provisioning, in the same audit entry', async () => {
      const { id, body } = await create(person(uniqueName('sell-discount'), { title: 'Sales Manager EMEA' }, { department: 'Sales' }));
      salesId = id;
      assert.deepEqual(responseRoles(body), ['sales-manager', 'sales-rep']);
      assert.deepEqual(lifecycleIn(body)['permissions'], ['crm:approve-discount', 'crm:read', 'crm:write']);
      assert.deepEqual(typesOf(await eventsOf(t, id)), ['user.provisioned', 'user.sod_conflict']);
      const { events, entries } = await announced(id, 'user.sod_conflict');
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]!.data['conflicts'], [{ name: 'sell-and-discount', mode: 'flag', members: ['sales-rep', 'sales-manager'] }]);
      assert.deepEqual(entries.map((entry) => entry.operation), ['create']);
      assert.deepEqual(entries[0]!.events, ['user.provisioned', 'user.sod_conflict']);
      assert.deepEqual((await storedLifecycle(t, id)).sod, { flagged: ['sell-and-discount'], withheld: [] });
    });

    it('an unrelated change, a no-op PATCH and a policy re-evaluation announce nothing again', async () => {
      expectStatus(await okta.patch(`/Users/${salesId}`, patchOp({ op: 'replace', path: 'displayName', value: 'Sam Seller' })), 200);
      const version = (await t.storage.users.get(TENANT, salesId))!.version;
      expectStatus(await okta.patch(`/Users/${salesId}`, patchOp({ op: 'replace', path: 'displayName', value: 'Sam Seller' })), 200);
      await reevaluateAll();
      await sweep(t);
      assert.equal((await t.storage.users.get(TENANT, salesId))!.version, version, 'nothing written after the rename');
      assert.deepEqual(typesOf(await eventsOf(t, salesId)), ['user.provisioned', 'user.sod_conflict']);
      assert.equal((await announced(salesId, 'user.sod_conflict')).events.length, 1);
      assert.deepEqual((await auditOf(t, salesId)).at(-1)!.events, [], 'the rename carries no event');
    });

    it('a conflict arising from a group membership change (PATCH on the Group): user.roles_changed and user.sod_conflict, once', async () => {
      const { id } = await create(person(uniqueName('code-release'), {}, { department: 'Engineering' }));
      codeReleaseId = id;
      const group = await createGroup('Release Managers');
      await addMember(group, id);
      const lifecycle = await storedLifecycle(t, id);
      assert.deepEqual(lifecycle.grants.map((grant) => grant.name).sort(), ['engineer', 'release-manager']);
      assert.deepEqual(typesOf(await eventsOf(t, id)), ['user.provisioned', 'user.roles_changed', 'user.sod_conflict']);
      const { events, entries } = await announced(id, 'user.sod_conflict');
      assert.equal(events.length, 1);
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.operation, 'membership');
      assert.deepEqual(lifecycle.sod?.flagged, ['code-and-release']);
    });

    it('the access review lists flagged conflicts (JSON and CSV), with the grants that make them', async () => {
      const review = await supertest(t.app).get('/admin/access-review?staleDays=30').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      assert.equal(review.status, 200, context(review));
      const row = (review.body.sodConflicts as Body[]).find((candidate) => candidate['userId'] === salesId);
      assert.ok(row, JSON.stringify(review.body.sodConflicts));
      assert.deepEqual(row, { userId: salesId, userName: row['userName'], conflict: 'sell-and-discount', mode: 'flag', members: ['sales-rep', 'sales-manager'], grants: ['role:sales-manager', 'role:sales-rep'] });
      assert.equal(review.body.summary.sodConflicts, (review.body.sodConflicts as Body[]).length);
      assert.ok((review.body.sodConflicts as Body[]).every((candidate) => candidate['mode'] === 'flag'), 'a block conflict is never held');

      const csv = await supertest(t.app).get('/admin/access-review?staleDays=30&format=csv').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      assert.equal(csv.status, 200);
      const rows = (parse(csv.text) as string[][]).filter((cells) => cells[0] === 'sod-conflict');
      assert.equal(rows.length, review.body.summary.sodConflicts);
      const line = rows.find((cells) => cells[1] === salesId);
      assert.deepEqual(line?.slice(4), ['', 'sell-and-discount', '', '', 'flag: sales-rep sales-manager (from role:sales-manager role:sales-rep)']);
    });
  });

  describe('block: the grant that would complete the set is withheld, the request succeeds', () => {
    /** The one user.sod_blocked of the user, checked against its audit entry. */
    async function onlyBlocked(id: string): Promise<BlockedGrant[]> {
      const { events, entries } = await announced(id, 'user.sod_blocked');
      assert.equal(events.length, 1, 'one user.sod_blocked');
      assert.equal(entries.length, 1, 'one audit entry saying so');
      assert.deepEqual(entries[0]!.blocked, events[0]!.data['blocked']);
      return entries[0]!.blocked!;
    }

    it('a group membership (PATCH on the Group) whose policy role completes the set: the role withheld, the membership kept', async () => {
      const { id } = await create(person(uniqueName('payroll-admin'), {}, { department: 'Payroll' }));
      payrollAdminId = id;
      const group = await createGroup('Payroll Approvers');
      await addMember(group, id);
      const members = (await okta.get(`/Groups/${group}`)).body.members as Body[];
      assert.deepEqual(members.map((member) => member['value']), [id], 'the group keeps its member');
      const lifecycle = await storedLifecycle(t, id);
      assert.deepEqual(lifecycle.grants.map((grant) => grant.name), ['payroll-admin'], 'the user keeps their other grants');
      assert.deepEqual(lifecycle.permissions, ['payroll:write']);
      const [blocked] = await onlyBlocked(id);
      assert.deepEqual(blocked!.grant, { kind: 'role', name: 'payroll-approver', source: 'policy', rules: ['payroll-approvers'] });
      assert.equal(blocked!.conflict, 'payroll-four-eyes');
      assert.deepEqual(blocked!.heldWith, ['payroll-admin']);
      assert.match(blocked!.reason, /would complete the conflict "payroll-four-eyes"/);
      assert.deepEqual(typesOf(await eventsOf(t, id)), ['user.provisioned', 'user.sod_blocked'], 'no user.roles_changed: no grant changed');

      // Re-evaluations that change nothing withhold the role again, silently.
      expectStatus(await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'title', value: 'Payroll Lead' })), 200);
      await reevaluateAll();
      await sweep(t);
      assert.equal((await onlyBlocked(id)).length, 1);

      // Once the user leaves Payroll, the approver role is granted.
      expectStatus(await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Finance' })), 200);
      const after = await storedLifecycle(t, id);
      assert.deepEqual(after.grants.map((grant) => grant.name), ['payroll-approver']);
      assert.equal(after.sod, undefined);
      assert.deepEqual(typesOf(await eventsOf(t, id)).slice(-1), ['user.roles_changed']);
    });

    let withheldFrom: string;
    let payrollAdminId: string;

    it('a policy rule completing the set against a direct role: the direct role, held first, stays; the policy role is withheld', async () => {
      const { id } = await create(person(uniqueName('direct-approver'), { roles: [{ value: 'payroll-approver', primary: true }] }));
      const response = await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Payroll' }));
      assert.equal(response.status, 200, context(response));
      assert.deepEqual(responseRoles(response.body as Body), ['payroll-approver']);
      assert.deepEqual(roleValues(response.body as Body, 'roles'), ['payroll-approver']);
      const [blocked] = await onlyBlocked(id);
      assert.deepEqual(blocked!.grant, { kind: 'role', name: 'payroll-admin', source: 'policy', rules: ['payroll-admins'] });
      withheldFrom = id;
    });

    it('the access review: a withheld policy role is not drift, and no block conflict is held', async () => {
      const review = await supertest(t.app).get('/admin/access-review').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      assert.equal(review.status, 200, context(review));
      assert.ok(!(review.body.drift as Body[]).some((row) => row['userId'] === withheldFrom), JSON.stringify(review.body.drift));
      assert.deepEqual((review.body.drift as Body[]).length, 0);
      assert.ok(!(review.body.sodConflicts as Body[]).some((row) => row['mode'] === 'block'));
    });

    it('a direct entitlement from the IdP completing the set: dropped from the user, recorded, the PATCH still 200', async () => {
      const { id } = await create(person(uniqueName('procurement'), { title: 'Procurement Officer', entitlements: [{ value: 'vpn:connect' }] }));
      const response = await okta.patch(`/Users/${id}`, patchOp({ op: 'add', path: 'entitlements', value: [{ value: 'invoice:pay' }] }));
      assert.equal(response.status, 200, context(response));
      const body = response.body as Body;
      assert.deepEqual(roleValues(body, 'entitlements'), ['vpn:connect'], 'the dropped entitlement is not stored');
      assert.deepEqual(lifecycleIn(body)['permissions'], ['vendor:create', 'vpn:connect']);
      assert.deepEqual(roleValues((await t.storage.users.get(TENANT, id))!.attributes, 'entitlements'), ['vpn:connect']);
      const [blocked] = await onlyBlocked(id);
      assert.deepEqual(blocked!.grant, { kind: 'permission', name: 'invoice:pay', source: 'direct' });
      assert.equal(blocked!.conflict, 'vendor-and-payment');
      assert.deepEqual(blocked!.heldWith, ['vendor:create']);
      const entry = (await auditOf(t, id)).at(-1)!;
      assert.deepEqual(entry.events, ['user.sod_blocked']);
      assert.deepEqual(entry.grantsAdded, [], 'nothing was granted');
    });

    it('a direct role sent with the creation: the policy grant wins, the direct role is dropped, the user still created', async () => {
      const { id, body } = await create(person(uniqueName('new-clerk'), { title: 'Procurement Officer', roles: [{ value: 'ap-clerk' }, { value: 'unknown-role' }] }));
      assert.deepEqual(responseRoles(body), ['vendor-admin']);
      assert.deepEqual(roleValues(body, 'roles'), ['unknown-role'], 'only the blocked value goes');
      const [blocked] = await onlyBlocked(id);
      assert.deepEqual(blocked!.grant, { kind: 'role', name: 'ap-clerk', source: 'direct' });
      assert.deepEqual(typesOf(await eventsOf(t, id)), ['user.provisioned', 'user.sod_blocked']);
    });

    it('the IdP sending the blocked role again is a new attempt, recorded again; a re-evaluation is not', async () => {
      const { id } = await create(person(uniqueName('resend'), { title: 'Procurement Officer' }));
      const current = (await okta.get(`/Users/${id}`)).body as Body;
      const withClerk = { ...current, roles: [{ value: 'ap-clerk' }] };
      expectStatus(await okta.put(`/Users/${id}`, withClerk), 200);
      await reevaluateAll();
      expectStatus(await okta.put(`/Users/${id}`, withClerk), 200);
      await sweep(t);
      const { events, entries } = await announced(id, 'user.sod_blocked');
      assert.equal(events.length, 2);
      assert.deepEqual(entries.map((entry) => entry.operation), ['replace', 'replace']);
    });

    it('a stream subscribed to the two types gets each event once, as a SET with our event URI', async () => {
      const token = await bindToken(t, 'sod-watch-reader', 'sod-watch');
      const answer = await poll(t, token, 'sod-watch', { returnImmediately: true, maxEvents: 1000 });
      assert.equal(answer.status, 200);
      const sets = Object.values(answer.sets).map((set) => decodeSet(set).claims);
      const uris = sets.map((claims) => Object.keys(claims.events ?? {})[0]);
      assert.ok(uris.every((uri) => uri === 'urn:scim-identity-server:event:user.sod_conflict' || uri === 'urn:scim-identity-server:event:user.sod_blocked'), JSON.stringify(uris));
      const payroll = sets.filter((claims) => claims.sub_id?.uri === `/Users/${payrollAdminId}`);
      assert.equal(payroll.length, 1);
      const blocked = payroll[0]!.events!['urn:scim-identity-server:event:user.sod_blocked']!['blocked'] as Body[];
      assert.deepEqual(blocked.map((entry) => [entry['grant']['name'], entry['conflict']]), [['payroll-approver', 'payroll-four-eyes']]);
    });
  });

  describe('a policy edit', () => {
    const shipOwnCode = { name: 'ship-own-code', mode: 'flag', roles: ['engineer'], permissions: ['deploy:prod'] };

    /** Re-evaluates every user under an edited policy, twice: the second run must change nothing. */
    async function reevaluateTwiceUnder(conflicts: unknown[]): Promise<void> {
      const edited = path.join(dir, 'edited.json');
      writeFileSync(edited, JSON.stringify({ ...POLICY, conflicts }));
      for (let run = 0; run < 2; run += 1) {
        const reevaluated = await runCli('policy', ['re-evaluate', '--restart'], { MONGODB_URI: testDatabaseUri(t.dbName!), POLICY_FILE: edited });
        assert.equal(reevaluated.code, 0, reevaluated.stderr);
      }
      await sweep(t);
    }

    it('a new flag conflict over grants already held: announced once by policy re-evaluate, the grants untouched', async () => {
      const grantsBefore = (await storedLifecycle(t, codeReleaseId)).grants;
      await reevaluateTwiceUnder([...POLICY.conflicts, shipOwnCode]);
      const lifecycle = await storedLifecycle(t, codeReleaseId);
      assert.deepEqual(lifecycle.grants, grantsBefore);
      assert.deepEqual(lifecycle.sod?.flagged, ['code-and-release', 'ship-own-code']);
      const { events, entries } = await announced(codeReleaseId, 'user.sod_conflict');
      assert.equal(events.length, 2, 'the first conflict when it arose, the new one after the edit');
      assert.deepEqual(events[1]!.data['conflicts'], [{ name: 'ship-own-code', mode: 'flag', members: ['engineer', 'deploy:prod'] }]);
      assert.deepEqual(entries[1]!.events, ['user.sod_conflict']);
      assert.equal(entries[1]!.operation, 'reevaluate');
    });

    it('turning a held flag conflict into block: policy re-evaluate withholds the later grant by the documented order, once', async () => {
      const conflicts = POLICY.conflicts.map((conflict) => (conflict.name === 'code-and-release' ? { ...conflict, mode: 'block' } : conflict));
      await reevaluateTwiceUnder([...conflicts, shipOwnCode]);
      const lifecycle = await storedLifecycle(t, codeReleaseId);
      assert.deepEqual(lifecycle.grants.map((grant) => grant.name), ['engineer'], 'both policy roles, so the later by name goes');
      assert.deepEqual(lifecycle.sod?.withheld.map((entry) => entry.conflict), ['code-and-release']);
      assert.deepEqual(typesOf(await eventsOf(t, codeReleaseId)).slice(-2), ['user.roles_changed', 'user.sod_blocked']);
      const { events, entries } = await announced(codeReleaseId, 'user.sod_blocked');
      assert.equal(events.length, 1, 'the second run changed nothing and announced nothing');
      assert.equal(entries[0]!.operation, 'reevaluate');
      assert.deepEqual(entries[0]!.grantsRevoked.map((grant) => grant.name), ['release-manager']);
    });
  });

  describe('bad conflicts: the policy is refused, naming the file, the conflict and the problem', () => {
    const withConflicts = (conflicts: unknown) => ({ ...POLICY, conflicts });
    const cases: [string, unknown, string][] = [
      ['an unknown role', [{ name: 'c', mode: 'block', roles: ['payroll-admin', 'payroll-boss'] }], 'conflicts[0] "c" /conflicts/0/roles/1: names the role "payroll-boss", which is not defined under "roles"'],
      ['a permission no role grants', [{ name: 'c', mode: 'flag', permissions: ['crm:read', 'crm:delete'] }], 'conflicts[0] "c" /conflicts/0/permissions/1: names the permission "crm:delete", which no role grants'],
      ['an empty set', [{ name: 'c', mode: 'block', roles: [] }], 'conflicts[0] "c" /conflicts/0: names no member: a conflict needs at least two'],
      ['no members at all', [{ name: 'c', mode: 'block' }], 'conflicts[0] "c" /conflicts/0: names no member'],
      ['a one-element set', [{ name: 'c', mode: 'flag', roles: ['engineer'] }], 'conflicts[0] "c" /conflicts/0: names one member: a conflict needs at least two'],
      [
        'duplicate names',
        [
          { name: 'Four-Eyes', mode: 'block', roles: ['payroll-admin', 'payroll-approver'] },
          { name: 'four-eyes', mode: 'flag', roles: ['engineer', 'release-manager'] },
        ],
        'conflicts[1] "four-eyes" /conflicts/1/name: repeats the name of conflicts[0]; conflict names must be unique (ignoring case)',
      ],
      ['an unknown mode', [{ name: 'c', mode: 'warn', roles: ['engineer', 'release-manager'] }], 'conflicts[0] "c" /conflicts/0/mode: must be one of "flag", "block", not "warn"'],
      ['a missing mode', [{ name: 'c', roles: ['engineer', 'release-manager'] }], 'conflicts[0] "c" /conflicts/0/mode: is required but missing'],
      ['a missing name', [{ mode: 'flag', roles: ['engineer', 'release-manager'] }], 'conflicts[0] /conflicts/0/name: is required but missing'],
      ['a repeated member', [{ name: 'c', mode: 'flag', roles: ['engineer', 'engineer'] }], 'conflicts[0] "c" /conflicts/0/roles/1: repeats "engineer", already at index 0'],
      ['a role that alone holds the set', [{ name: 'c', mode: 'block', roles: ['sales-manager'], permissions: ['crm:approve-discount'] }], 'conflicts[0] "c" /conflicts/0: the role "sales-manager" alone holds every member'],
      ['conflicts that are not a list', { name: 'c' }, '/conflicts: must be an array, not an object'],
    ];

    for (const [what, conflicts, expected] of cases) {
      it(`refuses ${what}`, () => {
        let error: unknown;
        try {
          parsePolicy(withConflicts(conflicts), 'access-policy.json');
        } catch (caught) {
          error = caught;
        }
        assert.ok(error instanceof PolicyError, `expected a PolicyError for ${what}`);
        assert.equal(error.problems.length, 1, error.message);
        assert.ok(error.message.startsWith(`access-policy.json: ${expected}`), error.message);
      });
    }

    it('accepts a policy without conflicts, and sets mixing roles and permissions', () => {
      const { conflicts: _none, ...withoutConflicts } = POLICY;
      assert.deepEqual(parsePolicy(withoutConflicts, 'p.json').conflicts, []);
      const mixed = parsePolicy(withConflicts([{ name: 'm', mode: 'block', roles: ['ap-clerk'], permissions: ['vendor:create'] }]), 'p.json');
      assert.equal(mixed.conflicts[0]?.name, 'm');
    });

    it('the server refuses to start with such a file, and says why', async () => {
      const file = path.join(dir, 'bad-conflicts.json');
      writeFileSync(file, JSON.stringify(withConflicts([{ name: 'four-eyes', mode: 'block', roles: ['payroll-admin'] }])));
      const { code, stderr } = await runServerExpectingFailure({ POLICY_FILE: file, SCIM_BEARER_TOKEN: 'a-static-token-of-32-characters!' });
      assert.equal(code, 1);
      const fatal = stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg: string }).find((line) => line.level === 60);
      assert.ok(fatal, stderr);
      assert.equal(fatal.msg, `${file}: conflicts[0] "four-eyes" /conflicts/0: names one member: a conflict needs at least two (under "roles", "permissions" or both)`);
    });
  });
});
