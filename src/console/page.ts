import type { Scope } from '../auth/scopes.js';
import type { Config } from '../config.js';
import type { Log } from '../http/logging.js';
import type { Policy } from '../lifecycle/policy/types.js';
import type { CursorCodec } from '../scim/cursor.js';
import type { DeliveryHealthReader } from '../services/delivery-health.js';
import type { EventStreamService } from '../services/event-streams.js';
import type { Services } from '../services/wiring.js';
import type { Storage } from '../store/contract.js';
import type { Html } from './html.js';

/** What every page may use: the services of the app it is served by (read through services, as the admin routes do). */
export interface ConsoleDeps {
  config: Config;
  storage: Storage;
  policy: Policy;
  services: Pick<Services, 'users' | 'groups'>;
  streams: EventStreamService;
  health: DeliveryHealthReader;
  log: Log;
  /** The deployment's cursor codec (signed, opaque cursors for paged lists, as the API's). */
  cursors(): Promise<CursorCodec>;
  /** Wakes the delivery worker (a webhook's "retry now"). */
  onEvents?: (() => void) | undefined;
}

/** The signed-in person, as the session holds them. */
export interface ConsoleSessionView {
  tenant: string;
  /** The credential's name (audit entries name it as the actor). */
  credential: string;
  scopes: readonly Scope[];
  /** The synchronizer token every state-changing form carries. */
  csrfToken: string;
  /** When the credential signed in with expires, if it does. */
  credentialExpiresAt?: Date | undefined;
}

/** One request to one page. */
export interface PageContext {
  deps: ConsoleDeps;
  session: ConsoleSessionView;
  /** Path parameters of the page's pattern (e.g. `:id`). */
  params: Record<string, string>;
  /** The query string. */
  query: URLSearchParams;
  requestId: string;
  /** Whether the session holds a scope (decides which actions a page offers). */
  can(scope: Scope): boolean;
  /** A /console URL for a page path: `href('/tokens')` → `/console/tokens`. */
  href(path: string): string;
}

/** A POSTed form's fields (application/x-www-form-urlencoded), CSRF field removed. */
export type FormFields = Record<string, string>;

/**
 * What an action answers, rendered in the POST's response (no redirect: a token shown once must
 * never travel in a URL): the page again with a notice, or with an error alert and a 4xx status,
 * or a page of its own.
 */
export type ActionResult = { notice: string } | { error: string; status: 400 | 403 | 404 | 409 } | { title: string; body: Html };

/** A state change offered by a page: POST /console<page path>/<name>, CSRF-checked, behind `scope`. */
export interface PageAction {
  scope: Scope;
  handle(ctx: PageContext, form: FormFields): Promise<ActionResult>;
}

/**
 * A console page. Registered in pages/index.ts; the router, the navigation, the scope check and
 * the accessibility test all read that list.
 */
export interface ConsolePage {
  /** An express path pattern under /console, e.g. `/overview` or `/users/:id`. */
  path: string;
  /** The <title> and <h1>; `heading` may depend on the data (e.g. a user's name). */
  title: string;
  /** The link text in the navigation; pages without one (detail pages) are reached by links. */
  nav?: string;
  /** Needed to see the page (and for its link to be shown). */
  scope: Scope;
  render(ctx: PageContext): Promise<Html | { heading: string; body: Html }>;
  /** By action name: POST <path>/<name>. */
  actions?: Record<string, PageAction>;
  /** By name: GET <path>/download/<name> streams a file (a CSV export), behind the page's scope. */
  downloads?: Record<string, (ctx: PageContext) => Promise<Download>>;
}

/** A file a page offers for download, streamed as it is produced. */
export interface Download {
  filename: string;
  contentType: string;
  body: AsyncIterable<string>;
}

/** A page refused or failed: the status and what the person is told (thrown by a page, an action or the router). */
export class ConsolePageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}
