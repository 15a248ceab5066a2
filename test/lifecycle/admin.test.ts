import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { assertScimError, examplePolicy, startTestApp, TEST_TOKEN, type TestApp } from '../support/app.js';
import {
  context,
  employee,
  entraClient,
  expectStatus,
  oktaClient,
  patchOp,
  policyVariant,
  salesEmployee,
  uniqueName,
  type Body,
  type Client,
  createUser,
} from './helpers.js';

const ADMIN_TOKEN = 'admin-token-for-lifecycle-tests-0123';

/** A minimal RFC 4180 reader: rows of cells, and whether every cell was quoted. */
function parseCsv(text: string): { rows: string[][]; allQuoted: boolean } {
  const rows: string[][] = [];
  let allQuoted = true;
  for (const line of text.split('\r\n')) {
    if (line === '') continue;
    const cells: string[] = [];
    let rest = line;
    while (rest.length > 0) {
      const quoted = /^"((?:[^"]|"")*)"(,|$)/.exec(rest);
      if (quoted) {
        cells.push(quoted[1]!.replace(/""/g, '"'));
        rest = rest.slice(quoted[0].length);
        continue;
      }
      allQuoted = false;
      const plain = /^([^,]*)(,|$)/.exec(rest)!;
      cells.push(plain[1]!);
      rest = rest.slice(plain[0].length);
    }
    rows.push(cells);
  }
  return { rows, allQuoted };
}

