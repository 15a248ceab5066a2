import type { ConsolePage } from '../page.js';
import { accessReviewPage } from './access-review.js';
import { auditPageView } from './audit.js';
import { campaignsPage } from './campaigns.js';
import { groupPage, groupsPage } from './groups.js';
import { overviewPage } from './overview.js';
import { policyWhatIfPage } from './policy-what-if.js';
import { reviewsPage } from './reviews.js';
import { rolePage, rolesPage } from './roles.js';
import { userPage, usersPage } from './users.js';
import { tokensPage } from './tokens.js';
import { webhooksPage } from './webhooks.js';

/**
 * Every console page, in navigation order. The router serves them, the navigation lists those the
 * session may open, and the browser tests visit each (see "Adding a page" in docs/console.md).
 */
export const CONSOLE_PAGES: readonly ConsolePage[] = [
  overviewPage, usersPage, userPage, groupsPage, groupPage, rolesPage, rolePage, accessReviewPage, auditPageView,
  policyWhatIfPage, campaignsPage, reviewsPage, webhooksPage, tokensPage,
];
