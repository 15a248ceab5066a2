import { randomBytes } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import { grants, type Scope } from '../auth/scopes.js';
import { tokensEqual } from '../auth/tokens.js';
import { sendStreamed } from '../http/streamed-response.js';
import type { ConsoleSessionRecord } from '../store/contract.js';
import { CONSOLE_CSS, CONSOLE_CSS_PATH, CONSOLE_ICON, CONSOLE_ICON_PATH } from './assets/styles.js';
import { consoleErrorPage } from './error-page.js';
import type { Html } from './html.js';
import { CONSOLE_BASE, layout } from './layout.js';
import { ConsolePageError, type ConsoleDeps, type ConsolePage, type ConsoleSessionView, type FormFields, type PageContext } from './page.js';
import { CONSOLE_PAGES } from './pages/index.js';
import { createConsoleSessions, csrfMatches } from './sessions.js';
import { signInPage } from './sign-in.js';

const SESSION_COOKIE = 'scim_console_session';
/** Double-submit token of the sign-in form (there is no session to bind it to yet). */
const SIGN_IN_COOKIE = 'scim_console_signin';

/**
 * No inline script or style anywhere: the one stylesheet is a file of ours, scripts (none today)
 * may only be files of ours, forms post only here, nothing may frame the console.
 */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      try {
        return decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        return undefined; // not a value we set
      }
    }
  }
  return undefined;
}

/** A page's action or download by the name in the address; never one an object inherits ("constructor"). */
function ownEntry<T>(entries: Record<string, T> | undefined, name: string): T | undefined {
  return entries && Object.hasOwn(entries, name) ? entries[name] : undefined;
}

export function viewOf(session: ConsoleSessionRecord): ConsoleSessionView {
  return { tenant: session.tenant, credential: session.credential, scopes: session.scopes, csrfToken: session.csrfToken, credentialExpiresAt: session.credentialExpiresAt, reviewer: session.reviewer };
}

/** The first page the scopes open, where sign-in leads; undefined when none (a SCIM-only credential). */
export function landingPage(scopes: readonly Scope[]): ConsolePage | undefined {
  return CONSOLE_PAGES.find((page) => page.nav && grants(scopes, page.scope));
}

function send(res: Response, status: number, document: string): void {
  res.status(status).type('html').send(document);
}

function formOf(req: Request): FormFields {
  const body: unknown = req.body;
  const fields: FormFields = {};
  if (typeof body === 'object' && body !== null) {
    for (const [name, value] of Object.entries(body)) if (typeof value === 'string' && name !== '_csrf') fields[name] = value;
  }
  return fields;
}

/**
 * The admin console at /console: server-rendered pages (pages/index.ts) behind a server-side
 * session opened with an admin credential (docs/console.md, docs/security.md).
 */
