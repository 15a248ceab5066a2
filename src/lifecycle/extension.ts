import type { LifecycleState } from './types.js';

const iso = (date: Date | undefined) => (date ? new Date(date).toISOString() : undefined);

/** The lifecycle extension's representation (schema: schemas/lifecycle-extension.schema.json). */
export function lifecycleResource(state: LifecycleState): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    state: state.state,
    provisionedAt: iso(state.provisionedAt),
    deactivatedAt: iso(state.deactivatedAt),
    reactivatedAt: iso(state.reactivatedAt),
    lastPolicyEvaluation: iso(state.lastPolicyEvaluation),
    permissions: state.permissions,
    grants: state.grants.map((grant) => ({ value: grant.name, type: grant.kind, source: grant.source, ...(grant.rules ? { rules: grant.rules } : {}) })),
  };
  return Object.fromEntries(Object.entries(resource).filter(([, value]) => value !== undefined));
}
