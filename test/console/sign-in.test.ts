import assert from 'node:assert/strict';
import { CONSOLE_CSP } from '../../src/console/routes.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../support/browser.js';

describe('Console: signing in and out', function () {
  this.timeout(60_000);
  let c: ConsoleBrowser;

  before(async () => {
    c = await startConsoleBrowser('console-sign-in');
  });
  after(() => c.close());
  afterEach(async () => {
    await c.page.deleteCookie(...(await c.page.cookies()));
  });

  it('an audit:read token signs in, lands on the overview, under a strict CSP, with no browser errors', async () => {
    const response = await c.signInWith(['audit:read']);
    assert.equal(response?.status(), 200);
    assert.equal(new URL(c.page.url()).pathname, '/console/overview');
    assert.equal(response?.headers()['content-security-policy'], CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /script-src 'self'/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
    assert.equal(response?.headers()['cache-control'], 'no-store');
    assert.equal(await c.page.$eval('h1', (h1) => h1.textContent), 'Overview');
    assert.deepEqual(c.takeErrors(), []);
    assert.deepEqual(await c.takeCspViolations(), []);
    // The stylesheet really applied (a CSP that blocked it would leave the skip link in place).
    assert.equal(await c.page.$eval('.skip-link', (link) => getComputedStyle(link).position), 'absolute');
  });

  it('the session cookie is HttpOnly, SameSite=Strict, scoped to /console, and holds no token', async () => {
    const token = await c.token(['audit:read']);
    await c.signIn(token);
    const cookies = await c.page.cookies();
    const session = cookies.find((cookie) => cookie.name === 'scim_console_session');
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/console');
    assert.equal(session.secure, false, 'plain HTTP here: Secure only over HTTPS');
    assert.equal(session.session, true, 'ends with the browser');
    assert.ok(!session.value.includes(token));
    assert.equal(await c.page.evaluate(() => document.cookie), '', 'scripts cannot read it');
  });

  it('a SCIM-only credential cannot sign in, and is told why', async () => {
    for (const scopes of [['scim:read'], ['scim:read', 'scim:write']] as const) {
      const response = await c.signInWith([...scopes]);
      assert.equal(response?.status(), 403);
      assert.equal(new URL(c.page.url()).pathname, '/console/sign-in');
      assert.match(await c.page.$eval('[role="alert"]', (alert) => alert.textContent ?? ''), /SCIM provisioning only/);
      assert.equal((await c.page.cookies()).find((cookie) => cookie.name === 'scim_console_session'), undefined);
    }
    c.takeErrors();
  });

  it('an unknown, revoked or empty token is refused with 401', async () => {
    const revoked = await c.token(['audit:read'], 'revoked-before-sign-in');
    await c.t.storage.credentials.revoke('default', 'revoked-before-sign-in', new Date());
    for (const token of ['scim_not-a-token', revoked, '   ']) {
      const response = await c.signIn(token);
      assert.equal(response?.status(), 401, token);
      assert.match(await c.page.$eval('[role="alert"]', (alert) => alert.textContent ?? ''), /not valid/);
    }
    c.takeErrors();
  });

  it('signing out ends the session on the server: the old cookie opens nothing', async () => {
    await c.signInWith(['audit:read']);
    const cookie = (await c.page.cookies()).find((found) => found.name === 'scim_console_session');
    assert.ok(cookie);
    await c.signOut();
    assert.equal(new URL(c.page.url()).pathname, '/console/sign-in');
    assert.match(await c.page.$eval('[role="status"]', (status) => status.textContent ?? ''), /signed out/);
    await c.page.setCookie(cookie);
    await c.visit('/overview');
    assert.equal(new URL(c.page.url()).pathname, '/console/sign-in', 'the replayed cookie leads to sign-in');
  });

  it('signing in again replaces the session: the earlier cookie opens nothing', async () => {
    await c.signInWith(['audit:read']);
    const earlier = (await c.page.cookies()).find((found) => found.name === 'scim_console_session');
    assert.ok(earlier);
    await c.signInWith(['audit:read']);
    const later = (await c.page.cookies()).find((found) => found.name === 'scim_console_session');
    assert.notEqual(later?.value, earlier.value);
    await c.page.setCookie(earlier);
    await c.visit('/overview');
    assert.equal(new URL(c.page.url()).pathname, '/console/sign-in');
  });

  it('revoking the credential ends its sessions', async () => {
    await c.signIn(await c.token(['audit:read'], 'revoked-while-signed-in'));
    assert.equal((await c.visit('/overview')).status(), 200);
    await c.t.storage.credentials.revoke('default', 'revoked-while-signed-in', new Date());
    await c.visit('/overview');
    assert.equal(new URL(c.page.url()).pathname, '/console/sign-in');
    assert.match(await c.page.$eval('[role="status"]', (status) => status.textContent ?? ''), /session has ended/);
  });

  it('a sign-in form posted without its form token is refused (403)', async () => {
    const token = await c.token(['audit:read']);
    const response = await fetch(`${c.origin}/console/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }), redirect: 'manual' });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('set-cookie')?.includes('scim_console_session'), undefined);
  });

  it('a form too large or with too many fields is refused with a 4xx page, not a server error', async () => {
    for (const body of [new URLSearchParams({ token: 'x'.repeat(20_000) }), new URLSearchParams(Array.from({ length: 60 }, (_, n) => [`f${n}`, 'v']))]) {
      const response = await fetch(`${c.origin}/console/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
      assert.ok([400, 413].includes(response.status), String(response.status));
      assert.match(await response.text(), /Form refused/);
    }
  });
});
