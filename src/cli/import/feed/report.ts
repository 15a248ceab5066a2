// How a feed's plan and outcome read on the terminal: the plan first (each joiner, each mover with
// its changes before → after, each leaver), then one summary line.
import type { FeedOutcome } from './apply.js';
import type { Plan } from './plan.js';

const LISTED = 200;

const shown = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value));
const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function listed<T>(items: readonly T[], line: (item: T) => string[]): string[] {
  const lines = items.slice(0, LISTED).flatMap(line);
  return items.length > LISTED ? [...lines, `  … and ${count(items.length - LISTED, 'more')}`] : lines;
}

const userName = (attributes: Record<string, unknown>) => (typeof attributes['userName'] === 'string' ? ` ${attributes['userName']}` : '');

export function planLines(plan: Plan, file: string, reconcile: boolean): string[] {
  return [
    `plan for ${file}: ${count(plan.people, 'person', 'people')}; the feed owns ${count(plan.owned, 'user')} (${plan.ownedActive.toLocaleString('en-US')} active)`,
    `joiners (${plan.joiners.length}):`,
    ...listed(plan.joiners, ({ person }) => [`  + ${person.key}${userName(person.attributes)} (line ${person.line})`]),
    `movers (${plan.movers.length}):`,
    ...listed(plan.movers, ({ person, current, changes, returning }) => [
      `  ~ ${person.key}${userName(current.attributes)} (line ${person.line})${returning ? ' returning: reactivated' : ''}`,
      ...changes.map((change) => `      ${change.path}: ${shown(change.before)} → ${shown(change.after)}`),
    ]),
    reconcile ? `leavers (${plan.leavers.length}):` : 'leavers: none without --reconcile (a partial extract deactivates no one)',
    ...listed(plan.leavers, ({ key, current }) => [`  - ${key}${userName(current.attributes)}: active true → false`]),
    `unchanged: ${plan.unchanged.toLocaleString('en-US')}`,
  ];
}

export function summaryLine(file: string, plan: Plan, outcome: FeedOutcome, requestId: string): string {
  return (
    `reconciled ${file}: ${count(outcome.joined, 'joiner')} created, ${count(outcome.moved, 'mover')} updated, ${count(outcome.left, 'leaver')} deactivated, ` +
    `${(plan.unchanged + outcome.unchanged).toLocaleString('en-US')} unchanged, ${outcome.rejected.length.toLocaleString('en-US')} rejected` +
    `${outcome.interrupted ? '; interrupted: the rest of the plan was not applied (rerun the extract to finish)' : ''}; request id ${requestId}`
  );
}

export const dryRunLine = (file: string, plan: Plan) =>
  `dry run of ${file}, nothing written: ${count(plan.joiners.length, 'joiner')}, ${count(plan.movers.length, 'mover')}, ${count(plan.leavers.length, 'leaver')}, ${plan.unchanged.toLocaleString('en-US')} unchanged`;
