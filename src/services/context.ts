import type { ReadBudget } from '../store/contract.js';

/** Who is acting, carried from the HTTP layer into services for audit entries and event envelopes. */
export interface RequestContext {
  tenant: string;
  /** The credential's name, never the token. */
  actor: string;
  requestId: string;
  /** What the request may spend on reads (HTTP requests); maintenance jobs and the CLI have none. */
  budget?: ReadBudget | undefined;
}
