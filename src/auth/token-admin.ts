import type { CredentialRecord, CredentialStore } from '../store/contract.js';
import { isUsable } from './authenticator.js';
import { STREAM_NAME, STREAM_NAME_RULE } from '../lifecycle/event-streams.js';
import { beyondGrant, grants, type Scope } from './scopes.js';
import { describeToken, tokenAudit, type TokenActor } from './token-audit.js';
import { generateToken, tokenHash } from './tokens.js';

export type { TokenActor } from './token-audit.js';

/** Token management shared by `npm run tokens` and /admin/tokens. Messages are shown to operators. */
export class TokenAdminError extends Error {
  constructor(
    readonly kind: 'invalid' | 'notFound' | 'exists' | 'otherTenant' | 'beyondGrant' | 'outlivesGrantor',
    message: string,
    /** For `beyondGrant`: the scopes the grantor does not hold. */
    readonly scopes: readonly Scope[] = [],
  ) {
    super(message);
  }
}

/**
 * Who issues a token. `root` is `npm run tokens`: it has the database anyway, so it is the root
 * of trust and may grant anything in any tenant. A credential (POST /admin/tokens, rotate) may
 * grant only scopes it holds itself, in its own tenant, for no longer than it lives itself.
 */
export type Grantor = 'root' | { readonly tenant: string; readonly scopes: readonly Scope[]; readonly expiresAt?: Date | undefined };

function checkGrantTenant(grantor: Grantor, tenant: string): void {
  if (grantor !== 'root' && grantor.tenant !== tenant) throw new TokenAdminError('otherTenant', `a credential can grant access to its own tenant ("${grantor.tenant}") only`);
}

function checkGrantScopes(grantor: Grantor, scopes: readonly Scope[]): void {
  if (grantor === 'root') return;
  const refused = beyondGrant(grantor.scopes, scopes);
  if (refused.length > 0) {
    throw new TokenAdminError('beyondGrant', `this credential cannot grant ${refused.map((scope) => `"${scope}"`).join(', ')}: a credential can grant only scopes it holds`, refused);
  }
}

/**
 * The lifetime of a token the grantor mints: what was asked, within the grantor's own. Without a
 * request a token minted by an expiring credential expires with it; asking for longer is refused
 * (silently shortening what an operator asked for would surprise them later).
 */
function lifetimeWithin(grantor: Grantor, lifetimeMs: number | undefined, now: Date): number | undefined {
  if (grantor === 'root' || grantor.expiresAt === undefined) return lifetimeMs;
  const left = grantor.expiresAt.getTime() - now.getTime();
  if (lifetimeMs === undefined) return left;
  if (lifetimeMs > left) throw new TokenAdminError('outlivesGrantor', `this credential expires at ${grantor.expiresAt.toISOString()}: a token it creates or rotates cannot outlive it (ask for an expiry of at most ${Math.floor(left / 1000)}s)`);
  return lifetimeMs;
}

const NAME = /^[A-Za-z0-9._:@-]{1,64}$/;
const TENANT = /^[A-Za-z0-9_-]{1,64}$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const MAX_SECONDS = 3650 * 86_400;

/** "90d", "12h", "30m", "45s" → milliseconds. */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d{1,7})([smhd])$/.exec(text);
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2]!] ?? 0) : Number.NaN;
  if (!(seconds > 0 && seconds <= MAX_SECONDS)) throw new TokenAdminError('invalid', `${what} must be a duration such as 90d, 12h, 30m or 45s (at most 3650d)`);
  return seconds * 1000;
}

export function checkName(name: string): string {
  if (!NAME.test(name)) throw new TokenAdminError('invalid', 'the name must be 1-64 letters, digits or . _ : @ -');
  return name;
}

export function checkTenant(tenant: string): string {
  if (!TENANT.test(tenant)) throw new TokenAdminError('invalid', 'the tenant must be 1-64 letters, digits, "-" or "_"');
  return tenant;
}

