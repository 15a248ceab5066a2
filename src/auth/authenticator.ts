import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import type { CredentialRecord, CredentialStore } from '../store/contract.js';
import { createJwtVerifier, looksLikeJwt } from './jwt.js';
import type { Principal } from './principal.js';
import { ADMIN_SCOPES, CONNECTOR_SCOPES, type Scope } from './scopes.js';
import { describeToken, tokenAudit } from './token-audit.js';
import { generateToken, tokenHash, tokensEqual } from './tokens.js';

export type { Principal } from './principal.js';

/** null: no such credential, or revoked, expired, badly signed (all are 401 invalid_token). */
export type Authenticator = (bearerToken: string) => Promise<Principal | null>;

interface StaticCredential {
  token: string;
  name: string;
  scopes: readonly Scope[];
}

/** Tokens from the environment: checked in constant time, never stored. */
function staticCredentials(config: Config): StaticCredential[] {
  const found: StaticCredential[] = [];
  if (config.bearerToken) found.push({ token: config.bearerToken, name: 'SCIM_BEARER_TOKEN', scopes: CONNECTOR_SCOPES });
  if (config.adminToken) found.push({ token: config.adminToken, name: 'ADMIN_TOKEN', scopes: ADMIN_SCOPES });
  return found;
}

/** Last use is recorded at most this often per credential: a write per request would be costly. */
export const LAST_USED_RESOLUTION_MS = 3_600_000;

export function isUsable(record: { expiresAt?: Date | undefined; revokedAt?: Date | undefined }, now: Date): boolean {
  return record.revokedAt === undefined && (record.expiresAt === undefined || record.expiresAt > now);
}

/**
 * Static tokens first (both are compared, so timing does not tell which matched), then JWTs when
 * configured, then stored credentials by hash. The static tokens belong to DEFAULT_TENANT.
 */
export function createAuthenticator(config: Config, credentials: CredentialStore, now: () => Date = () => new Date()): Authenticator {
  const statics = staticCredentials(config);
  const verifyJwt = config.jwt ? createJwtVerifier(config.jwt) : undefined;
  return async (presented) => {
    const matches = statics.filter((candidate) => tokensEqual(presented, candidate.token));
    const match = matches[0];
    if (match) return { tenant: config.defaultTenant, credential: match.name, scopes: match.scopes };
    if (verifyJwt && looksLikeJwt(presented)) return verifyJwt(presented);
    const stored = await credentials.findByHash(tokenHash(presented));
    const at = now();
    if (!stored || !isUsable(stored, at)) return null;
    if (!stored.lastUsedAt || at.getTime() - stored.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) await credentials.markUsed(stored.hash, at);
    return { tenant: stored.tenant, credential: stored.name, scopes: stored.scopes, ...(stored.stream ? { stream: stored.stream } : {}), ...(stored.reviewer ? { reviewer: stored.reviewer } : {}), ...(stored.expiresAt ? { expiresAt: stored.expiresAt } : {}) };
  };
}

export const BOOTSTRAP_CREDENTIAL = 'bootstrap';

/**
 * First start without SCIM_BEARER_TOKEN: make a connector token (scim:read, scim:write), keep only
 * its hash, and hand the token back once for printing. Later starts find the name and return
 * undefined, so the printed token stays valid.
 */
export async function ensureBootstrapToken(credentials: CredentialStore, tenant: string): Promise<string | undefined> {
  const token = generateToken();
  const record: CredentialRecord = { hash: tokenHash(token), tenant, name: BOOTSTRAP_CREDENTIAL, scopes: [...CONNECTOR_SCOPES], createdAt: new Date() };
  const entry = tokenAudit({ actor: 'server:bootstrap', requestId: `bootstrap:${randomUUID()}` }, 'create', tenant, record.name, record.createdAt, null, describeToken(record));
  if (!(await credentials.insertIfAbsent(record, entry))) return undefined;
  // Stored with the credential either way; a failed relay is left to the relay's sweep.
  await credentials.relayAudit().catch(() => undefined);
  return token;
}
