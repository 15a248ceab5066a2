import type { Policy } from '../../src/lifecycle/policy/types.js';
import { accessReviewJson, type ReviewRequest } from '../../src/services/access-review.js';
import type { Storage } from '../../src/store/contract.js';

/** The streamed access review read whole and parsed, for tests that check what it says. */
export async function reviewOf(storage: Storage, policy: Policy, request: ReviewRequest): Promise<Record<string, any>> {
  let text = '';
  for await (const piece of accessReviewJson(storage, policy, request)) text += piece;
  return JSON.parse(text) as Record<string, any>;
}
