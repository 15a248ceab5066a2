import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import type { Policy } from '../../src/lifecycle/policy/types.js';
import { accessReviewCsv, REVIEW_CSV_COLUMNS } from '../../src/services/access-review.js';
import { reviewOf } from '../support/access-review.js';
import { ENTERPRISE, examplePolicy, startTestApp, type TestApp } from '../support/app.js';
import { testDatabaseUri } from '../support/engine.js';
import { bulk, context, entraClient, expectStatus, oktaClient, patchOp, policyVariant, type Body, type Client } from '../lifecycle/helpers.js';
import { accessReview as reviewBeforeStreaming, accessReviewCsv as csvBeforeStreaming } from './access-review-before-streaming.js';

/**
 * The access review is streamed in one pass over the users; it must say exactly what the review
 * built in memory said (access-review-before-streaming.ts), section by section and in the summary,
 * on a directory with every kind of row: grants from rules, groups and the IdP, leavers,
 * inactive users still holding access, drift under an edited policy, stale accounts, more users
 * than one page of the pass.
 */

const TENANT = 'default';
const DAY_MS = 86_400_000;
const ADMIN_TOKEN = 'admin-token-for-access-review-tests-0123';
const USERS = 460;

const DEPARTMENTS = ['Sales', 'Finance', 'Engineering', 'Marketing', 'Support'];
const USER_TYPES = ['Employee', 'Employee', 'Employee', 'Contractor', 'Intern'];

function person(n: number): Body {
  const department = DEPARTMENTS[n % DEPARTMENTS.length]!;
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    userName: n === 6 ? '=HYPERLINK("http://evil.example")' : `review-${String(n).padStart(4, '0')}@example.com`,
    active: n % 11 !== 0,
    userType: USER_TYPES[n % USER_TYPES.length],
    title: n % 9 === 0 ? 'Sales Manager EMEA' : n % 13 === 0 ? 'Software Engineer' : 'Specialist',
    ...(n % 17 === 0 ? { roles: [{ value: 'oncall' }] } : {}),
    ...(n % 19 === 0 ? { entitlements: [{ value: 'vpn:connect' }] } : {}),
    [ENTERPRISE]: {
      department,
      ...(n % 3 === 0 ? { employeeNumber: `E-${n}` } : {}),
      costCenter: n % 4 === 0 ? 'CC-4100' : 'CC-9000',
      organization: n % 2 === 0 ? 'Acme Product' : 'Acme Corp',
      ...(n % 23 === 0 ? { division: 'Treasury' } : {}),
    },
  };
}

/**
 * The example policy declares no separation-of-duties conflicts, so that section (newer than the
 * oracle; test/governance/sod.test.ts) is empty here: checked, then left out of the comparison.
 */
function withoutSod(review: Body): Body {
  const { sodConflicts, summary, ...rest } = review;
  assert.deepEqual(sodConflicts, []);
  const { sodConflicts: count, ...counts } = summary as Body;
  assert.equal(count, 0);
  return { ...rest, summary: counts };
}

