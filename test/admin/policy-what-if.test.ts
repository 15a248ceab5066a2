import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import { EXAMPLE_POLICY_FILE, loadPolicy, PolicyError } from '../../src/lifecycle/policy/load.js';
import type { WhatIfReport, WhatIfRole } from '../../src/services/policy-what-if.js';
import { assertScimError, ENTERPRISE, group, startTestApp, TEST_TOKEN, user, USER_SCHEMA, type TestApp } from '../support/app.js';
import { runCli } from '../support/cli.js';
import { testDatabaseUri } from '../support/engine.js';

/**
 * Issue 15 §1, policy what-if: a draft policy evaluated against every user, compared role by role
 * with what they hold now, through POST /admin/policy/what-if and `npm run policy -- diff`, without
 * writing anything; the draft is validated exactly as POLICY_FILE is at start-up.
 */

const TENANT = 'default';
const ADMIN_TOKEN = 'admin-token-for-policy-what-if-tests-01';
const FILLERS = 20;

type PolicyJson = { roles: Record<string, { description?: string; permissions: string[] }>; rules: { name: string; grant: string[]; when: unknown }[] } & Record<string, unknown>;

/** A directory with every way a role can be held: rules on attributes, a group, the IdP's `roles`. */
const PEOPLE: Record<string, { userType: string; department?: string; title?: string; employeeNumber?: boolean; roles?: string[]; active?: boolean }> = {
  ann: { userType: 'Employee', department: 'Sales', employeeNumber: true },
  dan: { userType: 'Employee', department: 'Sales', title: 'Sales Director', employeeNumber: true },
  mia: { userType: 'Employee', department: 'Sales', title: 'Sales Manager EMEA', employeeNumber: true },
  cal: { userType: 'Contractor', department: 'Engineering' },
  cora: { userType: 'Contractor' },
  lea: { userType: 'Employee', department: 'Legal', employeeNumber: true },
  leo: { userType: 'Employee', department: 'Legal', employeeNumber: true },
  ivy: { userType: 'Intern', department: 'Sales', employeeNumber: true },
  ops: { userType: 'Employee', department: 'Engineering', employeeNumber: true },
  dora: { userType: 'Employee', employeeNumber: true, roles: ['oncall'] },
  ray: { userType: 'Employee', employeeNumber: true, roles: ['legal-counsel'] },
  gone: { userType: 'Contractor', department: 'Legal', active: false },
};

/**
 * The draft a security team might write: contractors lose their default access, Legal gets a role,
 * sales directors become sales managers, the on-call role goes, sales reps may export, and a new
 * rule for an Audit department that does not exist yet.
 */
async function realisticDraft(): Promise<PolicyJson> {
  const draft = JSON.parse(await readFile(EXAMPLE_POLICY_FILE, 'utf8')) as PolicyJson;
  delete draft['$schema'];
  draft.rules = draft.rules.filter((rule) => rule.name !== 'contractors' && rule.name !== 'engineering-oncall');
  delete draft.roles['oncall'];
  draft.roles['legal-counsel'] = { permissions: ['contracts:read'] };
  draft.roles['auditor'] = { permissions: ['ledger:read'] };
  draft.roles['sales-rep']?.permissions.push('crm:export');
  draft.rules.push({ name: 'legal', grant: ['legal-counsel'], when: { attribute: 'department', equals: 'Legal' } });
  draft.rules.push({ name: 'auditors', grant: ['auditor'], when: { attribute: 'department', equals: 'Audit' } });
  const managers = draft.rules.find((rule) => rule.name === 'sales-managers') as { when: { all: unknown[] } };
  managers.when.all[1] = { any: [{ attribute: 'title', startsWith: 'Sales Manager' }, { attribute: 'title', startsWith: 'Sales Director' }] };
  return draft;
}

