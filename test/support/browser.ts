import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type HTTPResponse, type Page } from 'puppeteer-core';
import type { Scope } from '../../src/auth/scopes.js';
import { CONSOLE_PAGES } from '../../src/console/pages/index.js';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';
import { issueToken } from '../security/helpers.js';
import { startTestApp, type TestApp, type TestAppOptions } from './app.js';

/** Debian's package (scripts/ensure-chromium.sh installs it); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where `UPDATE_SCREENSHOTS=1` writes the pages' screenshots (committed, shown in the README). */
export const SCREENSHOT_DIR = path.join(REPOSITORY_ROOT, 'docs', 'console');

/** axe-core's source, injected into a page by the DevTools protocol (which the page's CSP does not govern). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * The app served on a loopback port (its own database, as every test file has) and a headless
 * Chromium tab. The tab's console errors, uncaught page errors and Content-Security-Policy
 * violations are collected, so a test can assert the browser saw none.
 */
export interface ConsoleBrowser {
  t: TestApp;
  /** http://127.0.0.1:<port> */
  origin: string;
  browser: Browser;
  page: Page;
  /** Console errors and page errors since the last `takeErrors`. */
  takeErrors(): string[];
  /** CSP violations reported by the page since the last `takeCspViolations`. */
  takeCspViolations(): Promise<string[]>;
  /** Loads a /console path (e.g. `/overview`) and returns the main document's response. */
  visit(consolePath: string): Promise<HTTPResponse>;
  /** Signs in through the form with `token` and waits for the page it leads to. */
  signIn(token: string): Promise<HTTPResponse | null>;
  /** Signs in with a new token of these scopes (stored as `npm run tokens` stores it). */
  signInWith(scopes: Scope[], name?: string): Promise<HTTPResponse | null>;
  signOut(): Promise<void>;
  /**
   * POSTs a form with the browser's cookies (the session goes along, as with a real form), e.g. to
   * try a state change without or with a wrong CSRF token; the page stays where it was.
   */
  post(consolePath: string, fields: Record<string, string>): Promise<{ status: number; text: string }>;
  /** The session's CSRF token, read from the current page's forms. */
  csrfToken(): Promise<string>;
  /** The cells' text of each body row of the current page's table with this caption; null without one. */
  tableRows(caption: string): Promise<string[][] | null>;
  /** A stored token with these scopes in the default tenant. */
  token(scopes: Scope[], name?: string): Promise<string>;
  /** Runs axe-core on the current page (or `on`): the serious and critical violations. */
  axe(on?: Page): Promise<AxeViolation[]>;
  /** With UPDATE_SCREENSHOTS=1: saves the page as docs/console/<name>.png. */
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

let tokenCount = 0;

export async function startConsoleBrowser(fileTag: string, env: NodeJS.ProcessEnv = {}, options: TestAppOptions = {}): Promise<ConsoleBrowser> {
  const t = await startTestApp(fileTag, env, options);
  const server: Server = createServer(t.app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Root (CI, containers) cannot use Chromium's sandbox.
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  let errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.evaluateOnNewDocument(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
  });

  const token = (scopes: Scope[], name = `console-${++tokenCount}`) => issueToken(t.storage.credentials, 'default', name, scopes);
  const signIn = async (value: string) => {
    await page.goto(`${origin}/console/sign-in`);
    await page.type('#field-token', value);
    const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    return response;
  };

  return {
    t,
    origin,
    browser,
    page,
    takeErrors() {
      const taken = errors;
      errors = [];
      return taken;
    },
    takeCspViolations: () => page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations?.splice(0) ?? []),
    async visit(consolePath) {
      const response = await page.goto(`${origin}/console${consolePath}`);
      if (!response) throw new Error(`no response for ${consolePath}`);
      return response;
    },
    signIn,
    // From outside the page (its CSP allows it no fetch), with the browser's cookies, as a forged or replayed form would come.
    async post(consolePath, fields) {
      const cookie = (await page.cookies()).map(({ name, value }) => `${name}=${value}`).join('; ');
      const response = await fetch(`${origin}/console${consolePath}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie }, body: new URLSearchParams(fields), redirect: 'manual' });
      return { status: response.status, text: await response.text() };
    },
    csrfToken: () => page.$eval('input[name="_csrf"]', (input) => (input as HTMLInputElement).value),
    tableRows: (caption) =>
      page.$$eval(
        'table',
        (tables, wanted) => {
          const found = tables.find((table) => table.querySelector('caption')?.textContent === wanted);
          return found ? [...found.querySelectorAll('tbody tr')].map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent?.trim() ?? '')) : null;
        },
        caption,
      ),
    signInWith: async (scopes, name) => signIn(await token(scopes, name)),
    async signOut() {
      await Promise.all([page.waitForNavigation(), page.click('header form button[type="submit"]')]);
    },
    token,
    async axe(on = page) {
      await on.evaluate(AXE_SOURCE);
      const result = await on.evaluate(() => (window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe.run());
      return result.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
    },
    async screenshot(name) {
      if (process.env.UPDATE_SCREENSHOTS !== '1') return;
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close();
      server.closeAllConnections();
      server.close();
      await t.close();
    },
  };
}

/** Registered pages whose path has no parameter: the ones a test can open directly. */
export function directPages() {
  return CONSOLE_PAGES.filter((page) => !page.path.includes(':'));
}
