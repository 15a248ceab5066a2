import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { grants, type Scope } from '../../src/auth/scopes.js';
import supertest from 'supertest';
import { directPages, startConsoleBrowser, type ConsoleBrowser } from '../support/browser.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { issueToken } from '../security/helpers.js';

const path = (c: ConsoleBrowser) => new URL(c.page.url()).pathname;
const statusText = (c: ConsoleBrowser) => c.page.$eval('[role="status"]', (status) => status.textContent ?? '');

describe('Console: session timeouts', function () {
  this.timeout(60_000);

  describe('idle timeout (CONSOLE_SESSION_IDLE_SECONDS=1)', () => {
    let c: ConsoleBrowser;
    before(async () => {
      c = await startConsoleBrowser('console-idle', { CONSOLE_SESSION_IDLE_SECONDS: '1', CONSOLE_SESSION_MAX_SECONDS: '60' });
    });
    after(() => c.close());

    it('a session unused for the idle time ends; the next page asks to sign in again, and the session is gone from the database', async () => {
      await c.signInWith(['audit:read']);
      assert.equal(path(c), '/console/overview');
      await sleep(1_200);
      await c.visit('/overview');
      assert.equal(path(c), '/console/sign-in');
      assert.match(await statusText(c), /session has ended/);
      assert.equal(await c.t.storage.sessions.purge(new Date(), new Date(0)), 0, 'removed when found idle');
    });

    it('a state change posted after the idle time is refused (401) and changes nothing', async () => {
      await c.signInWith(['audit:read', 'tokens:manage']);
      await c.visit('/tokens');
      const csrf = await c.csrfToken();
      await c.token(['audit:read'], 'still-here');
      await sleep(1_200);
      const answer = await c.post('/tokens/revoke', { _csrf: csrf, name: 'still-here' });
      assert.equal(answer.status, 401);
      const listed = await c.t.storage.credentials.list('default');
      assert.equal(listed.find((record) => record.name === 'still-here')?.revokedAt, undefined);
    });
  });

  describe('absolute timeout (CONSOLE_SESSION_MAX_SECONDS=2)', () => {
    let c: ConsoleBrowser;
    before(async () => {
      c = await startConsoleBrowser('console-absolute', { CONSOLE_SESSION_IDLE_SECONDS: '2', CONSOLE_SESSION_MAX_SECONDS: '2' });
    });
    after(() => c.close());

    it('a session in constant use still ends at the absolute timeout', async () => {
      await c.signInWith(['audit:read']);
      const started = Date.now();
      while (Date.now() - started < 1_600) {
        await c.visit('/overview');
        assert.equal(path(c), '/console/overview', 'in use, within the absolute time');
        await sleep(400);
      }
      await sleep(Math.max(0, 2_100 - (Date.now() - started)));
      await c.visit('/overview');
      assert.equal(path(c), '/console/sign-in');
      assert.match(await statusText(c), /session has ended/);
    });
  });
});

