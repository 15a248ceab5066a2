import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import { issueToken } from '../security/helpers.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../support/browser.js';
import { employee, type ReviewItem as Item } from '../support/campaigns.js';

const engineer = (userName: string, manager: string | undefined, extra: Record<string, unknown> = {}) => employee(userName, 'Engineering', manager, extra);

describe('Console: an access certification campaign driven through the browser', function () {
  this.timeout(90_000);
  let c: ConsoleBrowser;
  let manage: string;
  let reviewerToken: string;
  let campaignId: string;
  const ids: Record<string, string> = {};

  const api = (token: string) => ({
    get: (path: string) => supertest(c.t.app).get(path).set('Authorization', `Bearer ${token}`),
    post: (path: string, body: object = {}) => supertest(c.t.app).post(path).set('Authorization', `Bearer ${token}`).send(body),
  });
  const itemsSeen = async () => (await api(reviewerToken).get('/admin/reviews')).body.items as Item[];
  const itemOf = async (userName: string, grant: string) => (await itemsSeen()).find((item) => item.userName === userName && item.grant.name === grant) as Item;

  /** Fills the item's comment (if any) and presses Keep or Revoke, as the reviewer does. */
  async function decide(item: Item, decision: 'keep' | 'revoke', comment: string): Promise<number | undefined> {
    if (comment !== '') await c.page.type(`#comment-${item.id}`, comment);
    const [response] = await Promise.all([c.page.waitForNavigation(), c.page.click(`form:has(input[value="${item.id}"]) button[value="${decision}"]`)]);
    return response?.status();
  }

  before(async () => {
    c = await startConsoleBrowser('console-reviews');
    const create = async (body: Record<string, unknown>) => String((await c.t.scim.post('/Users').send(body)).body.id);
    ids['mia'] = await create(engineer('mia@example.com', undefined));
    ids['alice'] = await create(engineer('alice@example.com', ids['mia'], { roles: [{ value: 'oncall' }] }));
    ids['bob'] = await create(engineer('bob@example.com', ids['mia']));
    manage = await issueToken(c.t.storage.credentials, 'default', 'campaign-admin', ['campaigns:manage']);
  });
  after(() => c.close());

  /** Fills the "Open a campaign" form as an administrator does and submits it. */
  async function openThroughForm(fields: { name: string; scopeKind: string; scopeValue: string; reviewerKind: string; dueAt: string; undecided: string }): Promise<number | undefined> {
    await c.visit('/campaigns');
    await c.page.type('#field-name', fields.name);
    await c.page.select('#field-scopeKind', fields.scopeKind);
    await c.page.type('#field-scopeValue', fields.scopeValue);
    await c.page.select('#field-reviewerKind', fields.reviewerKind);
    await c.page.type('#field-dueAt', fields.dueAt);
    await c.page.select('#field-undecided', fields.undecided);
    const [response] = await Promise.all([c.page.waitForNavigation(), c.page.click('form[action="/console/campaigns/create"] button[type="submit"]')]);
    return response?.status();
  }

  it('a campaign administrator opens a campaign through the form and activates it', async () => {
    const landed = await c.signIn(manage);
    assert.equal(landed?.status(), 200);
    assert.equal(new URL(c.page.url()).pathname, '/console/campaigns');
    const due = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    assert.equal(await openThroughForm({ name: 'Engineering Q4', scopeKind: 'department', scopeValue: 'Engineering', reviewerKind: 'manager', dueAt: due, undecided: 'keep' }), 200);
    assert.match(await c.page.$eval('[role="status"]', (status) => status.textContent ?? ''), /opened as a draft/);
    const [listed] = (await api(manage).get('/admin/campaigns')).body.campaigns as { id: string; name: string; state: string; scope: unknown; reviewers: unknown; dueAt: string }[];
    assert.deepEqual([listed?.name, listed?.state, listed?.scope, listed?.reviewers, listed?.dueAt], ['Engineering Q4', 'draft', { kind: 'department', department: 'Engineering' }, { kind: 'manager', fallback: [] }, new Date(due).toISOString()]);
    campaignId = String(listed?.id);
    const [response] = await Promise.all([c.page.waitForNavigation(), c.page.click('form[action="/console/campaigns/activate"] button')]);
    assert.equal(response?.status(), 200);
    // alice's two grants, bob's and mia's own (which has no reviewer: mia has no manager; the close decides it).
    assert.match(await c.page.$eval('[role="status"]', (status) => status.textContent ?? ''), /is active: 4 items to review/);
    assert.equal((await api(manage).get(`/admin/campaigns/${campaignId}`)).body.state, 'active');
    assert.deepEqual(c.takeErrors(), []);
    assert.deepEqual(await c.axe(), []);
    await c.screenshot('campaign-activated');
  });

  it('refuses a campaign due in the past with the reason, storing nothing', async () => {
    assert.equal(await openThroughForm({ name: 'Too late', scopeKind: 'all', scopeValue: '', reviewerKind: 'manager', dueAt: '2020-01-01T00:00:00Z', undecided: 'keep' }), 400);
    assert.match(await c.page.$eval('[role="alert"]', (alert) => alert.textContent ?? ''), /must be in the future/);
    assert.equal(((await api(manage).get('/admin/campaigns')).body.campaigns as unknown[]).length, 1);
    c.takeErrors();
  });

  /** Fills the "Issue a reviewer's credential" form and submits it. */
  async function issueThroughForm(reviewer: string, expiresIn: string): Promise<number | undefined> {
    await c.visit('/campaigns');
    await c.page.type('#field-reviewer', reviewer);
    await c.page.type('#field-expiresIn', expiresIn);
    const [response] = await Promise.all([c.page.waitForNavigation(), c.page.click('form[action="/console/campaigns/reviewer-token"] button[type="submit"]')]);
    return response?.status();
  }

  it("issues a reviewer's credential through the form, shown once and bound to the reviewer; bad input is refused with the reason, storing nothing", async () => {
    const reviewerTokens = async () => (await c.t.storage.credentials.list('default')).filter((record) => record.scopes.includes('campaigns:review'));
    for (const [reviewer, expiresIn, status, reason] of [
      ['no-such-user', '30d', 400, /unknown reviewer: no user with id "no-such-user"/],
      [ids['mia'] as string, 'soon', 400, /Expires in must be a duration/],
      [ids['mia'] as string, '99999d', 400, /Expires in must be a duration/],
    ] as const) {
      assert.equal(await issueThroughForm(reviewer, expiresIn), status, `${reviewer} ${expiresIn}`);
      assert.match(await c.page.$eval('[role="alert"]', (alert) => alert.textContent ?? ''), reason);
      assert.deepEqual(await reviewerTokens(), []);
    }
    c.takeErrors(); // the browser reports each 400 answer as a failed load
    assert.equal(await issueThroughForm(ids['mia'] as string, '30d'), 200);
    assert.match(await c.page.$eval('[role="status"]', (status) => status.textContent ?? ''), /reviewer:.* issued\. Copy it now/);
    reviewerToken = await c.page.$eval('#new-token', (output) => output.textContent ?? '');
    const [stored] = await reviewerTokens();
    assert.deepEqual([stored?.name, stored?.reviewer, stored?.scopes], [`reviewer:${ids['mia']}`, ids['mia'], ['campaigns:review']]);
    assert.ok(stored?.expiresAt && Math.abs(stored.expiresAt.getTime() - Date.now() - 30 * 86_400_000) < 60_000, 'expires in 30 days');
    assert.deepEqual(c.takeErrors(), []);
    assert.deepEqual(await c.axe(), []);
    await c.signOut();
  });

  it('a reviewer credential signs in to its reviews, the only page it may open', async () => {
    const response = await c.signIn(reviewerToken);
    assert.equal(response?.status(), 200);
    assert.equal(new URL(c.page.url()).pathname, '/console/reviews');
    assert.deepEqual(await c.page.$$eval('nav a', (anchors) => anchors.map((anchor) => anchor.getAttribute('href'))), ['/console/reviews']);
    for (const path of ['/overview', '/tokens']) assert.equal((await c.visit(path)).status(), 403, path);
    c.takeErrors();
  });

  it('shows exactly the items GET /admin/reviews gives the reviewer', async () => {
    await c.visit('/reviews');
    const rows = await c.page.$$eval('tbody tr', (trs) => trs.map((tr) => [tr.cells[2]?.textContent, tr.cells[3]?.textContent, tr.cells[4]?.textContent]));
    const expected = (await itemsSeen()).map((item) => [item.userName, `${item.grant.kind} ${item.grant.name}`, item.grant.source]);
    assert.deepEqual(rows, expected);
    assert.equal(rows.length, 3, 'alice\'s two grants and bob\'s one; mia\'s own access is not hers to review');
    assert.deepEqual(c.takeErrors(), []);
    assert.deepEqual(await c.takeCspViolations(), []);
    assert.deepEqual(await c.axe(), []);
    await c.screenshot('campaign-review');
  });

  it('revokes a direct grant with a comment: the user loses it, and the IdP side is told', async () => {
    assert.equal(await decide(await itemOf('alice@example.com', 'oncall'), 'revoke', 'left the rota'), 200);
    assert.match(await c.page.$eval('[role="status"]', (status) => status.textContent ?? ''), /Revoked: oncall of alice@example.com/);
    assert.equal((await c.t.scim.get(`/Users/${ids['alice']}`)).body.roles, undefined);
    const events = await c.t.storage.events.forSubject('default', ids['alice'] as string);
    const announced = events.find((event) => event.type === 'access.revoked_by_review');
    assert.equal(announced?.data['comment'], 'left the rota');
    assert.equal(announced?.actor, `reviewer:${ids['mia']}`);
  });

  it('revokes a policy grant: an exception keeps policy from granting it back', async () => {
    assert.equal(await decide(await itemOf('alice@example.com', 'employee-baseline'), 'revoke', 'contractor now'), 200);
    assert.deepEqual((await c.t.storage.users.get('default', ids['alice'] as string))?.lifecycle?.grants, []);
    assert.deepEqual((await c.t.storage.policyExceptions.list('default')).map((exception) => [exception.userId, exception.role, exception.reason]), [[ids['alice'], 'employee-baseline', 'contractor now']]);
  });

  it("an auditor sees the exception on the user's page, as GET /admin/policy/exceptions gives it", async () => {
    const auditor = await c.token(['audit:read']);
    const [listed] = (await api(auditor).get(`/admin/policy/exceptions?userId=${ids['alice']}`)).body.exceptions as Record<string, unknown>[];
    await c.signOut();
    await c.signIn(auditor);
    assert.equal((await c.visit(`/users/${ids['alice']}`)).status(), 200);
    const rows = await c.tableRows('Policy exceptions: roles an access review revoked, which policy does not grant back while in force');
    assert.deepEqual(rows, [['employee-baseline', 'in force', 'for good', 'contractor now', ids['mia'], `${String(listed?.['createdAt']).replace('T', ' ').slice(0, 19)} UTC`, campaignId]]);
    await c.signOut();
    await c.signIn(reviewerToken);
  });

  it('a revocation without a comment is refused with the reason, and the item stays open', async () => {
    const bob = await itemOf('bob@example.com', 'employee-baseline');
    assert.equal(await decide(bob, 'revoke', ''), 400);
    assert.match(await c.page.$eval('[role="alert"]', (alert) => alert.textContent ?? ''), /comment/);
    assert.equal((await itemOf('bob@example.com', 'employee-baseline')).decision, null);
    c.takeErrors();
  });

  it('a decision posted without the session’s CSRF token is refused (403) and changes nothing', async () => {
    const bob = await itemOf('bob@example.com', 'employee-baseline');
    const forged = await c.post('/reviews/decide', { itemId: bob.id, decision: 'revoke', comment: 'forged' });
    assert.equal(forged.status, 403);
    assert.equal((await itemOf('bob@example.com', 'employee-baseline')).decision, null);
  });

  it('keeps with a comment; a decided item shows its decision instead of the form', async () => {
    await c.visit('/reviews');
    assert.equal(await decide(await itemOf('bob@example.com', 'employee-baseline'), 'keep', 'still on the team'), 200);
    const row = await c.page.$$eval('tbody tr', (trs) => trs.map((tr) => tr.textContent ?? '').find((text) => text.includes('bob@example.com')));
    assert.match(row ?? '', /kept still on the team/);
    assert.equal(await c.page.$(`form:has(input[value="${(await itemOf('bob@example.com', 'employee-baseline')).id}"])`), null);
  });

  it('the administrator closes the campaign; its report, downloaded from the console, carries the decisions made there', async () => {
    await c.signOut();
    await c.signIn(manage);
    const [closed] = await Promise.all([c.page.waitForNavigation(), c.page.click('form[action="/console/campaigns/close"] button')]);
    assert.equal(closed?.status(), 200);
    assert.equal((await api(manage).get(`/admin/campaigns/${campaignId}`)).body.state, 'closed');
    const href = await c.page.$eval('a[href*="/campaigns/download/csv"]', (anchor) => anchor.getAttribute('href') ?? '');
    const cookie = (await c.page.cookies()).map(({ name, value }) => `${name}=${value}`).join('; ');
    const download = await fetch(`${c.origin}${href}`, { headers: { Cookie: cookie } });
    assert.equal(download.status, 200);
    const text = await download.text();
    assert.equal(text, (await api(manage).get(`/admin/campaigns/${campaignId}/report`)).text, 'the same report as the API');
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    const byMia = rows.filter((row) => row['decidedBy'] === ids['mia']).map((row) => `${row['userName']} ${row['grant']} ${row['decision']} ${row['comment']}`).sort();
    assert.deepEqual(byMia, ['alice@example.com employee-baseline revoke contractor now', 'alice@example.com oncall revoke left the rota', 'bob@example.com employee-baseline keep still on the team']);
    await c.signOut();
    await c.signIn(reviewerToken);
    assert.match(await c.page.$eval('tbody', (body) => body.textContent ?? ''), /No items to review/);
  });
});
