import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';

/** Asymmetric algorithms only: with a JWKS of public keys an HMAC or "none" token must never verify. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const TENANT = /^[A-Za-z0-9_-]{1,64}$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** OAuth 2.0 bearer JWTs (e.g. Entra ID client credentials), validated against a JWKS. */
export interface JwtConfig {
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  readonly jwksUrl: string | undefined;
  /** The key set read from JWT_JWKS_FILE at start-up. */
  readonly jwks: JSONWebKeySet | undefined;
  readonly algorithms: readonly string[];
  /** A fixed tenant for every token, or the claim whose value `tenantMap` maps to a tenant. */
  readonly tenant: string | undefined;
  readonly tenantClaim: string;
  readonly tenantMap: Readonly<Record<string, string>>;
  /** Claims holding scopes: space-separated strings (`scp`) or arrays (`roles`). */
  readonly scopeClaims: readonly string[];
  readonly clockToleranceSeconds: number;
}

const list = (text: string) => text.split(',').map((item) => item.trim()).filter((item) => item !== '');

export const jwtEnvSchema = z.object({
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  JWT_JWKS_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .refine((url) => url.startsWith('https:') || LOOPBACK.has(new URL(url).hostname), 'must be https (http only for localhost)')
    .optional(),
  JWT_JWKS_FILE: z.string().min(1).optional(),
  JWT_ALGORITHMS: z
    .string()
    .default('RS256')
    .transform(list)
    .refine((values) => values.length > 0 && values.every((value) => (JWT_ALGORITHMS as readonly string[]).includes(value)), `must be a comma-separated list of ${JWT_ALGORITHMS.join(', ')}`),
  JWT_TENANT: z.string().regex(TENANT, 'must be 1-64 letters, digits, "-" or "_"').optional(),
  JWT_TENANT_CLAIM: z.string().min(1).default('tid'),
  JWT_TENANT_MAP: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of claim value → tenant' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string(), z.string().regex(TENANT, 'tenants must be 1-64 letters, digits, "-" or "_"'), 'must be a JSON object of claim value → tenant'))
    .optional(),
  JWT_SCOPE_CLAIMS: z.string().default('scp,roles').transform(list),
  JWT_CLOCK_TOLERANCE_SECONDS: z.string().regex(/^\d+$/, 'must be a whole number of seconds').transform(Number).pipe(z.number().max(300, 'must be at most 300')).default(60),
});

type JwtEnv = z.infer<typeof jwtEnvSchema>;
type Problem = { variable: string; message: string };

function readKeySet(file: string): JSONWebKeySet | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return `cannot read ${file} as JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  const keys = typeof parsed === 'object' && parsed !== null ? (parsed as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => typeof key === 'object' && key !== null)) return `${file} is not a JSON Web Key Set ({"keys": [...]})`;
  return parsed as JSONWebKeySet;
}

function problems(e: JwtEnv): Problem[] {
  const found: Problem[] = [];
  if (!e.JWT_ISSUER || list(e.JWT_ISSUER).length === 0) found.push({ variable: 'JWT_ISSUER', message: 'is required when JWT authentication is configured' });
  if (!e.JWT_AUDIENCE || list(e.JWT_AUDIENCE).length === 0) found.push({ variable: 'JWT_AUDIENCE', message: 'is required when JWT authentication is configured' });
  if ((e.JWT_JWKS_URL === undefined) === (e.JWT_JWKS_FILE === undefined)) found.push({ variable: 'JWT_JWKS_URL', message: 'set exactly one of JWT_JWKS_URL and JWT_JWKS_FILE' });
  if ((e.JWT_TENANT === undefined) === (e.JWT_TENANT_MAP === undefined)) found.push({ variable: 'JWT_TENANT', message: 'set exactly one of JWT_TENANT (one tenant) and JWT_TENANT_MAP (claim value → tenant)' });
  if (e.JWT_SCOPE_CLAIMS.length === 0) found.push({ variable: 'JWT_SCOPE_CLAIMS', message: 'must name at least one claim' });
  return found;
}

/**
 * undefined when no JWT_* variable is set (JWTs are then never accepted); otherwise every setting
 * must be complete, so a half-configured issuer fails at start-up rather than rejecting every token.
 */
export function jwtConfigFrom(e: JwtEnv, anySet: boolean): JwtConfig | Problem[] | undefined {
  if (!anySet) return undefined;
  const found = problems(e);
  const jwks = e.JWT_JWKS_FILE === undefined ? undefined : readKeySet(e.JWT_JWKS_FILE);
  if (typeof jwks === 'string') found.push({ variable: 'JWT_JWKS_FILE', message: jwks });
  if (found.length > 0 || typeof jwks === 'string') return found;
  return Object.freeze({
    issuers: list(e.JWT_ISSUER ?? ''),
    audiences: list(e.JWT_AUDIENCE ?? ''),
    jwksUrl: e.JWT_JWKS_URL,
    jwks,
    algorithms: e.JWT_ALGORITHMS,
    tenant: e.JWT_TENANT,
    tenantClaim: e.JWT_TENANT_CLAIM,
    tenantMap: Object.freeze({ ...(e.JWT_TENANT_MAP ?? {}) }),
    scopeClaims: e.JWT_SCOPE_CLAIMS,
    clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE_SECONDS,
  });
}
