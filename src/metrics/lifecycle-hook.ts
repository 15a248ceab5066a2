import { transitionKind } from '../lifecycle/transition-kind.js';
import { isActive } from '../lifecycle/user-transition.js';
import type { PostPersistHook } from '../services/lifecycle.js';
import type { Metrics } from './metrics.js';

/** Counts each stored user change by its lifecycle moment, and the grants it revoked (pipeline step 4). */
export function transitionMetricsHook(metrics: Metrics): PostPersistHook {
  return {
    name: 'metrics',
    async run({ before, transition }) {
      const was = before ? (before.lifecycle?.state ?? (isActive(before.attributes) ? 'active' : 'inactive')) : undefined;
      const kind = transitionKind(was, transition.lifecycle?.state);
      if (kind) metrics.userTransition(kind, transition.audit.grantsRevoked.length);
    },
  };
}
