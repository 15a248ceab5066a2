import type { Condition, Policy } from './types.js';

function collect(condition: Condition, names: Set<string>): void {
  if ('all' in condition) condition.all.forEach((part) => collect(part, names));
  else if ('any' in condition) condition.any.forEach((part) => collect(part, names));
  else if ('not' in condition) collect(condition.not, names);
  else if ('memberOf' in condition) names.add(condition.memberOf.toLowerCase());
}

/**
 * Lower-cased displayNames of the groups the policy's rules test. Membership in any other group
 * cannot change a grant, so changing it needs no policy re-evaluation of its members.
 */
export function groupsReferenced(policy: Policy): ReadonlySet<string> {
  const names = new Set<string>();
  for (const rule of policy.rules) collect(rule.when, names);
  return names;
}