describe('admin API: the streamed access review', () => {
  let t: TestApp;
  let okta: Client;
  let policyA: Policy;
  let policyB: Policy;
  let ids: string[] = [];
  const now = new Date();

  const adminGet = (app: TestApp['app'], path: string) => supertest(app).get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

  before(async function () {
    this.timeout(180_000);
    t = await startTestApp('admin-access-review', { ADMIN_TOKEN });
    okta = oktaClient(t);
    policyA = examplePolicy();
    // Policy B: the sales-reps rule matches Marketing instead of Sales, and payroll approvers come from another group.
    policyB = policyVariant((json) => {
      const rules = json['rules'] as Body[];
      rules.find((rule) => rule['name'] === 'sales-reps')!['when']['all'][0]['equals'] = 'Marketing';
      rules.find((rule) => rule['name'] === 'payroll-approvers')!['when']['all'][1]['memberOf'] = 'Payroll Approvers EMEA';
    });

    for (let from = 0; from < USERS; from += 200) {
      const operations = Array.from({ length: Math.min(200, USERS - from) }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `u${from + i}`, data: person(from + i) }));
      const response = await okta.post('/Bulk', bulk(...operations));
      expectStatus(response, 200);
      for (const result of response.body.Operations as Body[]) {
        assert.equal(result['status'], '201', JSON.stringify(result));
        ids.push(String(result['location']).split('/').at(-1)!);
      }
    }
    ids = ids.filter(Boolean);
    assert.equal(ids.length, USERS);
    // Members of the groups the policy's memberOf rules name (Finance employees become payroll approvers).
    for (const [displayName, members] of [
      ['Payroll Approvers', ids.filter((_, n) => n % 5 === 1)],
      ['Payroll Approvers EMEA', ids.filter((_, n) => n % 10 === 1)],
      ['Engineering On-Call', ids.filter((_, n) => n % 6 === 2)],
    ] as const) {
      const created = await okta.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName, members: members.map((value) => ({ value })) });
      expectStatus(created, 201);
    }
    // Leavers through both IdPs.
    for (const id of ids.filter((_, n) => n % 29 === 3)) expectStatus(await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } })), 200);
    for (const id of ids.filter((_, n) => n % 31 === 4)) expectStatus(await entraClient(t).patch(`/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' })), 200, 204);

    // What must never happen, written past the lifecycle: inactive users still holding a role and a permission, a role alone (and one holding nothing).
    for (const n of [1, 2, 3]) {
      await t.storage.users.create({
        tenant: TENANT,
        id: `00000000-0000-4000-8000-00000000000${n}`,
        attributes: { userName: `left-with-access-${n}@example.com`, active: false },
        lifecycle: {
          state: 'inactive',
          provisionedAt: now,
          deactivatedAt: now,
          lastPolicyEvaluation: now,
          policyFingerprint: policyA.fingerprint,
          grants: n === 3 ? [] : [{ kind: 'role', name: 'sales-rep', source: 'policy', rules: ['sales-reps'] }],
          permissions: n === 1 ? ['crm:read'] : [],
        },
      });
    }

    // A third of the users untouched for 200 days.
    const client = await new MongoClient(testDatabaseUri(t.dbName!)).connect();
    try {
      await client.db().collection('users').updateMany({ _id: { $in: ids.filter((_, n) => n % 3 === 2) as never[] } }, { $set: { lastModified: new Date(now.getTime() - 200 * DAY_MS) } });
    } finally {
      await client.close();
    }
  });

  after(async () => {
    await t.close();
  });

  const cases = () => [
    { label: 'the policy that made the grants', policy: policyA, staleDays: 90, now },
    { label: 'an edited policy (drift)', policy: policyB, staleDays: 90, now },
    { label: 'everyone stale', policy: policyB, staleDays: 0, now: new Date(now.getTime() + 3 * DAY_MS) },
    { label: 'nobody stale', policy: policyA, staleDays: 36_500, now },
  ];

  it('says what the review built in memory said: every section, row for row, and the summary', async () => {
    for (const { label, policy, staleDays, now: at } of cases()) {
      const streamed = await reviewOf(t.storage, policy, { tenant: TENANT, staleDays, now: at });
      const expected = await reviewBeforeStreaming(t.storage, policy, TENANT, staleDays, at);
      assert.deepEqual(withoutSod(streamed), JSON.parse(JSON.stringify(expected)), label);
      assert.deepEqual(Object.keys(streamed), ['generatedAt', 'tenant', 'policyFingerprint', 'staleDays', 'holders', 'inactiveWithAccess', 'drift', 'stale', 'sodConflicts', 'summary'], 'the summary comes last');
    }
  });

  it('the directory has every kind of row (so the comparison above means something)', async () => {
    const a = await reviewOf(t.storage, policyA, { tenant: TENANT, staleDays: 90, now });
    const b = await reviewOf(t.storage, policyB, { tenant: TENANT, staleDays: 90, now });
    assert.ok(a['summary'].users > 400, 'more users than one page of the pass');
    assert.equal(a['summary'].inactiveWithAccess, 2);
    assert.deepEqual(a['drift'].map((row: Body) => row['userId']).sort(), ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'], 'under its own policy only the leavers holding a policy role drift');
    assert.ok(b['summary'].drift > 50, 'the edit moved many users');
    assert.ok(b['drift'].some((row: Body) => (row['unexpected'] as string[]).includes('payroll-approver')), 'memberOf rules see the groups');
    assert.ok(a['summary'].stale > 100 && a['summary'].stale < a['summary'].users);
    const sources = new Set(a['holders'].map((row: Body) => `${row['type']}:${row['source']}`));
    assert.deepEqual([...sources].sort(), ['permission:direct', 'role:direct', 'role:policy']);
  });

  it('CSV: the same lines as before, in the same order', async () => {
    for (const { label, policy, staleDays, now: at } of cases()) {
      let streamed = '';
      for await (const piece of accessReviewCsv(t.storage, policy, { tenant: TENANT, staleDays, now: at })) streamed += piece;
      assert.equal(streamed, csvBeforeStreaming(await reviewBeforeStreaming(t.storage, policy, TENANT, staleDays, at)), label);
    }
  });

  it('over HTTP: JSON and CSV as computed, from an app under either policy', async () => {
    const authenticator = createAuthenticator(t.config, t.storage.credentials);
    const appB = createApp({ config: t.config, storage: t.storage, authenticator, policy: policyB, log: () => undefined });
    for (const [app, policy] of [
      [t.app, policyA],
      [appB, policyB],
    ] as const) {
      const response = await adminGet(app, '/admin/access-review?staleDays=90');
      assert.equal(response.status, 200, context(response));
      assert.match(String(response.headers['content-type']), /^application\/json; charset=utf-8/);
      const { generatedAt, ...streamed } = response.body as Body;
      const expected = JSON.parse(JSON.stringify(await reviewBeforeStreaming(t.storage, policy, TENANT, 90, new Date(String(generatedAt)))));
      delete expected['generatedAt'];
      assert.deepEqual(withoutSod(streamed), expected);

      const csv = await adminGet(app, '/admin/access-review?staleDays=90&format=csv');
      assert.equal(csv.status, 200);
      assert.match(String(csv.headers['content-type']), /^text\/csv; charset=utf-8/);
      assert.match(String(csv.headers['content-disposition']), /^attachment; filename="access-review\.csv"$/);
      assert.match(csv.text, /^("(?:[^"]|"")*"(?:,|\r\n))+$/, 'every cell quoted, CRLF line ends');
      const rows = parse(csv.text) as string[][];
      assert.deepEqual(rows[0], REVIEW_CSV_COLUMNS);
      assert.equal(rows.length - 1, expected['summary'].grants + expected['summary'].inactiveWithAccess + expected['summary'].drift + expected['summary'].stale);
      assert.ok(rows.some((row) => row[2] === `'=HYPERLINK("http://evil.example")`), 'a formula is defused');
      assert.ok(!rows.some((row) => row.some((cell) => /^[=+\-@\t\r]/.test(cell))));
    }
  });

  it('a tenant without users: valid JSON with empty sections and zero counts; CSV a header only', async () => {
    const empty = await reviewOf(t.storage, policyA, { tenant: 'nobody-here', staleDays: 0, now });
    assert.deepEqual(withoutSod(empty), JSON.parse(JSON.stringify(await reviewBeforeStreaming(t.storage, policyA, 'nobody-here', 0, now))));
    assert.deepEqual(empty['summary'], { users: 0, active: 0, inactive: 0, grants: 0, inactiveWithAccess: 0, drift: 0, stale: 0, sodConflicts: 0 });
    let csv = '';
    for await (const piece of accessReviewCsv(t.storage, policyA, { tenant: 'nobody-here', staleDays: 0, now })) csv += piece;
    assert.deepEqual(parse(csv), [REVIEW_CSV_COLUMNS]);
  });

  it('bad parameters are a 400 naming the parameter', async () => {
    for (const [parameters, name] of [
      ['staleDays=soon', 'staleDays'],
      ['staleDays=-1', 'staleDays'],
      ['staleDays=', 'staleDays'],
      ['format=xml', 'format'],
      ['format=json&format=csv', 'format'],
      ['stale=30', 'stale'],
    ]) {
      const response = await adminGet(t.app, `/admin/access-review?${parameters}`);
      assert.equal(response.status, 400, context(response));
      assert.equal(response.body.scimType, 'invalidValue');
      assert.ok(String(response.body.detail).includes(`"${name}"`), `${parameters}: ${response.body.detail}`);
    }
  });
});