export function consoleRoutes(deps: ConsoleDeps, authenticator: Authenticator): Router {
  const sessions = createConsoleSessions(deps.storage, deps.config.console);
  const router = Router();
  const secure = (req: Request) => req.secure || (deps.config.publicBaseUrl?.startsWith('https:') ?? false);
  const cookieOptions = (req: Request) => ({ httpOnly: true, sameSite: 'strict' as const, secure: secure(req), path: CONSOLE_BASE });

  router.use((_req, res, next) => {
    res.set('Content-Security-Policy', CONSOLE_CSP);
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.get(CONSOLE_CSS_PATH, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=31536000, immutable');
    res.type('css').send(CONSOLE_CSS);
  });
  router.get(CONSOLE_ICON_PATH, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400');
    res.type('svg').send(CONSOLE_ICON);
  });
  // A page whose forms are larger parses its own first; the general parser then leaves the body alone.
  for (const page of CONSOLE_PAGES) if (page.formBytes) router.use(page.path, express.urlencoded({ extended: false, limit: page.formBytes, parameterLimit: 50 }));
  router.use(express.urlencoded({ extended: false, limit: 8192, parameterLimit: 50 }));

  const signInForm = (req: Request, res: Response, status: number, options: { alert?: string; notice?: string } = {}) => {
    const token = randomBytes(24).toString('base64url');
    res.cookie(SIGN_IN_COOKIE, token, cookieOptions(req));
    send(res, status, layout({ title: 'Sign in', body: signInPage(token), ...options }));
  };

  router.get('/sign-in', (req, res) => {
    const ended = req.query['ended'] === '1' ? 'Your session has ended: sign in again.' : undefined;
    const signedOut = req.query['signed-out'] === '1' ? 'You are signed out.' : undefined;
    signInForm(req, res, 200, { notice: ended ?? signedOut });
  });

  router.post('/sign-in', async (req, res) => {
    const expected = cookieOf(req, SIGN_IN_COOKIE);
    const presented: unknown = (req.body as Record<string, unknown> | undefined)?.['_csrf'];
    if (!expected || typeof presented !== 'string' || !tokensEqual(presented, expected)) {
      throw new ConsolePageError(403, 'Form refused', 'The sign-in form has expired or did not come from this console. Open the sign-in page again.');
    }
    const token = formOf(req)['token']?.trim() ?? '';
    const principal = token === '' ? null : await authenticator(token);
    if (!principal) {
      deps.log({ level: 'info', msg: 'console sign-in refused: unknown, expired or revoked token', requestId: res.locals['requestId'] });
      signInForm(req, res, 401, { alert: 'That token is not valid, or it has expired or been revoked.' });
      return;
    }
    const landing = landingPage(principal.scopes);
    if (!landing) {
      deps.log({ level: 'info', msg: 'console sign-in refused: no console scope', tenant: principal.tenant, credential: principal.credential, requestId: res.locals['requestId'] });
      signInForm(req, res, 403, { alert: 'This credential is for SCIM provisioning only (scim:read, scim:write). The console needs a credential with the audit:read, tokens:manage, campaigns:manage or campaigns:review scope.' });
      return;
    }
    // A sign-in over a live session replaces it: the earlier cookie stops working.
    const earlier = cookieOf(req, SESSION_COOKIE);
    if (earlier) await sessions.end(earlier);
    const { cookie } = await sessions.start(principal, token);
    deps.log({ level: 'info', msg: 'console sign-in', tenant: principal.tenant, credential: principal.credential, scopes: principal.scopes, requestId: res.locals['requestId'] });
    res.clearCookie(SIGN_IN_COOKIE, cookieOptions(req));
    res.cookie(SESSION_COOKIE, cookie, cookieOptions(req));
    res.redirect(303, `${CONSOLE_BASE}${landing.path}`);
  });

  // Everything below needs a live session.
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    const cookie = cookieOf(req, SESSION_COOKIE);
    const session = cookie ? await sessions.resume(cookie) : null;
    if (!session) {
      if (cookie) res.clearCookie(SESSION_COOKIE, cookieOptions(req));
      if (req.method === 'GET' || req.method === 'HEAD') {
        res.redirect(303, `${CONSOLE_BASE}/sign-in${cookie ? '?ended=1' : ''}`);
        return;
      }
      throw new ConsolePageError(401, 'Not signed in', 'Your session has ended or you are not signed in: nothing was changed. Sign in again.');
    }
    res.locals['consoleSession'] = session;
    res.locals['consoleCookie'] = cookie;
    next();
  });

  // Every state change carries the session's synchronizer token, checked before anything else.
  router.post('/{*rest}', (req: Request, res: Response, next: NextFunction) => {
    const session = res.locals['consoleSession'] as ConsoleSessionRecord;
    if (!csrfMatches(session, (req.body as Record<string, unknown> | undefined)?.['_csrf'])) {
      throw new ConsolePageError(403, 'Form refused', 'This form did not carry this session’s security token (it may be from an older session or another site). Nothing was changed.');
    }
    next();
  });

  router.post('/sign-out', async (req, res) => {
    await sessions.end(String(res.locals['consoleCookie']));
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    res.redirect(303, `${CONSOLE_BASE}/sign-in?signed-out=1`);
  });

  router.get('/', (_req, res) => {
    const session = res.locals['consoleSession'] as ConsoleSessionRecord;
    const landing = landingPage(session.scopes);
    res.redirect(303, landing ? `${CONSOLE_BASE}${landing.path}` : `${CONSOLE_BASE}/sign-in`);
  });

  const contextOf = (req: Request, res: Response): PageContext => {
    const session = viewOf(res.locals['consoleSession'] as ConsoleSessionRecord);
    const url = new URL(req.originalUrl, 'http://console.invalid');
    return {
      deps,
      session,
      params: Object.fromEntries(Object.entries(req.params).filter(([name]) => name !== 'action' && name !== 'download').map(([name, value]) => [name, String(value)])),
      query: url.searchParams,
      requestId: String(res.locals['requestId']),
      can: (scope) => grants(session.scopes, scope),
      href: (path) => `${CONSOLE_BASE}${path}`,
    };
  };

  const requireScope = (ctx: PageContext, scope: Scope) => {
    if (!ctx.can(scope)) throw new ConsolePageError(403, 'Not allowed', `This page needs the ${scope} scope, which your credential does not hold.`);
  };

  const renderPage = async (page: ConsolePage, ctx: PageContext, res: Response, status: number, messages: { notice?: string; alert?: string } = {}) => {
    const rendered = await page.render(ctx);
    const { heading, body } = 'heading' in rendered ? rendered : { heading: page.title, body: rendered as Html };
    send(res, status, layout({ title: heading, session: ctx.session, current: page.path, body, ...messages }));
  };

  for (const page of CONSOLE_PAGES) {
    router.get(page.path, async (req, res) => {
      const ctx = contextOf(req, res);
      requireScope(ctx, page.scope);
      await renderPage(page, ctx, res, 200);
    });
    router.get(`${page.path}/download/:download`, async (req, res) => {
      const ctx = contextOf(req, res);
      requireScope(ctx, page.scope);
      const download = ownEntry(page.downloads, String(req.params['download']));
      if (!download) throw new ConsolePageError(404, 'Not found', 'There is no such download.');
      const file = await download(ctx);
      await sendStreamed(res, 200, file.contentType, file.body, { 'Content-Disposition': `attachment; filename="${file.filename.replace(/[^A-Za-z0-9._-]/g, '_')}"` });
    });
    router.post(`${page.path}/:action`, async (req, res) => {
      const ctx = contextOf(req, res);
      requireScope(ctx, page.scope);
      const action = ownEntry(page.actions, String(req.params['action']));
      if (!action) throw new ConsolePageError(404, 'Not found', 'There is no such action.');
      requireScope(ctx, action.scope);
      const result = await action.handle(ctx, formOf(req));
      if ('body' in result) send(res, 200, layout({ title: result.title, session: ctx.session, current: page.path, body: result.body }));
      else if ('error' in result) await renderPage(page, ctx, res, result.status, { alert: result.error });
      else await renderPage(page, ctx, res, 200, { notice: result.notice });
    });
  }

  router.use(() => {
    throw new ConsolePageError(404, 'Not found', 'There is no such console page.');
  });

  router.use(consoleErrorPage(deps.log, viewOf));
  return router;
}