/** What may be shown about a credential: never its hash, never a token. */
export interface TokenInfo {
  name: string;
  tenant: string;
  scopes: Scope[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  /** Within an hour (LAST_USED_RESOLUTION_MS); null when never used. */
  lastUsedAt: string | null;
  status: 'active' | 'expired' | 'revoked';
  /** The event stream it polls; null when none. */
  stream: string | null;
  /** A reviewer credential's reviewer (user id); null when none. */
  reviewer: string | null;
}

export function tokenInfo(record: CredentialRecord, now: Date): TokenInfo {
  const status = record.revokedAt ? 'revoked' : isUsable(record, now) ? 'active' : 'expired';
  return {
    name: record.name,
    tenant: record.tenant,
    scopes: record.scopes,
    createdAt: record.createdAt.toISOString(),
    expiresAt: record.expiresAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    status,
    stream: record.stream ?? null,
    reviewer: record.reviewer ?? null,
  };
}

/**
 * Each change below is stored with its audit entry in the same credential document write; the
 * entry is then moved to the audit trail. A relay that fails leaves it in the document, for the
 * relay's sweep: the change is stored either way, so the token is still handed out.
 */
async function relay(store: CredentialStore): Promise<void> {
  await store.relayAudit().catch(() => undefined);
}

export interface IssuedToken {
  /** Shown once; only its hash is stored. */
  token: string;
  info: TokenInfo;
}

export interface NewToken {
  grantor: Grantor;
  tenant: string;
  name: string;
  scopes: Scope[];
  /** Milliseconds from now; undefined never expires. */
  lifetimeMs?: number | undefined;
  /**
   * Binds the credential to this event stream of its tenant, which it may then poll; the caller
   * checks that the stream exists (EventStreamService.require).
   */
  stream?: string | undefined;
  /** Binds a campaigns:review credential to this reviewer (a user id the caller checked). */
  reviewer?: string | undefined;
}

/** A stream binding is for polling, which needs scim:read. */
export function checkStreamBinding(stream: string | undefined, scopes: readonly Scope[]): void {
  if (stream === undefined) return;
  if (!STREAM_NAME.test(stream)) throw new TokenAdminError('invalid', `the stream name ${STREAM_NAME_RULE}`);
  if (!grants(scopes, 'scim:read')) throw new TokenAdminError('invalid', 'a token bound to an event stream needs the scim:read scope, which polling requires');
}

function issue(spec: Omit<NewToken, 'grantor'>, now: Date): { token: string; record: CredentialRecord } {
  const token = generateToken();
  const record: CredentialRecord = {
    hash: tokenHash(token),
    tenant: checkTenant(spec.tenant),
    name: checkName(spec.name),
    scopes: spec.scopes,
    createdAt: now,
    ...(spec.lifetimeMs !== undefined ? { expiresAt: new Date(now.getTime() + spec.lifetimeMs) } : {}),
    ...(spec.stream !== undefined ? { stream: spec.stream } : {}),
    ...(spec.reviewer !== undefined ? { reviewer: spec.reviewer } : {}),
  };
  return { token, record };
}

export async function createToken(store: CredentialStore, spec: NewToken, by: TokenActor, now = new Date()): Promise<IssuedToken> {
  if (spec.scopes.length === 0) throw new TokenAdminError('invalid', 'a token needs at least one scope');
  checkStreamBinding(spec.stream, spec.scopes);
  const { token, record } = issue({ ...spec, lifetimeMs: lifetimeWithin(spec.grantor, spec.lifetimeMs, now) }, now);
  checkGrantTenant(spec.grantor, record.tenant);
  checkGrantScopes(spec.grantor, record.scopes);
  if (!(await store.insertIfAbsent(record, tokenAudit(by, 'create', record.tenant, record.name, now, null, describeToken(record))))) {
    throw new TokenAdminError('exists', `a token named "${spec.name}" already exists in tenant "${spec.tenant}" (use rotate to replace it)`);
  }
  await relay(store);
  return { token, info: tokenInfo(record, now) };
}

export async function listTokens(store: CredentialStore, tenant: string | undefined, now = new Date()): Promise<TokenInfo[]> {
  return (await store.list(tenant)).map((record) => tokenInfo(record, now));
}

/** Revokes the name's tokens; 0 (and no audit entry: nothing changed) when they were revoked already. */
export async function revokeToken(store: CredentialStore, tenant: string, name: string, by: TokenActor, now = new Date()): Promise<number> {
  const entry = tokenAudit(by, 'revoke', checkTenant(tenant), checkName(name), now, { name }, { name, revokedAt: now.toISOString() });
  const revoked = await store.revoke(tenant, name, now, entry);
  if (revoked === null) throw new TokenAdminError('notFound', `no token named "${name}" in tenant "${tenant}"`);
  if (revoked > 0) await relay(store);
  return revoked;
}

/**
 * A new token under the same name, scopes and stream binding. The old one stops working at once,
 * or after `graceMs` so the new token can be put into the IdP first. The new token keeps the old
 * one's lifetime unless `lifetimeMs` says otherwise. Rotating mints a token, so the grantor must
 * hold the name's scopes: rotation never widens what a credential can obtain.
 */
export async function rotateToken(
  store: CredentialStore,
  tenant: string,
  name: string,
  options: { grantor: Grantor; graceMs?: number | undefined; lifetimeMs?: number | undefined },
  by: TokenActor,
  now = new Date(),
): Promise<IssuedToken> {
  checkGrantTenant(options.grantor, checkTenant(tenant));
  const current = (await store.list(tenant)).filter((record) => record.name === checkName(name)).at(-1);
  if (!current) throw new TokenAdminError('notFound', `no token named "${name}" in tenant "${tenant}"`);
  checkGrantScopes(options.grantor, current.scopes);
  const lifetimeMs = lifetimeWithin(options.grantor, options.lifetimeMs ?? (current.expiresAt ? current.expiresAt.getTime() - current.createdAt.getTime() : undefined), now);
  const { token, record } = issue({ tenant, name, scopes: current.scopes, lifetimeMs, stream: current.stream, reviewer: current.reviewer }, now);
  const oldValidUntil = new Date(now.getTime() + (options.graceMs ?? 0));
  const entry = tokenAudit(by, 'rotate', tenant, name, now, describeToken(current), { ...describeToken(record), previousTokensValidUntil: oldValidUntil.toISOString() });
  const rotated = await store.rotate(record, oldValidUntil, entry);
  if (rotated === null) throw new TokenAdminError('notFound', `no token named "${name}" in tenant "${tenant}"`);
  await relay(store);
  return { token, info: tokenInfo(record, now) };
}

/**
 * A reviewer's personal campaigns:review credential, named `reviewer:<user id>` and bound to the
 * reviewer: created, or rotated (the old one stops at once) for a reviewer who has one. A
 * campaigns:manage holder mints it without holding its scope — the one exception to "grant only
 * what you hold" (docs/security.md) — so the grantor passed on is the caller's tenant and lifetime
 * with that one scope. The caller checks that the reviewer is a user of the tenant.
 */
export async function issueReviewerToken(
  store: CredentialStore,
  spec: { tenant: string; reviewer: string; lifetimeMs?: number | undefined; grantorExpiresAt?: Date | undefined },
  by: TokenActor,
): Promise<IssuedToken> {
  const grantor: Grantor = { tenant: spec.tenant, scopes: ['campaigns:review'], expiresAt: spec.grantorExpiresAt };
  const name = `reviewer:${spec.reviewer}`;
  try {
    return await createToken(store, { grantor, tenant: spec.tenant, name, scopes: ['campaigns:review'], lifetimeMs: spec.lifetimeMs, reviewer: spec.reviewer }, by);
  } catch (error) {
    if (!(error instanceof TokenAdminError && error.kind === 'exists')) throw error;
    return rotateToken(store, spec.tenant, name, { grantor, lifetimeMs: spec.lifetimeMs }, by);
  }
}
