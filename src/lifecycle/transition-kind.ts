import type { LifecycleStateName } from './types.js';

/** The lifecycle moments of docs/lifecycle.md, as metrics count them. */
export const TRANSITION_KINDS = ['joiner', 'mover', 'leaver', 'rehire', 'delete'] as const;
export type TransitionKind = (typeof TRANSITION_KINDS)[number];

/**
 * Which moment a stored change to a user is, from the state before and after (undefined: the user
 * did not exist, or is deleted): created → joiner, deleted → delete, active → inactive → leaver,
 * inactive → active → rehire, any other change of an active user → mover (its grants are
 * re-derived). A change to a user who stays inactive is none of them.
 */
export function transitionKind(before: LifecycleStateName | undefined, after: LifecycleStateName | undefined): TransitionKind | undefined {
  if (after === undefined) return before === undefined ? undefined : 'delete';
  if (before === undefined) return 'joiner';
  if (before === 'active') return after === 'active' ? 'mover' : 'leaver';
  return after === 'active' ? 'rehire' : undefined;
}
