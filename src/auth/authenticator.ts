import type { CredentialStore } from '../store/contract.js';
import { generateToken, tokenHash, tokensEqual } from './tokens.js';

export interface Principal {
  tenant: string;
  /** Which credential made the request: for audit, never the token itself. */
  credential: string;
}

export type Authenticator = (bearerToken: string) => Promise<Principal | null>;

export interface AuthenticatorOptions {
  credentials: CredentialStore;
  defaultTenant: string;
  /** SCIM_BEARER_TOKEN: checked in constant time, never stored. */
  staticToken: string | undefined;
}

export function createAuthenticator({ credentials, defaultTenant, staticToken }: AuthenticatorOptions): Authenticator {
  return async (presented) => {
    if (staticToken !== undefined && tokensEqual(presented, staticToken)) {
      return { tenant: defaultTenant, credential: 'SCIM_BEARER_TOKEN' };
    }
    const stored = await credentials.findByHash(tokenHash(presented));
    return stored ? { tenant: stored.tenant, credential: stored.name } : null;
  };
}

export const BOOTSTRAP_CREDENTIAL = 'bootstrap';

/**
 * First start without SCIM_BEARER_TOKEN: make a token, keep only its hash, and hand the token back
 * once for printing. Later starts find the hash and return undefined, so the printed token stays valid.
 */
export async function ensureBootstrapToken(credentials: CredentialStore, tenant: string): Promise<string | undefined> {
  const token = generateToken();
  const created = await credentials.insertIfAbsent({ hash: tokenHash(token), tenant, name: BOOTSTRAP_CREDENTIAL, createdAt: new Date() });
  return created ? token : undefined;
}
