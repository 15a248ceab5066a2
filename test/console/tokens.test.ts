import assert from 'node:assert/strict';
import supertest from 'supertest';
import { startConsoleBrowser, type ConsoleBrowser } from '../support/browser.js';

interface ListedToken {
  name: string;
  status: string;
  scopes: string[];
}

describe('Console: tokens', function () {
  this.timeout(60_000);
  let c: ConsoleBrowser;
  let adminToken: string;

  const api = (token: string) => ({
    tokens: async () => ((await supertest(c.t.app).get('/admin/tokens').set('Authorization', `Bearer ${token}`)).body as { tokens: ListedToken[] }).tokens,
    audit: (query = '') => supertest(c.t.app).get(`/admin/audit${query}`).set('Authorization', `Bearer ${token}`),
  });
  const statusOf = async (name: string) => (await api(adminToken).tokens()).filter((token) => token.name === name).at(-1)?.status;

  /** Submits the create form as a person does. */
  async function createThroughForm(name: string, scopes: string[], expiresIn = ''): Promise<string> {
    await c.visit('/tokens');
    await c.page.type('#field-name', name);
    for (const scope of scopes) await c.page.click(`#scope-${scope.replace(':', '\\:')}`);
    if (expiresIn) await c.page.type('#field-expiresIn', expiresIn);
    await Promise.all([c.page.waitForNavigation(), c.page.click('form[action="/console/tokens/create"] button[type="submit"]')]);
    return c.page.$eval('#new-token', (output) => output.textContent ?? '');
  }

  before(async () => {
    c = await startConsoleBrowser('console-tokens');
    adminToken = await c.token(['audit:read', 'tokens:manage'], 'console-admin');
    await c.token(['scim:read', 'scim:write'], 'okta');
    await c.signIn(adminToken);
  });
  after(() => c.close());

  it('lists the tenant’s tokens as GET /admin/tokens does', async () => {
    await c.visit('/tokens');
    const rows = await c.page.$$eval('tbody tr', (trs) => trs.map((tr) => [tr.cells[0]?.textContent, tr.cells[1]?.textContent, tr.cells[2]?.textContent]));
    const listed = await api(adminToken).tokens();
    assert.deepEqual(rows, listed.map((token) => [token.name, token.scopes.join(', '), token.status]));
    assert.deepEqual(c.takeErrors(), []);
  });

  it('creates a token shown once, that works, is listed, and is audited with the session’s credential as actor', async () => {
    const token = await createThroughForm('auditor-bot', ['audit:read'], '30d');
    assert.match(token, /^scim_/);
    assert.equal(c.takeErrors().length, 0);
    assert.deepEqual(await c.axe(), [], 'the page showing the token is accessible too');
    assert.equal((await api(token).audit()).status, 200);
    assert.equal(await statusOf('auditor-bot'), 'active');
    const entries = (await api(adminToken).audit('?resourceType=Token&resource=auditor-bot')).body as { entries: { actor: string; operation: string }[] };
    assert.deepEqual(entries.entries.map((entry) => [entry.actor, entry.operation]), [['console-admin', 'create']]);
    await c.visit('/tokens');
    assert.equal((await c.page.content()).includes(token), false, 'never shown again');
  });

  it('refuses a scope the session’s credential does not hold (403), storing nothing', async () => {
    await c.visit('/tokens');
    assert.equal(await c.page.$eval('#scope-scim\\:write', (box) => (box as HTMLInputElement).disabled), true, 'offered disabled');
    const refused = await c.post('/tokens/create', { _csrf: await c.csrfToken(), name: 'sneaky', 'scope-scim:write': 'on' });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /can grant only scopes it holds/);
    assert.equal(await statusOf('sneaky'), undefined);
  });

  it('refuses bad input with the rule, storing nothing', async () => {
    const csrf = await c.csrfToken();
    for (const [fields, status, message] of [
      [{ name: 'no scopes' }, 400, /name must be|at least one scope/],
      [{ name: 'ok-name' }, 400, /at least one scope/],
      [{ name: 'x', 'scope-audit:read': 'on', expiresIn: 'forever' }, 400, /duration/],
      [{ name: 'console-admin', 'scope-audit:read': 'on' }, 409, /already exists/],
    ] as const) {
      const answer = await c.post('/tokens/create', { _csrf: csrf, ...fields });
      assert.equal(answer.status, status, JSON.stringify(fields));
      assert.match(answer.text, message);
    }
    assert.equal(await statusOf('ok-name'), undefined);
  });

  it('rotates a token: the new one works, the old one stops at once', async () => {
    const old = await createThroughForm('rotate-me', ['audit:read']);
    await c.visit('/tokens');
    await Promise.all([c.page.waitForNavigation(), c.page.click('form[action="/console/tokens/rotate"]:has(input[value="rotate-me"]) button')]);
    const rotated = await c.page.$eval('#new-token', (output) => output.textContent ?? '');
    assert.notEqual(rotated, old);
    assert.equal((await api(rotated).audit()).status, 200);
    assert.equal((await api(old).audit()).status, 401);
  });

  it('revokes a token: it stops working, and the page says so', async () => {
    const token = await createThroughForm('revoke-me', ['audit:read']);
    await c.visit('/tokens');
    await Promise.all([c.page.waitForNavigation(), c.page.click('form[action="/console/tokens/revoke"]:has(input[value="revoke-me"]) button')]);
    assert.match(await c.page.$eval('[role="status"]', (status) => status.textContent ?? ''), /revoke-me.*revoked/);
    assert.equal((await api(token).audit()).status, 401);
    assert.equal(await statusOf('revoke-me'), 'revoked');
  });

  it('a state change without the session’s CSRF token, or with another one, is refused with 403 and changes nothing', async () => {
    await c.visit('/tokens');
    for (const fields of [{ name: 'okta' }, { name: 'okta', _csrf: '' }, { name: 'okta', _csrf: 'not-this-sessions-token' }] as Record<string, string>[]) {
      const answer = await c.post('/tokens/revoke', fields);
      assert.equal(answer.status, 403, JSON.stringify(fields));
      assert.match(answer.text, /Form refused/);
      assert.equal(await statusOf('okta'), 'active');
    }
  });

  it('keyboard only: the create form is filled and sent with Tab, Space and Enter (disabled scopes are skipped)', async () => {
    await c.visit('/tokens');
    await c.page.focus('#field-name');
    await c.page.keyboard.type('keyboard-made');
    await c.page.keyboard.press('Tab');
    assert.equal(await c.page.evaluate(() => document.activeElement?.id), 'scope-audit:read', 'the scopes this credential cannot grant take no focus');
    await c.page.keyboard.press('Space');
    await c.page.keyboard.press('Tab');
    await c.page.keyboard.press('Tab');
    assert.equal(await c.page.evaluate(() => document.activeElement?.id), 'field-expiresIn');
    await c.page.keyboard.type('1d');
    await Promise.all([c.page.waitForNavigation(), c.page.keyboard.press('Enter')]);
    assert.match(await c.page.$eval('#new-token', (output) => output.textContent ?? ''), /^scim_/);
    const made = (await api(adminToken).tokens()).find((token) => token.name === 'keyboard-made');
    assert.deepEqual(made?.scopes, ['audit:read']);
  });
});
