/** Who is acting, carried from the HTTP layer into services for audit entries and event envelopes. */
export interface RequestContext {
  tenant: string;
  /** The credential's name, never the token. */
  actor: string;
  requestId: string;
}
