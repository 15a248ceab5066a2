import { ENTERPRISE_USER_SCHEMA } from '../scim/schema-registry.js';
import { valuesOf } from './grants.js';

const ENTERPRISE_FIELDS = ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const;

/**
 * The attributes an auditor asks about, before and after a change. Never a password, never the
 * whole body: the audit trail must not become a second copy of everyone's personal data.
 */
export function securityView(attributes: Record<string, unknown>, groupIds: readonly string[]): Record<string, unknown> {
  const enterprise = (attributes[ENTERPRISE_USER_SCHEMA] ?? {}) as Record<string, unknown>;
  const view: Record<string, unknown> = {
    userName: attributes['userName'],
    active: attributes['active'] !== false,
    title: attributes['title'],
    userType: attributes['userType'],
    externalId: attributes['externalId'],
    roles: valuesOf(attributes['roles']),
    entitlements: valuesOf(attributes['entitlements']),
    groups: [...groupIds].sort(),
    manager: (enterprise['manager'] as { value?: unknown } | undefined)?.value,
  };
  for (const field of ENTERPRISE_FIELDS) view[field] = enterprise[field];
  return Object.fromEntries(Object.entries(view).filter(([, value]) => value !== undefined));
}
