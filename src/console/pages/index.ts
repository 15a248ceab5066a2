import type { ConsolePage } from '../page.js';
import { overviewPage } from './overview.js';
import { tokensPage } from './tokens.js';
import { webhooksPage } from './webhooks.js';

/**
 * Every console page, in navigation order. The router serves them, the navigation lists those the
 * session may open, and the browser tests visit each (see "Adding a page" in docs/console.md).
 */
export const CONSOLE_PAGES: readonly ConsolePage[] = [overviewPage, webhooksPage, tokensPage];
