import assert from 'node:assert/strict';
import { CONSOLE_PAGES } from '../../src/console/pages/index.js';
import type { ConsolePage } from '../../src/console/page.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../support/browser.js';
import { webhooksFor } from '../../src/lifecycle/webhooks/webhook-config.js';
import { DEMO_WEBHOOKS, seedDirectory, seedReceivers } from '../support/console-data.js';

/** `/users/:id` → a pattern matching `/users/<anything but a slash>`. */
function pathPattern(page: ConsolePage): RegExp {
  const escaped = page.path.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^/console${escaped.join('/')}$`);
}

/**
 * Every registered page, found the way a person finds it: from the navigation, and detail pages
 * (`/users/:id`) through the first link to them on a page already visited. A page added to the
 * registry is covered here without a change to this file.
 */
async function reachEveryPage(c: ConsoleBrowser, visit: (page: ConsolePage, path: string) => Promise<void>): Promise<void> {
  const queue: string[] = [];
  const seen = new Set<string>();
  const reached = new Map<ConsolePage, string>();
  const links = () => c.page.$$eval('a[href^="/console/"]', (anchors) => anchors.map((anchor) => anchor.getAttribute('href') ?? ''));
  await c.visit('/overview');
  queue.push(...(await links()));
  while (queue.length > 0 && reached.size < CONSOLE_PAGES.length) {
    const href = queue.shift() as string;
    const path = href.split(/[?#]/, 1)[0] as string;
    if (seen.has(path)) continue;
    seen.add(path);
    const page = CONSOLE_PAGES.find((candidate) => !reached.has(candidate) && pathPattern(candidate).test(path));
    if (!page) continue;
    reached.set(page, path);
    await visit(page, path);
    queue.push(...(await links()));
  }
  assert.deepEqual(
    CONSOLE_PAGES.filter((page) => !reached.has(page)).map((page) => page.path),
    [],
    'every registered page is reachable by links from the navigation (seed data that links to a detail page)',
  );
}

describe('Console: every page', function () {
  this.timeout(180_000);
  let c: ConsoleBrowser;

  before(async () => {
    c = await startConsoleBrowser('console-pages', { WEBHOOKS: JSON.stringify(DEMO_WEBHOOKS) }, { webhooksFor: (event) => webhooksFor(event, DEMO_WEBHOOKS) });
    await seedDirectory(c.t);
    await seedReceivers(c.t);
    await c.signInWith(['audit:read', 'tokens:manage'], 'console-admin');
    c.takeErrors();
  });
  after(() => c.close());

  it('opens every registered page: 200, its title, no browser errors, no CSP violation, no serious or critical axe violation', async () => {
    await reachEveryPage(c, async (page, path) => {
      const response = await c.visit(path.slice('/console'.length));
      assert.equal(response.status(), 200, path);
      assert.equal(response.headers()['content-security-policy']?.includes("script-src 'self'"), true, path);
      assert.ok((await c.page.title()).endsWith('· SCIM console'), path);
      assert.deepEqual(c.takeErrors(), [], `${path}: browser console errors`);
      assert.deepEqual(await c.takeCspViolations(), [], `${path}: CSP violations`);
      const violations = await c.axe();
      assert.deepEqual(violations.map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`), [], `${path}: axe`);
      await c.screenshot(page.path.replace(/^\//, '').replace(/\/:?/g, '-'));
    });
  });

  it('every page in the navigation is a registered page the session may open, and the current one is marked', async () => {
    await c.visit('/overview');
    const nav = await c.page.$$eval('nav a', (anchors) => anchors.map((anchor) => ({ href: anchor.getAttribute('href'), current: anchor.getAttribute('aria-current') })));
    assert.deepEqual(
      nav.map((link) => link.href),
      CONSOLE_PAGES.filter((page) => page.nav).map((page) => `/console${page.path}`),
    );
    assert.deepEqual(nav.filter((link) => link.current === 'page').map((link) => link.href), ['/console/overview']);
  });

  it('keyboard: the first Tab reaches the skip link, which moves focus to the main content; focus is visible', async () => {
    await c.visit('/overview');
    await c.page.keyboard.press('Tab');
    assert.equal(await c.page.evaluate(() => document.activeElement?.textContent), 'Skip to main content');
    assert.notEqual(await c.page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle), 'none');
    await c.page.keyboard.press('Enter');
    assert.equal(await c.page.evaluate(() => document.activeElement?.id), 'main');
    await c.page.keyboard.press('Tab');
    assert.equal(await c.page.evaluate(() => document.activeElement?.closest('header') ?? null), null, 'the next Tab goes on from the main content, not back to the navigation');
  });

  it('the error pages too: a 404 and a 403 have no axe violation', async () => {
    assert.equal((await c.visit('/no-such-page')).status(), 404);
    assert.deepEqual(await c.axe(), []);
    const other = await c.browser.createBrowserContext();
    const page = await other.newPage();
    await page.goto(`${c.origin}/console/sign-in`);
    await page.type('#field-token', await c.token(['tokens:manage']));
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    assert.equal((await page.goto(`${c.origin}/console/overview`))?.status(), 403);
    assert.deepEqual(await c.axe(page), []);
    await other.close();
    c.takeErrors();
  });

  it('the sign-in page too: labelled, no axe violation', async () => {
    const other = await c.browser.createBrowserContext();
    const page = await other.newPage();
    await page.goto(`${c.origin}/console/sign-in`);
    assert.equal(await page.$eval('label[for="field-token"]', (label) => label.textContent?.startsWith('Admin token')), true);
    assert.deepEqual(await c.axe(page), []);
    await other.close();
  });
});
