import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type supertest from 'supertest';
import { effectivePermissions, grantsFor } from '../../src/lifecycle/grants.js';
import type { Policy } from '../../src/lifecycle/policy/types.js';
import { transitionUser } from '../../src/lifecycle/user-transition.js';
import { parseResourceBody } from '../../src/scim/ingress.js';
import { USER_RESOURCE } from '../../src/scim/schema-registry.js';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import type { Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { reviewOf } from '../support/access-review.js';
import { ENTERPRISE, examplePolicy, startTestApp, type TestApp } from '../support/app.js';
import { countConflicts, type ConflictCounter } from '../support/conflicts.js';
import { testDatabaseUri } from '../support/engine.js';
import {
  closeServer,
  context,
  employee,
  entraClient,
  grantKeys,
  group,
  lifecycleIn,
  listen,
  oktaClient,
  patchOp,
  TENANT,
  uniqueName,
  type Body,
  type Client,
} from './helpers.js';

/**
 * The deactivation-vs-grant race: a leaver's deactivating PATCH and a request that would grant
 * access (roles, a department a rule matches, a memberOf group, or a stale whole-object PUT)
 * arrive at the same time. Whatever the interleaving, an inactive user is never left holding a
 * grant or a permission, and a deactivation is never lost (docs/lifecycle.md, "Race-proof").
 * First within one process (required: 1,000 iterations), then across two processes on one
 * database ("safe with several processes").
 */

/** 1,000 as required; RACE_ITERATIONS overrides it for a quick local run. */
const ITERATIONS = Number(process.env['RACE_ITERATIONS'] ?? 1000);
/** Users raced at once. */
const BATCH = Number(process.env['RACE_BATCH'] ?? 20);
/** The variant with two app instances (two processes) on one database. */
const CROSS_PROCESS_ITERATIONS = Number(process.env['RACE_CROSS_ITERATIONS'] ?? 100);

type GrantKind = 'roles' | 'department' | 'group' | 'put';
const KINDS: GrantKind[] = ['roles', 'department', 'group', 'put'];
type Order = 'deactivation started first' | 'grant started first';

interface Outcome {
  kind: GrantKind;
  order: Order;
  endedInactive: boolean;
  /** The granting write was stored before the deactivation (which then revoked it). */
  grantLandedFirst: boolean;
  /** Version conflicts the apps' conditional writes of this user met (and retried after). */
  conflicts: number;
  /** Broken invariants, collected so that a failing run still reports its numbers. */
  violations: string[];
}

/** Where the two racing requests go: the same app, or two apps (processes) on one database. */
interface Route {
  deactivateOkta: Client;
  deactivateEntra: Client;
  grantOkta: Client;
  grantEntra: Client;
  /** Counters of the conditional writes' conflicts in the apps' storages. */
  conflicts: ConflictCounter[];
}

describe('lifecycle: deactivation-vs-grant race', function () {
  this.timeout(30 * 60_000);
  let t: TestApp;
  let server: Server;
  let okta: Client;
  let entra: Client;
  let sameProcess: Route;
  let policy: Policy;
  let payrollGroupId: string;

  before(async () => {
    t = await startTestApp('lifecycle-race');
    policy = examplePolicy();
    server = await listen(t);
    okta = oktaClient(server);
    entra = entraClient(server);
    sameProcess = { deactivateOkta: okta, deactivateEntra: entra, grantOkta: okta, grantEntra: entra, conflicts: [countConflicts(t.storage)] };
    const created = await okta.post('/Groups', group('Payroll Approvers'));
    assert.equal(created.status, 201, context(created));
    payrollGroupId = String(created.body.id);
  });

  after(async () => {
    await closeServer(server);
    await t.close();
  });

  /** One user per slot of a batch, reset between iterations (see resetUser). */
  const pool: { id: string; body: Body }[] = [];

  /** A Finance employee on a cost centre no rule names: employee-baseline only. */
  const baseBody = (userName: string) => employee(userName, { department: 'Finance', costCenter: 'CC-9999' });

  async function createPool(size: number): Promise<void> {
    for (let slot = 0; slot < size; slot += 1) {
      const body = baseBody(uniqueName('race'));
      const response = await okta.post('/Users', body);
      assert.equal(response.status, 201, context(response));
      pool.push({ id: String(response.body.id), body: { ...body, id: response.body.id } });
    }
  }

  /**
   * Back to an active Finance employee with employee-baseline only, outside any group: the state a
   * fresh POST gives. Written through the store (with the lifecycle the pipeline computes): the
   * reset is set-up, not under test, and a pool keeps the users collection small.
   * Returns the version the race starts from.
   */
  async function resetUser(id: string, body: Body): Promise<number> {
    let current = await t.storage.users.get(TENANT, id);
    assert.ok(current);
    if (current.groupIds.length > 0) {
      for (const groupId of current.groupIds) await t.storage.memberships.apply(TENANT, groupId, [], [{ id, kind: 'User', display: undefined }]);
      current = await t.storage.users.get(TENANT, id);
      assert.ok(current);
    }
    const { attributes } = parseResourceBody(USER_RESOURCE, body);
    const transition = transitionUser({
      userId: id,
      policy,
      actor: { tenant: TENANT, actor: 'race-reset', requestId: randomUUID(), operation: 'replace' },
      now: new Date(),
      before: { attributes: current.attributes, groupIds: current.groupIds, lifecycle: current.lifecycle },
      after: { attributes, groups: [] },
      sequence: current.version + 1,
    });
    assert.deepEqual(grantKeys(transition.lifecycle?.grants ?? []), ['role:policy:employee-baseline']);
    const reset = await t.storage.users.replace(TENANT, id, current.version, { attributes: transition.attributes ?? attributes, lifecycle: transition.lifecycle });
    assert.ok(reset && reset !== 'conflict', 'reset');
    assert.equal(reset.lifecycle?.state, 'active');
    return reset.version;
  }

  function deactivate(route: Route, id: string, iteration: number): supertest.Test {
    return iteration % 3 === 0
      ? route.deactivateEntra.patch(`/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }))
      : route.deactivateOkta.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } }));
  }

  function grant(route: Route, kind: GrantKind, id: string, body: Body): supertest.Test {
    const okta = route.grantOkta;
    const entra = route.grantEntra;
    switch (kind) {
      case 'roles':
        return okta.patch(`/Users/${id}`, patchOp({ op: 'add', path: 'roles', value: [{ value: 'sales-rep' }] }));
      case 'department':
        return entra.patch(`/Users/${id}`, patchOp({ op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Sales' }));
      case 'group':
        // The memberOf rule "payroll-approvers" matches a Finance employee in this group.
        return okta.patch(`/Groups/${payrollGroupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: id, display: body['userName'] }] }));
      case 'put':
        // Okta's whole-object PUT, read before the deactivation, so still saying active.
        return okta.put(`/Users/${id}`, { ...body, id, groups: [], active: true, roles: [{ value: 'oncall' }], [ENTERPRISE]: { ...(body[ENTERPRISE] as Body), department: 'Sales' } });
    }
  }

  async function iteration(route: Route, index: number, slot: number): Promise<Outcome> {
    const kind = KINDS[index % KINDS.length]!;
    const order: Order = Math.floor(index / KINDS.length) % 2 === 0 ? 'deactivation started first' : 'grant started first';
    const { id, body } = pool[slot]!;
    const startVersion = await resetUser(id, body);
    const conflictsOf = () => route.conflicts.reduce((sum, counter) => sum + counter.of(id), 0);
    const conflictsBefore = conflictsOf();
    const deactivating = order === 'deactivation started first' ? 0 : 1;
    const start = [() => deactivate(route, id, index), () => grant(route, kind, id, body)];
    if (deactivating === 1) start.reverse();
    // Both at once; in a third of the iterations the second request starts a few milliseconds later.
    const jitter = index % 3 === 1 ? Math.random() * 4 : 0;
    const responses = await Promise.all([start[0]!().then((response) => response), sleep(jitter).then(() => start[1]!().then((response) => response))]);
    for (const response of responses) assert.ok(response.status >= 200 && response.status < 300, `iteration ${index} (${kind}, ${order}): ${context(response)}`);
    const violations: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok) violations.push(`iteration ${index} (${kind}, ${order}): ${what}`);
    };

    // The deactivating response itself shows no access.
    const deactivation = responses[deactivating]!;
    assert.equal(deactivation.body.active, false, context(deactivation));
    check(isDeepStrictEqual(lifecycleIn(deactivation.body as Body)['permissions'], []), 'the deactivating response shows a permission');
    check(isDeepStrictEqual(lifecycleIn(deactivation.body as Body)['grants'], []), 'the deactivating response shows a grant');

    const record = await t.storage.users.get(TENANT, id);
    assert.ok(record?.lifecycle, `iteration ${index}: user stored with a lifecycle`);
    const { lifecycle } = record;
    const inactive = lifecycle.state === 'inactive';
    check(inactive === (record.attributes['active'] === false), 'the lifecycle state does not follow "active"');
    if (inactive) {
      check(lifecycle.permissions.length === 0, `an inactive user holds permissions ${JSON.stringify(lifecycle.permissions)}`);
      check(lifecycle.grants.length === 0, `an inactive user holds grants ${JSON.stringify(lifecycle.grants)}`);
      check(record.attributes['roles'] === undefined, 'an inactive user keeps roles');
    } else {
      // Only the PUT says active: any other request racing a deactivation must leave the user inactive.
      check(kind === 'put', `the deactivation was lost: the user ended active with ${JSON.stringify(lifecycle.permissions)} although only the deactivating request changed "active"`);
      // Grants are exactly what the stored attributes and groups give.
      const groups = (await t.storage.groups.getMany(TENANT, record.groupIds)).map((stored) => ({ id: stored.id, displayName: stored.attributes['displayName'] as string }));
      const expected = grantsFor(policy, { attributes: record.attributes, groups });
      check(isDeepStrictEqual(grantKeys(lifecycle.grants), grantKeys(expected)), 'active grants are inconsistent with the attributes');
      check(isDeepStrictEqual(lifecycle.permissions, effectivePermissions(policy, expected)), 'active permissions are inconsistent with the grants');
    }
    // The deactivation was the first write after the reset unless the grant got in first.
    const version = Number(/"(\d+)"/.exec(String(deactivation.body.meta?.version))?.[1]);
    assert.ok(version > startVersion, `iteration ${index}: the deactivating response has a version: ${context(deactivation)}`);
    return { kind, order, endedInactive: inactive, grantLandedFirst: version > startVersion + 1, conflicts: conflictsOf() - conflictsBefore, violations };
  }

  /** Runs the iterations in batches (one pool user per slot) and reports the outcomes. */
  async function race(route: Route, iterations: number, label: string): Promise<Outcome[]> {
    if (pool.length < Math.min(BATCH, iterations)) await createPool(Math.min(BATCH, iterations) - pool.length);
    const started = Date.now();
    const outcomes: Outcome[] = [];
    for (let first = 0; first < iterations; first += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, iterations - first) }, (_, slot) => iteration(route, first + slot, slot));
      outcomes.push(...(await Promise.all(batch)));
      if (process.env['RACE_VERBOSE']) console.log(`      race: ${outcomes.length} iterations after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const table = new Map<string, { iterations: number; endedInactive: number; endedActive: number; grantLandedFirst: number; deactivationLandedFirst: number; conflicts: number; violations: number }>();
    for (const outcome of outcomes) {
      const key = `${outcome.kind}, ${outcome.order}`;
      const row = table.get(key) ?? { iterations: 0, endedInactive: 0, endedActive: 0, grantLandedFirst: 0, deactivationLandedFirst: 0, conflicts: 0, violations: 0 };
      row.iterations += 1;
      row.conflicts += outcome.conflicts;
      row[outcome.endedInactive ? 'endedInactive' : 'endedActive'] += 1;
      row[outcome.grantLandedFirst ? 'grantLandedFirst' : 'deactivationLandedFirst'] += 1;
      row.violations += outcome.violations.length > 0 ? 1 : 0;
      table.set(key, row);
    }
    const inactive = outcomes.filter((outcome) => outcome.endedInactive).length;
    const violated = outcomes.filter((outcome) => outcome.violations.length > 0).length;
    console.log(`      ${label}: ${outcomes.length} iterations in ${seconds} s: ${inactive} ended inactive, ${outcomes.length - inactive} ended active, ${violated} broke an invariant`);
    console.table(Object.fromEntries(table));
    assert.equal(outcomes.length, iterations);
    const violations = outcomes.flatMap((outcome) => outcome.violations);
    assert.deepEqual(violations.slice(0, 10), [], `${violated} of ${iterations} iterations broke an invariant`);
    return outcomes;
  }

  it(`an inactive user never holds a permission: ${ITERATIONS} iterations (a pool of ${BATCH} users raced at once) of a deactivating PATCH racing a granting PATCH, PUT or group add, both start orders`, async () => {
    const outcomes = await race(sameProcess, ITERATIONS, 'race (one process)');
    const inactive = outcomes.filter((outcome) => outcome.endedInactive).length;
    assert.ok(inactive > 0);

    // The whole database agrees: the access review finds no inactive user with access, and no
    // audit entry ever granted anything to a user it left inactive.
    const review = await reviewOf(t.storage, policy, { tenant: TENANT, staleDays: 90 });
    assert.deepEqual(review.inactiveWithAccess, []);
    // The pool's users as the last round left them.
    const lastRound = outcomes.slice(-Math.min(BATCH, ITERATIONS));
    assert.equal(review.summary.inactive, lastRound.filter((outcome) => outcome.endedInactive).length);
    const audit = await t.storage.audit.query({ tenant: TENANT, limit: 100 * ITERATIONS });
    const grantingInactive = audit.filter((entry) => entry.resourceType === 'User' && entry.after?.['active'] === false && entry.grantsAdded.length > 0);
    assert.deepEqual(grantingInactive, []);
  });

  it(`two processes on one database (deactivation through one app, the grant through another): ${CROSS_PROCESS_ITERATIONS} iterations, no lost deactivation and no permission on an inactive user`, async () => {
    // On the embedded engine this relies on its patched write isolation (engine/ferretdb/patches,
    // 0003): both apps talk to the one engine, which isolates their version-conditional writes.
    // A second storage and app over the same database: what a second server process has. The
    // in-process turn-taking and document locks do not span the two; only the store's
    // version-conditional write keeps them apart.
    let second: Storage | undefined;
    let secondServer: Server | undefined;
    try {
      second = await createMongoStorage({ uri: testDatabaseUri(t.dbName!) });
      const authenticator = createAuthenticator(t.config, second.credentials);
      const app = createApp({ config: t.config, storage: second, authenticator, policy, log: () => undefined });
      secondServer = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => secondServer!.once('listening', resolve));
      const route: Route = { deactivateOkta: okta, deactivateEntra: entra, grantOkta: oktaClient(secondServer), grantEntra: entraClient(secondServer), conflicts: [...sameProcess.conflicts, countConflicts(second)] };
      const outcomes = await race(route, CROSS_PROCESS_ITERATIONS, 'race (two processes)');
      // The two apps really raced: with no turn-taking between them, writes of one user read the same
      // version, one lost the conditional write and retried from the winner's document (every
      // invariant above held). A group add bumps its members' versions outside any turn, so only
      // the user writes (PATCH, PUT) count here: in one app those take turns and never conflict.
      const userWrites = outcomes.filter((outcome) => outcome.kind !== 'group');
      const conflicts = userWrites.reduce((sum, outcome) => sum + outcome.conflicts, 0);
      assert.ok(conflicts > 0, `no conditional write of a user conflicted across the two apps in ${userWrites.length} iterations`);
    } finally {
      if (secondServer) await closeServer(secondServer);
      await second?.close();
    }
  });
});
