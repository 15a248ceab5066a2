// Realistic, deterministic audit entries: the same ordinal always gives the same entry, so a trail
// of any length can be regenerated. The mix follows what a directory fed by two IdPs produces:
// mostly patches by the connectors, about five entries per resource, now and then an admin's token
// change or a policy re-evaluation.
import type { AuditEntry } from '../../src/lifecycle/types.js';

const ACTORS = [
  ['okta', 60],
  ['entra', 30],
  ['policy-reevaluate', 6],
  ['cli:tokens', 2],
  ['admin', 2],
] as const;

const OPERATIONS = [
  ['patch', 50],
  ['create', 20],
  ['replace', 10],
  ['membership', 10],
  ['reevaluate', 6],
  ['delete', 4],
] as const;

function mix(ordinal: number, salt: number): number {
  let h = Math.imul(ordinal ^ (salt * 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function weighted<T extends string>(choices: readonly (readonly [T, number])[], ordinal: number, salt: number): T {
  let roll = mix(ordinal, salt) % 100;
  for (const [value, weight] of choices) {
    if (roll < weight) return value;
    roll -= weight;
  }
  return choices[0]![0];
}

/** Entries of one resource share an id: this many entries per resource on average. */
export const ENTRIES_PER_RESOURCE = 5;

export const resourceIdOf = (ordinal: number): string => `00000000-0000-4000-8000-${String(Math.floor(ordinal / ENTRIES_PER_RESOURCE)).padStart(12, '0')}`;

/**
 * Entry `ordinal` of a trail that starts at `start` and gets one entry every `stepMs` (with jitter
 * inside the step, so ordinal order is time order).
 */
export function auditEntry(ordinal: number, tenant: string, start: number, stepMs: number): AuditEntry {
  const operation = weighted(OPERATIONS, ordinal, 1);
  const actor = operation === 'reevaluate' ? 'policy-reevaluate' : weighted(ACTORS, ordinal, 2);
  const resourceType = mix(ordinal, 3) % 100 < 85 ? 'User' : mix(ordinal, 3) % 100 < 99 ? 'Group' : 'Token';
  const userName = `u${String(Math.floor(ordinal / ENTRIES_PER_RESOURCE)).padStart(7, '0')}@example.com`;
  const before = operation === 'create' ? null : { userName, active: true, title: 'Specialist, Sales', department: 'Sales', roles: [], entitlements: [] };
  const after = operation === 'delete' ? null : { userName, active: mix(ordinal, 4) % 20 !== 0, title: 'Senior Specialist, Sales', department: 'Sales', roles: [], entitlements: [] };
  return {
    id: `a${String(ordinal).padStart(9, '0')}-${(mix(ordinal, 5) % 0xffffff).toString(16).padStart(6, '0')}`,
    at: new Date(start + ordinal * stepMs + (mix(ordinal, 6) % Math.max(1, stepMs))),
    tenant,
    actor,
    requestId: `req-${mix(ordinal, 7).toString(36)}`,
    operation: operation as AuditEntry['operation'],
    resourceType,
    resourceId: resourceIdOf(ordinal),
    before,
    after,
    grantsAdded: operation === 'create' ? [{ kind: 'role', name: 'employee-baseline', source: 'policy', rules: ['employee-baseline'] }] : [],
    grantsRevoked: [],
    events: operation === 'create' ? ['user.provisioned'] : [],
  };
}