describe('lifecycle: admin API', () => {
  let t: TestApp;
  let okta: Client;
  const admin = (test: supertest.Test) => test.set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const adminGet = (path: string) => admin(supertest(t.app).get(path));

  before(async () => {
    t = await startTestApp('lifecycle-admin', { ADMIN_TOKEN });
    okta = oktaClient(t);
  });

  after(async () => {
    await t.close();
  });

  const create = (body: Body) => createUser(okta, body);

  describe('authentication', () => {
    it('without a token or with a wrong one: 401; a SCIM token lacks the admin scope (403), the admin token the SCIM scopes', async () => {
      const agent = supertest(t.app);
      for (const path of ['/admin/audit', '/admin/access-review']) {
        const none = await agent.get(path);
        assertScimError(none, 401);
        assert.match(String(none.headers['www-authenticate']), /Bearer/);
        const scimToken = await agent.get(path).set('Authorization', `Bearer ${TEST_TOKEN}`);
        assertScimError(scimToken, 403);
        assert.match(String(scimToken.headers['www-authenticate']), /error="insufficient_scope", scope="audit:read"/);
        assertScimError(await agent.get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}x`), 401);
        assertScimError(await agent.get(path).set('Authorization', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`), 401);
        assert.equal((await adminGet(path)).status, 200);
      }
      assertScimError(await agent.get('/scim/v2/Users').set('Authorization', `Bearer ${ADMIN_TOKEN}`), 403);
    });

    it('with ADMIN_TOKEN unset the admin API still needs an admin-scoped credential', async () => {
      const without = await startTestApp('lifecycle-admin-off');
      try {
        for (const path of ['/admin/audit', '/admin/access-review']) {
          assertScimError(await supertest(without.app).get(path), 401);
          assertScimError(await supertest(without.app).get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`), 401);
          assertScimError(await supertest(without.app).get(path).set('Authorization', `Bearer ${TEST_TOKEN}`), 403);
        }
      } finally {
        await without.close();
      }
    });
  });

  describe('audit trail', () => {
    let id: string;
    let between: string;

    before(async () => {
      id = await create(salesEmployee(uniqueName('audited')));
      await sleep(20);
      between = new Date().toISOString();
      await sleep(20);
      expectStatus(await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { title: 'Sales Manager' } })), 200);
      expectStatus(await okta.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } })), 200);
      await create(employee(uniqueName('other')));
    });

    it('resource= lists that resource’s entries, oldest first (newest first with order=newest), with actor and request id but never a token', async () => {
      const newest = await adminGet(`/admin/audit?resource=${id}&order=newest`);
      assert.deepEqual((newest.body.entries as Body[]).map((entry) => entry['operation']), ['patch', 'patch', 'create']);
      const response = await adminGet(`/admin/audit?resource=${id}`);
      assert.equal(response.status, 200, context(response));
      const entries = response.body.entries as Body[];
      assert.equal(response.body.count, 3);
      assert.deepEqual(entries.map((entry) => entry['operation']), ['create', 'patch', 'patch']);
      assert.ok(entries.every((entry) => entry['resourceId'] === id && entry['resourceType'] === 'User'));
      const times = entries.map((entry) => Date.parse(String(entry['at'])));
      assert.deepEqual(times, [...times].sort((a, b) => a - b));
      assert.ok(entries.every((entry) => typeof entry['actor'] === 'string' && entry['actor'] !== '' && typeof entry['requestId'] === 'string'));
      assert.deepEqual(entries[2]!['events'], ['user.deactivated', 'user.permissions_revoked']);
      assert.ok(!JSON.stringify(response.body).includes(TEST_TOKEN) && !JSON.stringify(response.body).includes(ADMIN_TOKEN));
    });

    it('since= keeps entries at or after the instant; limit= caps the count', async () => {
      const since = await adminGet(`/admin/audit?resource=${id}&since=${encodeURIComponent(between)}`);
      assert.equal(since.status, 200, context(since));
      assert.deepEqual((since.body.entries as Body[]).map((entry) => entry['operation']), ['patch', 'patch']);
      assert.ok((since.body.entries as Body[]).every((entry) => Date.parse(String(entry['at'])) >= Date.parse(between)));

      const limited = await adminGet(`/admin/audit?resource=${id}&limit=1`);
      assert.equal(limited.body.count, 1);
      assert.equal(limited.body.entries[0].operation, 'create', 'the oldest first');
      assert.ok(limited.body.nextCursor, 'more follow');
      const all = await adminGet('/admin/audit?limit=1000');
      assert.ok(all.body.count >= 4);
      assert.ok((all.body.entries as Body[]).some((entry) => entry['resourceId'] !== id));
      const capped = await adminGet('/admin/audit?limit=999999');
      assert.equal(capped.status, 200, 'a limit above 1000 is capped');
      const future = await adminGet(`/admin/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
      assert.equal(future.body.count, 0);
    });

    it('a bad since, limit or resource is a 400 SCIM error', async () => {
      for (const query of ['since=yesterday', 'since=', 'limit=ten', 'limit=-1', 'limit=1.5', `resource=${'x'.repeat(300)}`]) {
        assertScimError(await adminGet(`/admin/audit?${query}`), 400, 'invalidValue');
      }
    });
  });

  describe('access review', () => {
    const users: Record<string, string> = {};

    before(async () => {
      users['sales'] = await create(salesEmployee(uniqueName('review-sales'), { entitlements: [{ value: 'vpn:connect' }] }));
      users['marketing'] = await create(employee(uniqueName('review-marketing'), { department: 'Marketing' }));
      users['leaverOkta'] = await create(salesEmployee(uniqueName('review-leaver-okta'), { roles: [{ value: 'oncall' }] }));
      users['leaverEntra'] = await create(employee(uniqueName('review-leaver-entra'), { division: 'Treasury' }));
      users['formula'] = await create(employee('=HYPERLINK("http://evil.example")', { department: 'Sales' }));
      expectStatus(await okta.patch(`/Users/${users['leaverOkta']}`, patchOp({ op: 'replace', value: { active: false } })), 200);
      expectStatus(await entraClient(t).patch(`/Users/${users['leaverEntra']}`, patchOp({ op: 'Replace', path: 'active', value: 'False' })), 200, 204);
    });

    it('holders list every grant with its source and rules; inactiveWithAccess is empty after deactivations; no drift under the same policy', async () => {
      const response = await adminGet('/admin/access-review');
      assert.equal(response.status, 200, context(response));
      const review = response.body as Body;
      const holders = review['holders'] as Body[];
      const of = (id: string) => holders.filter((row) => row['userId'] === id).map((row) => `${row['type']}:${row['source']}:${row['value']}:${(row['rules'] as string[]).join('+')}`).sort();
      assert.deepEqual(of(users['sales']!), ['permission:direct:vpn:connect:', 'role:policy:employee-baseline:employee-baseline', 'role:policy:sales-rep:sales-reps']);
      assert.deepEqual(of(users['marketing']!), ['role:policy:employee-baseline:employee-baseline']);
      assert.deepEqual(of(users['leaverOkta']!), [], 'a leaver holds nothing');
      assert.deepEqual(of(users['leaverEntra']!), []);
      assert.ok(holders.every((row) => row['active'] === true), 'every holder is active');
      assert.deepEqual(review['inactiveWithAccess'], []);
      assert.equal(review['summary']['inactiveWithAccess'], 0);
      assert.ok(review['summary']['inactive'] >= 2);
      assert.equal(review['summary']['grants'], holders.length);
      assert.deepEqual(review['drift'], [], 'no drift under the policy that made the grants');
      assert.equal(review['staleDays'], 90);
      assert.deepEqual(review['stale'], [], 'nobody is 90 days stale');
    });

    it('staleDays=0 lists every account as stale', async () => {
      const response = await adminGet('/admin/access-review?staleDays=0');
      assert.equal(response.status, 200, context(response));
      const stale = response.body.stale as Body[];
      assert.equal(stale.length, response.body.summary.users);
      for (const id of Object.values(users)) {
        const row = stale.find((entry) => entry['userId'] === id);
        assert.ok(row, `${id} is stale at 0 days`);
        assert.equal(row['daysSinceUpdate'], 0);
        assert.ok(!Number.isNaN(Date.parse(String(row['lastModified']))));
      }
      assertScimError(await adminGet('/admin/access-review?staleDays=soon'), 400, 'invalidValue');
      assertScimError(await adminGet('/admin/access-review?format=xml'), 400, 'invalidValue');
    });

    it('drift: an app over the same storage with a changed policy reports missing and unexpected roles', async () => {
      // Policy B: the sales-reps rule now matches Marketing instead of Sales.
      const policyB = policyVariant((json) => {
        const rule = (json['rules'] as Body[]).find((candidate) => candidate['name'] === 'sales-reps')!;
        rule['when']['all'][0]['equals'] = 'Marketing';
      });
      const policyA = examplePolicy();
      assert.notEqual(policyB.fingerprint, policyA.fingerprint);
      const authenticator = createAuthenticator(t.config, t.storage.credentials);
      const appB = createApp({ config: t.config, storage: t.storage, authenticator, policy: policyB, log: () => undefined });

      const response = await admin(supertest(appB).get('/admin/access-review'));
      assert.equal(response.status, 200, context(response));
      const review = response.body as Body;
      assert.equal(review['policyFingerprint'], policyB.fingerprint);
      const drift = new Map((review['drift'] as Body[]).map((row) => [String(row['userId']), row]));
      assert.deepEqual(drift.get(users['sales']!)?.['unexpected'], ['sales-rep']);
      assert.deepEqual(drift.get(users['sales']!)?.['missing'], []);
      assert.equal(drift.get(users['sales']!)?.['evaluatedWith'], policyA.fingerprint);
      assert.deepEqual(drift.get(users['marketing']!)?.['missing'], ['sales-rep']);
      assert.deepEqual(drift.get(users['marketing']!)?.['unexpected'], []);
      assert.ok(drift.has(users['formula']!), 'the other Sales user drifted too');
      assert.ok(!drift.has(users['leaverOkta']!) && !drift.has(users['leaverEntra']!), 'inactive users have nothing to drift');
      assert.equal(review['summary']['drift'], drift.size);
      assert.deepEqual(review['inactiveWithAccess'], []);

      // A write through app B re-derives that user's grants; the review then shows no drift for them.
      expectStatus(await oktaClient(appB).patch(`/Users/${users['marketing']}`, patchOp({ op: 'replace', value: { title: 'Campaign Lead' } })), 200);
      const after = await admin(supertest(appB).get('/admin/access-review'));
      assert.ok(!(after.body.drift as Body[]).some((row) => row['userId'] === users['marketing']));
      assert.ok((after.body.drift as Body[]).some((row) => row['userId'] === users['sales']));
      // And app A, with its own policy, now sees that user as drifted the other way.
      const back = await adminGet('/admin/access-review');
      assert.deepEqual((back.body.drift as Body[]).find((row) => row['userId'] === users['marketing'])?.['unexpected'], ['sales-rep']);
    });

    it('CSV (format=csv or Accept: text/csv): a header row, every cell quoted, a leading "=" defused', async () => {
      for (const request of [adminGet('/admin/access-review?format=csv&staleDays=0'), adminGet('/admin/access-review?staleDays=0').set('Accept', 'text/csv')]) {
        const response = await request;
        assert.equal(response.status, 200, context(response));
        assert.match(String(response.headers['content-type']), /^text\/csv/);
        assert.match(String(response.headers['content-disposition']), /attachment; filename="access-review\.csv"/);
        const { rows, allQuoted } = parseCsv(response.text);
        assert.ok(allQuoted, `every cell is quoted:\n${response.text}`);
        assert.deepEqual(rows[0], ['section', 'userId', 'userName', 'active', 'type', 'value', 'source', 'rules', 'detail']);
        assert.ok(rows.slice(1).every((row) => row.length === rows[0]!.length), 'every row has every column');
        const sections = new Set(rows.slice(1).map((row) => row[0]));
        assert.ok(sections.has('holder') && sections.has('stale'), [...sections].join(', '));
        assert.ok(!sections.has('inactive-with-access'));
        const salesRep = rows.find((row) => row[0] === 'holder' && row[1] === users['sales'] && row[5] === 'sales-rep');
        assert.deepEqual(salesRep?.slice(3), ['true', 'role', 'sales-rep', 'policy', 'sales-reps', '']);
        const formula = rows.filter((row) => row[1] === users['formula']);
        assert.ok(formula.length > 0);
        for (const row of formula) assert.equal(row[2], `'=HYPERLINK("http://evil.example")`, 'the formula is defused with a leading quote');
        assert.ok(!rows.some((row) => row.some((cell) => /^[=+\-@]/.test(cell))), 'no cell starts a formula');
        assert.ok(response.text.includes('"\'=HYPERLINK(""http://evil.example"")"'), 'quotes inside a cell are doubled');
      }
    });
  });
});
