import type { Scope } from './scopes.js';

/** Who made a request: a tenant, the credential's name (never the token) and what it may do. */
export interface Principal {
  tenant: string;
  /** For audit entries and events: a credential name, "SCIM_BEARER_TOKEN" or "jwt:<client>". */
  credential: string;
  scopes: readonly Scope[];
  /** The event stream of its tenant the credential polls (RFC 8936), if it is bound to one. */
  stream?: string | undefined;
  /** A reviewer credential's reviewer (a user id): the campaign items it sees and decides. */
  reviewer?: string | undefined;
  /** When the credential itself stops working: nothing it mints may outlive it. */
  expiresAt?: Date | undefined;
}
