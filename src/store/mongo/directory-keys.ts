import type { LifecycleState } from '../../lifecycle/types.js';

/**
 * Top-level copies of what the console searches and counts users by, so that each of its queries is
 * answered from a `scalar_` or `elements_` index (engine patches 0005, 0006 index top-level fields
 * only; the sort keys under `sk` are nested). Written with the attributes and the lifecycle state
 * they derive from, in the same single-document write; `directory-keys-backfill.ts` adds them to
 * users stored before they existed.
 *
 *   dxGiven, dxFamily   name.givenName, name.familyName, lower-cased   prefix search
 *   dxEmail             the primary email (else the first), lower-cased  prefix search
 *   dxDepartment        the enterprise department, lower-cased           prefix search
 *   dxExternalId        externalId as sent (it is case-exact)            prefix search
 *   dxRoles             the names of the roles granted (elements_)       holders of a role
 *
 * dxRoles is part of the lifecycle summary (documents.ts, lifecycleSummary) beside the state,
 * policy fingerprint and holdsAccess fields the console's counts and state filter use.
 * A missing value is a missing field (never null or ""), as the `scalar_` promise wants.
 */
export interface DirectoryKeys {
  dxGiven?: string;
  dxFamily?: string;
  dxEmail?: string;
  dxDepartment?: string;
  dxExternalId?: string;
  dxRoles?: string[];
}

export const ATTRIBUTE_KEYS = ['dxGiven', 'dxFamily', 'dxEmail', 'dxDepartment', 'dxExternalId'] as const;

/** The storage key of the enterprise extension (schema-registry.ts). */
const ENTERPRISE = 'enterprise';

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const lower = (value: unknown): string | undefined => text(value)?.toLowerCase();
const field = (object: unknown, name: string): unknown => (typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[name] : undefined);

function primaryEmail(emails: unknown): string | undefined {
  if (!Array.isArray(emails)) return undefined;
  const primary = emails.find((email) => field(email, 'primary') === true) ?? emails[0];
  return lower(field(primary, 'value'));
}

/** The keys that derive from a user's stored attributes (core `data`, extension objects `ext`). */
export function attributeKeys(data: Record<string, unknown>, ext: Record<string, unknown>): Pick<DirectoryKeys, (typeof ATTRIBUTE_KEYS)[number]> {
  return {
    dxGiven: lower(field(data['name'], 'givenName')),
    dxFamily: lower(field(data['name'], 'familyName')),
    dxEmail: primaryEmail(data['emails']),
    dxDepartment: lower(field(ext[ENTERPRISE], 'department')),
    dxExternalId: text(data['externalId']),
  };
}

/** The names of the roles a lifecycle state grants, each once, sorted. */
export function rolesHeld(lifecycle: LifecycleState): string[] {
  return [...new Set(lifecycle.grants.filter((grant) => grant.kind === 'role').map((grant) => grant.name))].sort();
}

/** `$set` for the defined keys and `$unset` for the others, as an update writes them. */
export function keyUpdate(keys: DirectoryKeys): { set: Record<string, unknown>; unset: Record<string, ''> } {
  const set: Record<string, unknown> = {};
  const unset: Record<string, ''> = {};
  for (const [name, value] of Object.entries(keys)) {
    if (value === undefined) unset[name] = '';
    else set[name] = value;
  }
  return { set, unset };
}

/** The defined keys only, for a new document. */
export function definedKeys(keys: DirectoryKeys): DirectoryKeys {
  return Object.fromEntries(Object.entries(keys).filter(([, value]) => value !== undefined)) as DirectoryKeys;
}
