/**
 * What a credential may do. `scim:write` implies `scim:read`: an IdP connector reads what it
 * provisions (it looks users up by userName before creating them), so a write-only token is useless.
 * `audit:read` (audit trail, access review, read-only admin views) and `tokens:manage` (create,
 * rotate, revoke, list tokens) imply nothing else: an auditor needs no SCIM access, a connector no
 * audit trail, and neither may mint credentials.
 * `campaigns:manage` opens and closes access certification campaigns and mints reviewer
 * credentials; `campaigns:review` is a reviewer's personal credential (bound to one reviewer, a
 * user), which sees and decides only that reviewer's items (docs/governance.md). Neither implies
 * anything else.
 */
export const SCOPES = ['scim:read', 'scim:write', 'audit:read', 'tokens:manage', 'campaigns:manage', 'campaigns:review'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * The first release's single admin scope, kept as a name for exactly these two. It is expanded
 * wherever scope names are read (CLI, admin API, JWT claims, stored credentials, ADMIN_TOKEN), so
 * no principal or listing ever holds `admin` itself, and a scope added later never widens it:
 * the campaign scopes are not part of it (an existing admin credential must not start deciding
 * who keeps access).
 */
export const ADMIN_ALIAS = 'admin';
export const ADMIN_SCOPES: readonly Scope[] = ['audit:read', 'tokens:manage'];

/** Every name a scope list may use, for messages. */
export const SCOPE_NAMES: readonly string[] = [...SCOPES, ADMIN_ALIAS];

/** What SCIM_BEARER_TOKEN, the bootstrap token and credentials stored before scopes existed get. */
export const CONNECTOR_SCOPES: readonly Scope[] = ['scim:read', 'scim:write'];

function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Scope names (the alias expanded) → scopes in canonical order, and the names that are neither. */
export function expandScopes(names: readonly string[]): { scopes: Scope[]; unknown: string[] } {
  const found = new Set<Scope>();
  const unknown: string[] = [];
  for (const name of names) {
    if (name === ADMIN_ALIAS) for (const scope of ADMIN_SCOPES) found.add(scope);
    else if (isScope(name)) found.add(name);
    else unknown.push(name);
  }
  return { scopes: SCOPES.filter((scope) => found.has(scope)), unknown };
}

export function grants(held: readonly Scope[], needed: Scope): boolean {
  return held.includes(needed) || (needed === 'scim:read' && held.includes('scim:write'));
}

/** The requested scopes `held` does not grant: a credential can pass on only what it holds. */
export function beyondGrant(held: readonly Scope[], requested: readonly Scope[]): Scope[] {
  return requested.filter((scope) => !grants(held, scope));
}

/** "scim:read,scim:write" → scopes; throws a message naming the bad entry. */
export function parseScopeList(text: string): Scope[] {
  const { scopes, unknown } = expandScopes(text.split(/[\s,]+/).filter((value) => value !== ''));
  if (unknown.length > 0) throw new Error(`unknown scope "${unknown[0]}" (choose from ${SCOPE_NAMES.join(', ')})`);
  if (scopes.length === 0) throw new Error(`no scopes given (choose from ${SCOPE_NAMES.join(', ')})`);
  return scopes;
}
