import { grants } from '../auth/scopes.js';
import { CONSOLE_CSS_PATH, CONSOLE_ICON_PATH } from './assets/styles.js';
import { csrfField } from './components.js';
import { html, type Html } from './html.js';
import type { ConsoleSessionView } from './page.js';
import { CONSOLE_PAGES } from './pages/index.js';

export const CONSOLE_BASE = '/console';

export interface LayoutOptions {
  title: string;
  /** The signed-in session; none on the sign-in and error pages of someone not signed in. */
  session?: ConsoleSessionView | undefined;
  /** The registered path of the page shown (marks its navigation link). */
  current?: string | undefined;
  notice?: string | undefined;
  /** An error shown above the content (role=alert). */
  alert?: string | undefined;
  body: Html;
}

/** The navigation: only pages the session may open. */
function navigation(session: ConsoleSessionView, current: string | undefined): Html {
  const links = CONSOLE_PAGES.filter((page) => page.nav && grants(session.scopes, page.scope));
  return html`<nav aria-label="Console"><ul>${links.map(
    (page) => html`<li><a href="${CONSOLE_BASE}${page.path}"${page.path === current ? html` aria-current="page"` : ''}>${page.nav}</a></li>`,
  )}</ul></nav>`;
}

/** Every console page: skip link, header with navigation and sign-out, then the page's main content. */
export function layout({ title, session, current, notice, alert, body }: LayoutOptions): string {
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · SCIM console</title><link rel="stylesheet" href="${CONSOLE_BASE}${CONSOLE_CSS_PATH}"><link rel="icon" href="${CONSOLE_BASE}${CONSOLE_ICON_PATH}" type="image/svg+xml"></head>
<body><a class="skip-link" href="#main">Skip to main content</a>
<header class="top"><span class="brand">SCIM console</span>${
    session
      ? html`${navigation(session, current)}<div class="who"><span>Signed in as <strong>${session.credential}</strong> (${session.tenant})</span><form class="inline" method="post" action="${CONSOLE_BASE}/sign-out">${csrfField({ session })}<button type="submit" class="secondary">Sign out</button></form></div>`
      : ''
  }</header>
<main id="main" tabindex="-1"><h1>${title}</h1>${alert ? html`<p class="alert" role="alert">${alert}</p>` : ''}${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}${body}</main></body></html>`}`;
}
