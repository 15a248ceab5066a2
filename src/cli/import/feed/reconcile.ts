// An HR feed on an open database: plan, print the plan, check the leaver threshold, apply.
import type { RequestContext } from '../../../services/context.js';
import type { UserService } from '../../../services/users.js';
import type { Storage } from '../../../store/contract.js';
import { CliError, EXIT } from '../../run.js';
import { applyPlan, type FeedRejection } from './apply.js';
import type { Person } from './extract.js';
import type { Mapping } from './mapping.js';
import { planFeed, type Plan } from './plan.js';
import { dryRunLine, planLines, summaryLine } from './report.js';

export interface FeedRun {
  file: string;
  mapping: Mapping;
  people: readonly Person[];
  /** A full extract: owned users it lacks are deactivated. */
  reconcile: boolean;
  dryRun: boolean;
  /** The largest share (percent) of the owned active users one run may deactivate without `force`. */
  maxLeavers: number;
  force: boolean;
  ctx: RequestContext;
  say(line: string): void;
  /** True once Ctrl-C or SIGTERM asked the run to stop. */
  interrupted(): boolean;
}

const LISTED_REJECTIONS = 20;

/** Too many leavers usually means a truncated or wrong extract, not a mass departure. */
function refusal(run: FeedRun, plan: Plan): CliError | undefined {
  if (plan.leavers.length === 0 || run.force) return undefined;
  const share = (plan.leavers.length / plan.ownedActive) * 100;
  if (share <= run.maxLeavers) return undefined;
  return new CliError(
    `refusing to deactivate ${plan.leavers.length} of the ${plan.ownedActive} active users the feed owns (${share.toFixed(1)}%, more than --max-leavers ${run.maxLeavers}%); ` +
      'nothing was changed: check that the extract is complete, then rerun with --force (or a higher --max-leavers)',
  );
}

const describe = ({ line, key, error }: FeedRejection) => `${line === undefined ? '' : `line ${line}: `}${key}: ${error.status}${error.toBody().scimType ? ` ${error.toBody().scimType}` : ''}: ${error.message}`;

export async function reconcileFeed(storage: Storage, users: UserService, run: FeedRun): Promise<number> {
  const { plan, resolver } = await planFeed(run.people, run.mapping, { users: storage.users, tenant: run.ctx.tenant, file: run.file, reconcile: run.reconcile });
  for (const line of planLines(plan, run.file, run.reconcile)) console.log(line);
  const refused = refusal(run, plan);
  if (run.dryRun) {
    console.log(dryRunLine(run.file, plan));
    if (refused) throw new CliError(`the run would stop here: ${refused.message}`);
    return EXIT.ok;
  }
  if (refused) throw refused;
  const outcome = await applyPlan(plan, run.mapping, resolver, users, run.ctx, run.interrupted);
  for (const rejection of outcome.rejected.slice(0, LISTED_REJECTIONS)) run.say(describe(rejection));
  if (outcome.rejected.length > LISTED_REJECTIONS) run.say(`… and ${outcome.rejected.length - LISTED_REJECTIONS} more rejected`);
  console.log(summaryLine(run.file, plan, outcome, run.ctx.requestId));
  if (outcome.interrupted) return EXIT.interrupted;
  return outcome.rejected.length > 0 ? EXIT.rejected : EXIT.ok;
}
