/**
 * What a credential may do. `scim:write` implies `scim:read`: an IdP connector reads what it
 * provisions (it looks users up by userName before creating them), so a write-only token is useless.
 * `admin` is separate and implies nothing: an audit reader needs no SCIM access and vice versa.
 */
export const SCOPES = ['scim:read', 'scim:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** What SCIM_BEARER_TOKEN, the bootstrap token and credentials stored before scopes existed get. */
export const CONNECTOR_SCOPES: readonly Scope[] = ['scim:read', 'scim:write'];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export function grants(held: readonly Scope[], needed: Scope): boolean {
  return held.includes(needed) || (needed === 'scim:read' && held.includes('scim:write'));
}

/** "scim:read,scim:write" → scopes; throws a message naming the bad entry. */
export function parseScopeList(text: string): Scope[] {
  const values = text.split(/[\s,]+/).filter((value) => value !== '');
  if (values.length === 0) throw new Error(`no scopes given (choose from ${SCOPES.join(', ')})`);
  for (const value of values) {
    if (!isScope(value)) throw new Error(`unknown scope "${value}" (choose from ${SCOPES.join(', ')})`);
  }
  return SCOPES.filter((scope) => values.includes(scope));
}
