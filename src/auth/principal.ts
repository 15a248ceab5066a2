import type { Scope } from './scopes.js';

/** Who made a request: a tenant, the credential's name (never the token) and what it may do. */
export interface Principal {
  tenant: string;
  /** For audit entries and events: a credential name, "SCIM_BEARER_TOKEN" or "jwt:<client>". */
  credential: string;
  scopes: readonly Scope[];
}
