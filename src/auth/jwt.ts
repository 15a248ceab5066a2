import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ScimError } from '../errors/scim-error.js';
import type { JwtConfig } from './jwt-config.js';
import { expandScopes, type Scope } from './scopes.js';
import type { Principal } from './principal.js';

/** Three base64url segments: what a compact JWS looks like (our opaque tokens have no dots). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(token: string): boolean {
  return COMPACT_JWS.test(token);
}

function keySet(config: JwtConfig): JWTVerifyGetKey {
  if (config.jwks) return createLocalJWKSet(config.jwks);
  // Keys are cached and refetched when a token names an unknown kid (at most every 30 s): key rollover needs no restart.
  return createRemoteJWKSet(new URL(config.jwksUrl ?? ''), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
}

function scopesOf(payload: JWTPayload, claims: readonly string[]): Scope[] {
  const values = claims.flatMap((claim) => {
    const value = payload[claim];
    if (typeof value === 'string') return value.split(' ');
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  });
  // Other values (Graph permissions, OpenID scopes) are not ours and are ignored.
  return expandScopes(values).scopes;
}

function tenantOf(payload: JWTPayload, config: JwtConfig): string | undefined {
  if (config.tenant) return config.tenant;
  const value = payload[config.tenantClaim];
  return typeof value === 'string' && Object.hasOwn(config.tenantMap, value) ? config.tenantMap[value] : undefined;
}

/** Entra puts the client application in azp (v2) or appid (v1); other issuers in client_id or sub. */
function clientOf(payload: JWTPayload): string {
  for (const claim of ['azp', 'appid', 'client_id', 'sub']) {
    const value = payload[claim];
    if (typeof value === 'string' && value !== '') return value;
  }
  return 'unknown';
}

/**
 * Verifies signature (against the JWKS, with the algorithm allow-list), issuer, audience, expiry
 * and not-before. Any failure is an invalid token (null); only an unreachable key set is our
 * outage (503), so a JWKS hiccup never reads as "your credentials are wrong".
 */
export function createJwtVerifier(config: JwtConfig): (token: string) => Promise<Principal | null> {
  const keys = keySet(config);
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: [...config.issuers],
        audience: [...config.audiences],
        algorithms: [...config.algorithms],
        clockTolerance: config.clockToleranceSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
        throw new ScimError('unavailable', 'The token signing keys cannot be fetched right now', { 'Retry-After': '5' });
      }
      return null;
    }
    const tenant = tenantOf(payload, config);
    if (tenant === undefined) return null;
    return { tenant, credential: `jwt:${clientOf(payload)}`, scopes: scopesOf(payload, config.scopeClaims), ...(payload.exp !== undefined ? { expiresAt: new Date(payload.exp * 1000) } : {}) };
  };
}