describe('policy what-if: a draft policy against every user, nothing written', function () {
  this.timeout(120_000);
  let t: TestApp;
  let dir: string;
  let draftText: string;
  const ids = new Map<string, string>();

  const whatIf = (body: string, query = '', token = ADMIN_TOKEN, contentType = 'application/json') =>
    supertest(t.app).post(`/admin/policy/what-if${query}`).set('Authorization', `Bearer ${token}`).set('Content-Type', contentType).send(body);

  /** Everything a what-if must leave alone: every user's version, the audit trail, the event log. */
  async function storedState(): Promise<{ versions: string[]; audit: number; events: number }> {
    const versions: string[] = [];
    for await (const page of t.storage.users.walk(TENANT, 100)) versions.push(...page.map((record) => `${record.id}@${record.version}:${record.lifecycle?.policyFingerprint}`));
    const audit = (await t.storage.audit.query({ tenant: TENANT, limit: 10_000 })).length;
    let events = 0;
    for (const id of ids.values()) events += (await t.storage.events.forSubject(TENANT, id)).length;
    return { versions, audit, events };
  }

  const role = (report: WhatIfReport, name: string) => report.roles.find((entry) => entry.role === name) as WhatIfRole;
  const names = (side: WhatIfRole['gained']) => side.users.map((entry) => entry.userName).sort();

  before(async () => {
    t = await startTestApp('admin-policy-what-if', { ADMIN_TOKEN });
    dir = await mkdtemp(path.join(os.tmpdir(), 'scim-what-if-'));
    for (const [name, person] of Object.entries(PEOPLE)) {
      const enterprise = { ...(person.department ? { department: person.department } : {}), ...(person.employeeNumber ? { employeeNumber: `E-${name}` } : {}) };
      const body = user(name, {
        schemas: [USER_SCHEMA, ENTERPRISE],
        userType: person.userType,
        active: person.active ?? true,
        ...(person.title ? { title: person.title } : {}),
        ...(person.roles ? { roles: person.roles.map((value) => ({ value })) } : {}),
        [ENTERPRISE]: enterprise,
      });
      const response = await t.scim.post('/Users').send(body).expect(201);
      ids.set(name, String((response.body as { id: string }).id));
    }
    for (let n = 0; n < FILLERS; n += 1) {
      const response = await t.scim.post('/Users').send(user(`finance-${n}`, { schemas: [USER_SCHEMA, ENTERPRISE], userType: 'Employee', [ENTERPRISE]: { department: 'Finance', employeeNumber: `F-${n}` } })).expect(201);
      ids.set(`finance-${n}`, String((response.body as { id: string }).id));
    }
    await t.scim.post('/Groups').send(group('Engineering On-Call', [ids.get('ops') as string])).expect(201);
    draftText = JSON.stringify(await realisticDraft(), null, 2);
  });

  after(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('POST /admin/policy/what-if', () => {
    it('names, per role, who would gain and lose it, how many, and the rules responsible', async () => {
      const response = await whatIf(draftText);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const report = response.body as WhatIfReport;
      const draft = loadPolicy(EXAMPLE_POLICY_FILE);
      assert.equal(report.currentFingerprint, draft.fingerprint);
      assert.equal(report.tenant, TENANT);
      assert.deepEqual(report.summary, { users: 12 + FILLERS, active: 11 + FILLERS, usersAffected: 8, usersGaining: 4, usersLosing: 4, gains: 4, losses: 4 });

      const legal = role(report, 'legal-counsel');
      assert.deepEqual(names(legal.gained), ['lea', 'leo', 'ray']);
      assert.deepEqual({ count: legal.gained.count, rules: legal.gained.rules, direct: legal.gained.direct }, { count: 3, rules: { legal: 2 }, direct: 1 });
      assert.deepEqual(legal.gained.users.find((entry) => entry.userName === 'ray'), { userId: ids.get('ray'), userName: 'ray', rules: [], direct: true });
      assert.deepEqual(legal.permissions, { current: null, draft: ['contracts:read'], added: ['contracts:read'], removed: [] });
      assert.deepEqual(legal.holders, { current: 0, draft: 3 });

      const contractors = role(report, 'contractor-limited');
      assert.deepEqual(names(contractors.lost), ['cal', 'cora'], 'the inactive contractor holds nothing and loses nothing');
      assert.deepEqual(contractors.lost.rules, { contractors: 2 });
      assert.equal(contractors.gained.count, 0);

      const managers = role(report, 'sales-manager');
      assert.deepEqual(names(managers.gained), ['dan']);
      assert.deepEqual(managers.gained.rules, { 'sales-managers': 1 });
      assert.deepEqual(managers.holders, { current: 1, draft: 2 });

      const oncall = role(report, 'oncall');
      assert.deepEqual(names(oncall.lost), ['dora', 'ops']);
      assert.deepEqual({ rules: oncall.lost.rules, direct: oncall.lost.direct }, { rules: { 'engineering-oncall': 1 }, direct: 1 });
      assert.equal(oncall.permissions.draft, null);

      const reps = role(report, 'sales-rep');
      assert.deepEqual([reps.gained.count, reps.lost.count], [0, 0]);
      assert.deepEqual(reps.permissions.added, ['crm:export']);
      assert.deepEqual(reps.holders, { current: 3, draft: 3 });

      assert.deepEqual(role(report, 'employee-baseline').holders, { current: 9 + FILLERS, draft: 9 + FILLERS });
      assert.deepEqual(report.draftRules.find((entry) => entry.rule === 'auditors'), { rule: 'auditors', users: 0 });
      assert.deepEqual(report.draftRules.find((entry) => entry.rule === 'legal'), { rule: 'legal', users: 2 });
    });

    it('lists at most `limit` users per role and direction; the counts stay whole', async () => {
      const report = (await whatIf(draftText, '?limit=1').expect(200)).body as WhatIfReport;
      const legal = role(report, 'legal-counsel');
      assert.equal(report.limit, 1);
      assert.deepEqual([legal.gained.count, legal.gained.users.length, legal.gained.truncated], [3, 1, true]);
      assert.equal(role(report, 'sales-manager').gained.truncated, false);
      const none = (await whatIf(draftText, '?limit=0').expect(200)).body as WhatIfReport;
      assert.ok(none.roles.every((entry) => entry.gained.users.length === 0 && entry.lost.users.length === 0));
    });

    it('format=csv lists every change, one row per user and role', async () => {
      const response = await whatIf(draftText, '?format=csv').expect(200);
      assert.match(String(response.headers['content-type']), /^text\/csv/);
      const rows = parse(response.text, { columns: true }) as Record<string, string>[];
      const changes = rows.map((row) => `${row['userName']} ${row['change']} ${row['role']} [${row['rules']}] ${row['direct']}`).sort();
      assert.deepEqual(changes, [
        'cal lost contractor-limited [contractors] false',
        'cora lost contractor-limited [contractors] false',
        'dan gained sales-manager [sales-managers] false',
        'dora lost oncall [] true',
        'lea gained legal-counsel [legal] false',
        'leo gained legal-counsel [legal] false',
        'ops lost oncall [engineering-oncall] false',
        'ray gained legal-counsel [] true',
      ]);
    });

    it('writes nothing: versions, audit trail and events are as before', async () => {
      const before = await storedState();
      await whatIf(draftText).expect(200);
      await whatIf(draftText, '?format=csv').expect(200);
      assert.deepEqual(await storedState(), before);
    });

    it('refuses a bad draft with 400 invalidValue naming every problem, as start-up would name them', async () => {
      const valid = await realisticDraft();
      const bad: [string, string | unknown][] = [
        ['not JSON', '{"roles": {}, "rules": [}'],
        ['empty body', ''],
        ['an undefined role granted', { ...valid, rules: [{ name: 'x', grant: ['no-such-role'], when: { attribute: 'title', present: true } }] }],
        ['an unknown attribute', { ...valid, rules: [{ name: 'x', grant: ['engineer'], when: { attribute: 'shoeSize', equals: 42 } }] }],
        ['no rules', { roles: valid.roles }],
        ['two problems at once', { roles: { r: { permissions: [] } }, rules: [{ name: 'a', grant: ['q'], when: { attribute: 'nope', equals: 1 } }] }],
        ['rules named twice', { ...valid, rules: [valid.rules[0], { ...valid.rules[1], name: valid.rules[0]?.name.toUpperCase() }] }],
        ['an array', '[]'],
      ];
      const before = await storedState();
      for (const [label, draft] of bad) {
        const text = typeof draft === 'string' ? draft : JSON.stringify(draft);
        const response = await whatIf(text);
        assertScimError(response, 400, 'invalidValue');
        // Start-up's own words: the same problems for the same text in a POLICY_FILE.
        const file = path.join(dir, 'bad.json');
        await writeFile(file, text);
        let expected: string[] = [];
        try {
          loadPolicy(file);
        } catch (error) {
          assert.ok(error instanceof PolicyError, label);
          expected = error.problems.map((line) => line.replace(`${file}: `, 'draft policy: '));
        }
        assert.ok(expected.length > 0, `${label}: start-up refuses it too`);
        assert.deepEqual((response.body as { detail: string }).detail.split('\n'), expected, label);
      }
      assert.deepEqual(await storedState(), before);
    });

    it('refuses a body nested without end (400 invalidSyntax), one not sent as JSON (415), bad parameters (400)', async () => {
      const deep = `${'{"not":'.repeat(100)}{"attribute":"title","present":true}${'}'.repeat(100)}`;
      assertScimError(await whatIf(`{"roles":{},"rules":[{"name":"x","grant":[],"when":${deep}}]}`), 400, 'invalidSyntax');
      assertScimError(await whatIf(draftText, '', ADMIN_TOKEN, 'text/plain'), 415);
      assertScimError(await whatIf(draftText, '?limit=many'), 400, 'invalidValue');
      assertScimError(await whatIf(draftText, '?format=xml'), 400, 'invalidValue');
      assertScimError(await whatIf(draftText, '?dryRun=false'), 400, 'invalidValue');
    });

    it('needs audit:read: a SCIM connector token is refused (403), no token is 401', async () => {
      assertScimError(await whatIf(draftText, '', TEST_TOKEN), 403);
      assertScimError(await supertest(t.app).post('/admin/policy/what-if').set('Content-Type', 'application/json').send(draftText), 401);
    });
  });

  describe('npm run policy -- diff', () => {
    let draftFile: string;
    const env = () => ({ MONGODB_URI: testDatabaseUri(t.dbName ?? ''), POLICY_FILE: EXAMPLE_POLICY_FILE });

    before(async () => {
      draftFile = path.join(dir, 'draft.json');
      await writeFile(draftFile, draftText);
    });

    it('prints the roles table, the rules responsible and the users, writing nothing', async () => {
      const before = await storedState();
      const run = await runCli('policy', ['diff', draftFile], env());
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`against the ${12 + FILLERS} users of tenant "default"`));
      assert.match(run.stdout, /^8 users would change: 4 would gain a role \(4 grants\), 4 would lose one \(4 grants\)\.$/m);
      assert.match(run.stdout, /^legal-counsel\s+0\s+3\s+\+3\s+0\s+new role: contracts:read$/m);
      assert.match(run.stdout, /^oncall\s+2\s+0\s+0\s+-2\s+not in the draft$/m);
      assert.match(run.stdout, /^sales-rep\s+3\s+3\s+0\s+0\s+\+crm:export$/m);
      assert.match(run.stdout, /^legal-counsel: 3 users would gain it; granted by rule legal \(2\), the IdP's roles attribute \(1\)$/m);
      assert.match(run.stdout, /^oncall: 2 users would lose it; granted now by rule engineering-oncall \(1\), the IdP's roles attribute \(1\)$/m);
      assert.match(run.stdout, new RegExp(`^  \\+ dan \\(${ids.get('dan')}\\)$`, 'm'));
      assert.match(run.stdout, /^draft rules that match nobody: finance-analysts, payroll-approvers, engineers, auditors$/m);
      assert.deepEqual(await storedState(), before);
    });

    it('--format json is the admin API report; --format csv its CSV', async () => {
      const json = await runCli('policy', ['diff', draftFile, '--format', 'json', '--limit', '2'], env());
      assert.equal(json.code, 0, json.stderr);
      const api = (await whatIf(draftText, '?limit=2').expect(200)).body as WhatIfReport;
      assert.deepEqual({ ...(JSON.parse(json.stdout) as WhatIfReport), generatedAt: '' }, { ...api, generatedAt: '' });

      const csv = await runCli('policy', ['diff', draftFile, '--format=csv'], env());
      assert.equal(csv.code, 0, csv.stderr);
      assert.equal(csv.stdout, (await whatIf(draftText, '?format=csv').expect(200)).text);
    });

    it('a bad draft exits 2 with one line per problem, as other usage errors; nothing is opened', async () => {
      const bad = path.join(dir, 'bad-draft.json');
      await writeFile(bad, JSON.stringify({ roles: { r: { permissions: [] } }, rules: [{ name: 'a', grant: ['q'], when: { attribute: 'nope', equals: 1 } }] }));
      let problems: readonly string[] = [];
      try {
        loadPolicy(bad);
      } catch (error) {
        if (error instanceof PolicyError) problems = error.problems;
      }
      assert.ok(problems.length > 1, 'several problems, several lines');
      const cases: [string[], string[]][] = [
        [['diff', bad], problems.map((line) => `policy diff: ${line}`)],
        [['diff', path.join(dir, 'missing.json')], [`policy diff: ${path.join(dir, 'missing.json')}: cannot read the policy file: the file does not exist`]],
        [['diff'], ['policy diff: missing draft policy file']],
        [['diff', draftFile, '--format', 'xml'], ['policy diff: --format must be one of text, json, csv, not "xml"']],
        [['diff', draftFile, '--limit', '-1'], ['policy diff: --limit needs a value (<n>)']],
        [['diff', draftFile, '--tenant', 'no tenant'], ['policy diff: --tenant: the tenant must be 1-64 letters, digits, "-" or "_"']],
      ];
      for (const [args, lines] of cases) {
        // An unreachable database: reaching it would be an error (1), not a usage error.
        const run = await runCli('policy', args, { MONGODB_URI: 'mongodb://127.0.0.1:1/none', POLICY_FILE: EXAMPLE_POLICY_FILE });
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        const expected = [...lines.slice(0, -1), `${lines.at(-1)}; see "npm run policy -- diff --help"`];
        assert.equal(run.stderr, expected.map((line) => `${line}\n`).join(''), args.join(' '));
      }
    });
  });
});