describe('Console: scopes decide what a session sees and does', function () {
  this.timeout(60_000);
  let c: ConsoleBrowser;
  before(async () => {
    c = await startConsoleBrowser('console-scopes');
  });
  after(() => c.close());
  afterEach(async () => {
    await c.page.deleteCookie(...(await c.page.cookies()));
    c.takeErrors();
  });

  const navLinks = () => c.page.$$eval('nav a', (anchors) => anchors.map((anchor) => anchor.getAttribute('href')));

  it('an audit:read session has no Tokens link; the Tokens page answers 403, and its actions refuse a valid form (403), changing nothing', async () => {
    await c.signInWith(['audit:read']);
    assert.equal((await navLinks()).includes('/console/tokens'), false);
    const page = await c.visit('/tokens');
    assert.equal(page.status(), 403);
    assert.match(await c.page.$eval('[role="alert"]', (alert) => alert.textContent ?? ''), /tokens:manage/);
    await c.visit('/overview');
    const csrf = await c.csrfToken();
    await c.token(['scim:read'], 'connector');
    for (const [action, fields] of [
      ['revoke', { name: 'connector' }],
      ['rotate', { name: 'connector' }],
      ['create', { name: 'minted', 'scope-audit:read': 'on' }],
    ] as const) {
      const answer = await c.post(`/tokens/${action}`, { _csrf: csrf, ...fields });
      assert.equal(answer.status, 403, action);
    }
    const names = (await c.t.storage.credentials.list('default')).map((record) => [record.name, record.revokedAt]);
    assert.deepEqual(names.filter(([name]) => name === 'connector' || name === 'minted'), [['connector', undefined]]);
  });

  for (const scopes of [['audit:read'], ['tokens:manage'], ['audit:read', 'tokens:manage']] as Scope[][]) {
    it(`${scopes.join(' + ')}: every registered page answers 200 if the scopes open it, else 403; the navigation lists exactly those it opens`, async () => {
      await c.signInWith(scopes);
      const opened = directPages().filter((page) => grants(scopes, page.scope));
      assert.deepEqual(await navLinks(), opened.filter((page) => page.nav).map((page) => `/console${page.path}`));
      for (const page of directPages()) assert.equal((await c.visit(page.path)).status(), opened.includes(page) ? 200 : 403, page.path);
    });
  }

  it('sign-in leads to the first page the scopes open: a tokens:manage session lands on Tokens', async () => {
    await c.signInWith(['tokens:manage']);
    assert.equal(path(c), '/console/tokens');
  });

  it('an unknown console address is a 404 page, an unknown action or download too (names an object inherits included)', async () => {
    await c.signInWith(['audit:read', 'tokens:manage']);
    assert.equal((await c.visit('/no-such-page')).status(), 404);
    for (const name of ['explode', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const answer = await c.post(`/tokens/${name}`, { _csrf: await c.csrfToken() });
      assert.equal(answer.status, 404, `action ${name}`);
      assert.equal((await c.visit(`/access-review/download/${name}`)).status(), 404, `download ${name}`);
    }
  });

  it('a bearer token is no session: the console answers a request carrying one as any request without a session', async () => {
    const token = await c.token(['audit:read', 'tokens:manage']);
    const response = await fetch(`${c.origin}/console/overview`, { headers: { Authorization: `Bearer ${token}` }, redirect: 'manual' });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/console/sign-in');
  });

  it('without a session, a page leads to sign-in and a POST is refused (401)', async () => {
    const response = await fetch(`${c.origin}/console/overview`, { redirect: 'manual' });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/console/sign-in');
    const posted = await fetch(`${c.origin}/console/tokens/revoke`, { method: 'POST', body: new URLSearchParams({ name: 'x' }), redirect: 'manual' });
    assert.equal(posted.status, 401);
  });
});

describe('Console: the session cookie behind HTTPS', function () {
  this.timeout(30_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp('console-https', { PUBLIC_BASE_URL: 'https://scim.example.com/scim/v2' });
  });
  after(() => t.close());

  it('is Secure when PUBLIC_BASE_URL is https (a TLS-terminating proxy in front), as is the sign-in form’s cookie', async () => {
    const agent = supertest.agent(t.app);
    const form = await agent.get('/console/sign-in');
    const formCookie = String(form.headers['set-cookie']);
    assert.match(formCookie, /; Secure/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
    const token = await issueToken(t.storage.credentials, 'default', 'https-admin', ['audit:read']);
    const signedIn = await supertest(t.app).post('/console/sign-in').set('Cookie', formCookie.split(';', 1)[0] as string).type('form').send({ _csrf: csrf, token });
    assert.equal(signedIn.status, 303);
    const session = (signedIn.headers['set-cookie'] as unknown as string[]).find((cookie) => cookie.startsWith('scim_console_session='));
    assert.match(session ?? '', /; Path=\/console; HttpOnly; Secure; SameSite=Strict$/);
  });
});
