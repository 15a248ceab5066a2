// Carries out a feed's plan through the user service, as the HTTP API would: joiners as POST (the
// ones a joiner references first), movers as a PATCH of just the changed attributes, leavers as a
// PATCH of active=false. Each is version-conditional on what the plan read, so a user changed in
// between is refused (412) rather than overwritten; the lifecycle grants, revokes, audits and emits.
import { ScimError } from '../../../errors/scim-error.js';
import { PATCH_OP_SCHEMA, type PatchOperation } from '../../../scim/patch/operations.js';
import { USER_SCHEMA } from '../../../scim/schema-registry.js';
import type { RequestContext } from '../../../services/context.js';
import type { UserService } from '../../../services/users.js';
import type { ResourceRecord } from '../../../store/contract.js';
import { keyOf, setValue, type Person } from './extract.js';
import type { Mapping } from './mapping.js';
import { desired, isPending, moverOperations, type Joiner, type Plan, type Resolver } from './plan.js';

export interface FeedRejection {
  line: number | undefined;
  key: string;
  error: ScimError;
}

export interface FeedOutcome {
  joined: number;
  moved: number;
  left: number;
  /** Movers whose PATCH turned out to change nothing (e.g. a value the server normalises). */
  unchanged: number;
  rejected: FeedRejection[];
  /** Stopped by Ctrl-C or SIGTERM after the writes in flight: the rest of the plan was not applied. */
  interrupted: boolean;
}

const CREATE_BATCH = 200;
const PATCHES_IN_FLIGHT = 4;

async function eachConcurrently<T>(items: readonly T[], stopped: () => boolean, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stopped()) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(PATCHES_IN_FLIGHT, items.length) }, worker));
}

const patchBody = (operations: PatchOperation[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations: operations });

/** `interrupted` is asked before each write: a run stops between users, never within one. */
export async function applyPlan(plan: Plan, mapping: Mapping, planned: Resolver, users: UserService, ctx: RequestContext, interrupted: () => boolean): Promise<FeedOutcome> {
  const outcome: FeedOutcome = { joined: 0, moved: 0, left: 0, unchanged: 0, rejected: [], interrupted: false };
  const stopped = () => (outcome.interrupted ||= interrupted());
  const created = new Map<string, string>();
  const resolver: Resolver = {
    resolve(key) {
      const resolved = planned.resolve(key);
      return isPending(resolved) ? (created.get(keyOf(mapping, key)) ?? resolved) : resolved;
    },
    describe: planned.describe,
  };
  const reject = (person: Person | undefined, key: string, error: unknown) => {
    if (!(error instanceof ScimError)) throw error;
    outcome.rejected.push({ line: person?.line, key, error });
  };

  /** The POST body of a joiner, or undefined while someone it references has no user yet. */
  function joinerBody(person: Person): Record<string, unknown> | undefined {
    const body: Record<string, unknown> = structuredClone(person.attributes);
    for (const [, { target, references, value }] of desired(person, mapping, resolver)) {
      if (!references || value === undefined) continue;
      if (isPending(value)) return undefined;
      setValue(body, target, value);
    }
    return { ...body, schemas: [USER_SCHEMA, ...Object.keys(body).filter((name) => name.startsWith('urn:'))] };
  }

  let waiting: Joiner[] = plan.joiners;
  while (waiting.length > 0 && !stopped()) {
    const ready = waiting.flatMap((joiner) => {
      const body = joinerBody(joiner.person);
      return body ? [{ joiner, body }] : [];
    });
    if (ready.length === 0) {
      // Someone they reference was refused: they cannot be created as the extract says.
      for (const { person } of waiting) reject(person, person.key, new ScimError('unresolvedReference', 'a person this one references could not be created'));
      break;
    }
    for (let start = 0; start < ready.length && !stopped(); start += CREATE_BATCH) {
      const chunk = ready.slice(start, start + CREATE_BATCH);
      const views = await users.createMany(ctx, chunk.map(({ body }) => body));
      views.forEach((view, index) => {
        const { person } = (chunk[index] as (typeof chunk)[number]).joiner;
        if (view instanceof ScimError) reject(person, person.key, view);
        else {
          created.set(keyOf(mapping, person.key), view.record.id);
          outcome.joined += 1;
        }
      });
    }
    if (outcome.interrupted) break;
    const done = new Set(ready.map(({ joiner }) => joiner));
    waiting = waiting.filter((joiner) => !done.has(joiner));
  }

  const patch = async (person: Person | undefined, key: string, current: ResourceRecord, operations: PatchOperation[], counted: 'moved' | 'left') => {
    try {
      const { record } = await users.patch(ctx, current.id, patchBody(operations), current.version);
      if (record.version === current.version) outcome.unchanged += 1;
      else outcome[counted] += 1;
    } catch (error) {
      reject(person, key, error);
    }
  };

  await eachConcurrently(plan.movers, stopped, async ({ person, current, changes }) => {
    const wanted = desired(person, mapping, resolver);
    const unresolved = changes.find((change) => isPending(wanted.get(change.path)?.value));
    if (unresolved) {
      reject(person, person.key, new ScimError('unresolvedReference', `'${unresolved.path}' names ${JSON.stringify(unresolved.after)}, whose user could not be created`));
      return;
    }
    const operations = moverOperations(current, wanted, changes.map((change) => change.path));
    await patch(person, person.key, current, operations, 'moved');
  });
  await eachConcurrently(plan.leavers, stopped, ({ key, current }) => patch(undefined, key, current, [{ op: 'replace', path: 'active', value: false }], 'left'));
  return outcome;
}
