import type { NextFunction, Request, Response } from 'express';
import type { RequestBoundsConfig } from '../../config.js';
import { ScimError } from '../../errors/scim-error.js';
import type { ReadBudget } from '../../store/contract.js';
import { principalOf } from './authenticate.js';

/** Seconds a client is asked to wait after a deadline or a full set of expensive-query slots. */
const RETRY_AFTER_SECONDS = '5';

export interface ReadBudgetOptions extends RequestBoundsConfig {
  maxFilterCandidates: number;
  now?: () => number;
}

export interface RequestReadBudget extends ReadBudget {
  /** Gives the expensive-query slot back (at the end of the response); idempotent. */
  release(): void;
}

/**
 * The budgets of one process: each request gets a deadline and a candidate allowance of its own,
 * and the expensive-query slots are counted per credential (tenant + name), in memory, like the
 * rate limit: with N processes a credential may run N times as many.
 */
export function createReadBudgets({ timeoutMs, expensiveQueriesPerCredential, maxFilterCandidates, now = Date.now }: ReadBudgetOptions) {
  const running = new Map<string, number>();
  const seconds = timeoutMs / 1000;

  return function budgetFor(credentialKey: string): RequestReadBudget {
    const deadline = now() + timeoutMs;
    let candidates = maxFilterCandidates;
    let holdsSlot = false;
    const deadlineError = () =>
      new ScimError('deadlineExceeded', `The request did not finish within ${seconds} s; narrow the filter or retry later`, { 'Retry-After': RETRY_AFTER_SECONDS });

    return {
      remainingMs() {
        const left = deadline - now();
        if (left <= 0) throw deadlineError();
        return left;
      },
      checkDeadline() {
        if (now() >= deadline) throw deadlineError();
      },
      deadlineError,
      candidatesLeft: () => candidates,
      takeCandidates(count) {
        if (count > candidates) {
          candidates = 0;
          throw new ScimError('tooMany', `The filter needs more than ${maxFilterCandidates} resources checked one by one; narrow it (for example with an eq condition on userName, externalId or id)`);
        }
        candidates -= count;
      },
      expensive() {
        if (holdsSlot) return;
        const held = running.get(credentialKey) ?? 0;
        if (held >= expensiveQueriesPerCredential) {
          throw new ScimError('expensiveQueriesBusy', `This credential already runs ${held} expensive ${held === 1 ? 'query' : 'queries'}, as many as it may at once; retry when one has finished`, { 'Retry-After': RETRY_AFTER_SECONDS });
        }
        running.set(credentialKey, held + 1);
        holdsSlot = true;
      },
      release() {
        if (!holdsSlot) return;
        holdsSlot = false;
        const left = (running.get(credentialKey) ?? 1) - 1;
        if (left > 0) running.set(credentialKey, left);
        else running.delete(credentialKey);
      },
    };
  };
}

export function readBudgetOf(res: Response): ReadBudget | undefined {
  return res.locals['readBudget'] as ReadBudget | undefined;
}

/** Gives every authenticated request its budget; the slot it may take is returned when the response ends or the client goes. */
export function readBudget(options: ReadBudgetOptions) {
  const budgetFor = createReadBudgets(options);
  return (_req: Request, res: Response, next: NextFunction): void => {
    const { tenant, credential } = principalOf(res);
    const budget = budgetFor(`${tenant}\u0000${credential}`);
    res.locals['readBudget'] = budget;
    res.once('close', () => budget.release());
    next();
  };
}
