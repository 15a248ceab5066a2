import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import supertest from 'supertest';
import { EXAMPLE_POLICY_FILE } from '../../src/lifecycle/policy/load.js';
import type { WhatIfReport } from '../../src/services/policy-what-if.js';
import { ENTERPRISE, USER_SCHEMA, user } from '../support/app.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../support/browser.js';

type PolicyJson = { roles: Record<string, { permissions: string[] }>; rules: { name: string; grant: string[]; when: unknown }[] } & Record<string, unknown>;

/** Contractors lose their default access; Legal gets a role of its own. */
async function draftText(): Promise<string> {
  const draft = JSON.parse(await readFile(EXAMPLE_POLICY_FILE, 'utf8')) as PolicyJson;
  delete draft['$schema'];
  draft.rules = draft.rules.filter((rule) => rule.name !== 'contractors');
  draft.roles['legal-counsel'] = { permissions: ['contracts:read'] };
  draft.rules.push({ name: 'legal', grant: ['legal-counsel'], when: { attribute: 'department', equals: 'Legal' } });
  return JSON.stringify(draft, null, 2);
}

describe('Console: policy what-if', function () {
  this.timeout(90_000);
  let c: ConsoleBrowser;
  let auditor: string;
  let draft: string;

  const api = (body: string) => supertest(c.t.app).post('/admin/policy/what-if').set('Authorization', `Bearer ${auditor}`).set('Content-Type', 'application/json').send(body);
  const versions = async () => {
    const all: string[] = [];
    for await (const page of c.t.storage.users.walk('default', 100)) all.push(...page.map((record) => `${record.id}@${record.version}`));
    return all;
  };

  /** Puts the draft in the form and submits it, as a person pasting it does. */
  async function evaluate(text: string): Promise<number | undefined> {
    await c.page.$eval('#field-draft', (area, value) => {
      (area as HTMLTextAreaElement).value = value;
    }, text);
    const [response] = await Promise.all([c.page.waitForNavigation(), c.page.click('form[action="/console/policy-what-if/evaluate"] button[type="submit"]')]);
    return response?.status();
  }

  before(async () => {
    c = await startConsoleBrowser('console-policy-what-if');
    const people: [string, string, string][] = [
      ['lea', 'Employee', 'Legal'],
      ['leo', 'Employee', 'Legal'],
      ['cal', 'Contractor', 'Engineering'],
      ['ann', 'Employee', 'Sales'],
    ];
    for (const [name, userType, department] of people) {
      await c.t.scim.post('/Users').send(user(name, { schemas: [USER_SCHEMA, ENTERPRISE], userType, [ENTERPRISE]: { department, employeeNumber: `E-${name}` } })).expect(201);
    }
    auditor = await c.token(['audit:read'], 'auditor');
    await c.signIn(auditor);
    draft = await draftText();
  });
  after(() => c.close());

  it('starts from the running policy, and shows per role what the admin API reports, writing nothing', async () => {
    const response = await c.visit('/policy-what-if');
    assert.equal(response.status(), 200);
    const prefilled = JSON.parse(await c.page.$eval('#field-draft', (area) => (area as HTMLTextAreaElement).value)) as PolicyJson;
    assert.deepEqual(Object.keys(prefilled.roles), Object.keys((JSON.parse(await readFile(EXAMPLE_POLICY_FILE, 'utf8')) as PolicyJson).roles));

    const before = await versions();
    assert.equal(await evaluate(draft), 200);
    const report = (await api(draft).expect(200)).body as WhatIfReport;
    const figures = await c.page.$$eval('[data-figure] .value', (values) => values.map((value) => value.textContent));
    assert.deepEqual(figures, [String(report.summary.usersAffected), String(report.summary.usersGaining), String(report.summary.usersLosing)]);
    const rows = await c.page.$$eval('table', (tables) => {
      const roles = tables.find((table) => table.caption?.textContent?.startsWith('Every role'));
      return [...(roles?.tBodies[0]?.rows ?? [])].map((row) => [...row.cells].slice(0, 5).map((cell) => cell.textContent));
    });
    assert.deepEqual(rows, report.roles.map((role) => [role.role, String(role.holders.current), String(role.holders.draft), role.gained.count ? `+${role.gained.count}` : '0', role.lost.count ? `-${role.lost.count}` : '0']));
    const captions = await c.page.$$eval('caption', (all) => all.map((caption) => caption.textContent));
    assert.ok(captions.includes('legal-counsel: 2 users would gain it (granted by rule legal (2))'), captions.join('\n'));
    assert.ok(captions.includes('contractor-limited: 1 user would lose it (granted now by rule contractors (1))'), captions.join('\n'));
    const gainers = await c.page.$$eval('table', (tables) => [...(tables.find((table) => table.caption?.textContent?.startsWith('legal-counsel'))?.tBodies[0]?.rows ?? [])].map((row) => row.cells[0]?.textContent));
    assert.deepEqual(gainers.sort(), ['lea', 'leo']);
    assert.equal(await c.page.$eval('#field-draft', (area) => (area as HTMLTextAreaElement).value), draft, 'the draft stays in the form for the next edit');
    assert.deepEqual(await versions(), before);
    await c.screenshot('policy-what-if-report');
    assert.deepEqual(await c.axe(), []);
    assert.deepEqual(c.takeErrors(), []);
    assert.deepEqual(await c.takeCspViolations(), []);
  });

  it('names every problem of a bad draft, as the API does, and keeps the text', async () => {
    await c.visit('/policy-what-if');
    const bad = JSON.stringify({ roles: { r: { permissions: [] } }, rules: [{ name: 'a', grant: ['q'], when: { attribute: 'nope', equals: 1 } }] });
    assert.equal(await evaluate(bad), 200);
    const problems = await c.page.$$eval('[role="alert"] li', (items) => items.map((item) => item.textContent));
    const detail = ((await api(bad).expect(400)).body as { detail: string }).detail;
    assert.deepEqual(problems, detail.split('\n'));
    assert.equal(await c.page.$eval('#field-draft', (area) => (area as HTMLTextAreaElement).value), bad);
    assert.deepEqual(await c.axe(), []);
  });

  it('is for audit:read: a tokens:manage session has no link to it and is refused (403)', async () => {
    await c.signOut();
    await c.signInWith(['tokens:manage']);
    const links = await c.page.$$eval('nav a', (anchors) => anchors.map((anchor) => anchor.textContent));
    assert.ok(!links.includes('Policy what-if'), links.join(', '));
    assert.equal((await c.visit('/policy-what-if')).status(), 403);
    assert.equal((await c.post('/policy-what-if/evaluate', { draft })).status, 403);
    await c.signOut();
    await c.signIn(auditor);
  });
});
