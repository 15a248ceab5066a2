// What a reconciliation would do, worked out before anything is written: joiners (in the extract,
// no user the feed owns), movers (an owned user whose mapped attributes differ, with each change
// before → after, and the PATCH that makes it), leavers (an owned, active user the extract lacks).
import { isDeepStrictEqual } from 'node:util';
import type { ResourceAttributes } from '../../../scim/ingress.js';
import type { PatchOperation } from '../../../scim/patch/operations.js';
import type { ResourceRecord, ResourceStore } from '../../../store/contract.js';
import { ExtractProblems, keyOf, type Person } from './extract.js';
import { comparedTargets, pathText, type Mapping, type Target } from './mapping.js';

export interface Change {
  path: string;
  /** As plans show them: a referenced user by its key when the feed owns it. */
  before: unknown;
  after: unknown;
}

/** A reference to a person of the extract who has no user yet: resolved once the joiners exist. */
export interface PendingReference {
  joinerKey: string;
}

export interface Joiner {
  person: Person;
}

export interface Mover {
  person: Person;
  current: ResourceRecord;
  changes: Change[];
  /** Inactive until now: the extract lists them again. */
  returning: boolean;
}

export interface Leaver {
  key: string;
  current: ResourceRecord;
}

export interface Plan {
  people: number;
  /** Users the feed owns (its "owns" rule), and how many of them are active. */
  owned: number;
  ownedActive: number;
  joiners: Joiner[];
  movers: Mover[];
  leavers: Leaver[];
  unchanged: number;
}

const WALK_BATCH = 500;

/** Finds the users the feed owns, by key; a key several of them hold stops the run. */
async function ownedUsers(users: ResourceStore, tenant: string, mapping: Mapping, problems: ExtractProblems): Promise<Map<string, ResourceRecord>> {
  const owned = new Map<string, ResourceRecord>();
  for await (const batch of users.walk(tenant, WALK_BATCH)) {
    for (const record of batch) {
      const key = record.attributes[mapping.key.attribute];
      if (typeof key !== 'string' || !mapping.owns.test(key)) continue;
      const normalised = keyOf(mapping, key);
      if (owned.has(normalised)) problems.add(undefined, `${mapping.key.attribute} ${JSON.stringify(key)} is held by several users (${owned.get(normalised)?.id}, ${record.id}); cannot tell which one the feed means`);
      else owned.set(normalised, record);
    }
  }
  return owned;
}

/** The value a target reads in a resource's attributes. */
export function valueAt(attributes: ResourceAttributes, target: Omit<Target, 'schema'>): unknown {
  const container = target.extension === undefined ? attributes : (attributes[target.extension] as Record<string, unknown> | undefined);
  const value = container?.[target.attribute];
  if (target.type !== undefined) {
    const element = Array.isArray(value) ? (value as Record<string, unknown>[]).find((candidate) => sameType(candidate['type'], target.type)) : undefined;
    return element?.[target.subAttribute as string];
  }
  if (target.subAttribute !== undefined) return (value as Record<string, unknown> | undefined)?.[target.subAttribute];
  return value;
}

const sameType = (type: unknown, wanted: string | undefined) => typeof type === 'string' && type.toLowerCase() === wanted?.toLowerCase();

export interface Resolver {
  /** The user id a person's key stands for, or a pending reference to a joiner. */
  resolve(key: string): string | PendingReference;
  /** How a plan shows a stored reference: the key of the owned user it names, else the id. */
  describe(id: unknown): unknown;
}

/** The attributes a person should have, references resolved (pending ones stay pending). */
export type Wanted = Map<string, { target: Target; references: boolean; value: unknown }>;

export function desired(person: Person, mapping: Mapping, resolver: Resolver): Wanted {
  const values: Wanted = new Map();
  for (const { path, target, references } of comparedTargets(mapping)) {
    const reference = references ? person.references.get(path) : undefined;
    values.set(path, { target, references, value: references ? (reference === undefined ? undefined : resolver.resolve(reference)) : valueAt(person.attributes, target) });
  }
  return values;
}

export const isPending = (value: unknown): value is PendingReference => typeof value === 'object' && value !== null && 'joinerKey' in value;

function changesOf(person: Person, current: ResourceRecord, mapping: Mapping, resolver: Resolver): Change[] {
  const changes: Change[] = [];
  for (const [path, { target, references, value }] of desired(person, mapping, resolver)) {
    const before = valueAt(current.attributes, target);
    if (isDeepStrictEqual(before, value)) continue;
    const show = (shown: unknown) => (references ? resolver.describe(shown) : shown);
    changes.push({ path, before: show(before), after: isPending(value) ? value.joinerKey : show(value) });
  }
  return changes;
}

/** Joiners whose manager is a joiner too are created after them; a cycle among joiners cannot be created. */
function checkJoinerReferences(joiners: readonly Joiner[], mapping: Mapping, problems: ExtractProblems): void {
  const byKey = new Map(joiners.map((joiner) => [keyOf(mapping, joiner.person.key), joiner.person]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (person: Person, chain: string[]): void => {
    const key = keyOf(mapping, person.key);
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') {
      problems.add(person.line, `new users reference each other in a cycle (${[...chain, person.key].join(' → ')}); none of them can be created first`);
      return;
    }
    state.set(key, 'visiting');
    for (const reference of person.references.values()) {
      const next = byKey.get(keyOf(mapping, reference));
      // Naming oneself is reported by planFeed.
      if (next && next !== person) visit(next, [...chain, person.key]);
    }
    state.set(key, 'done');
  };
  for (const joiner of joiners) visit(joiner.person, []);
}

export interface PlanContext {
  users: ResourceStore;
  tenant: string;
  /** The extract's file name, for messages. */
  file: string;
  /** Full extract: owned users it lacks are leavers. */
  reconcile: boolean;
}

export async function planFeed(people: readonly Person[], mapping: Mapping, context: PlanContext): Promise<{ plan: Plan; resolver: Resolver }> {
  const problems = new ExtractProblems(context.file);
  const owned = await ownedUsers(context.users, context.tenant, mapping, problems);
  const inExtract = new Set(people.map((person) => keyOf(mapping, person.key)));
  const keyById = new Map([...owned.values()].map((record) => [record.id, record.attributes[mapping.key.attribute]]));
  const resolver: Resolver = {
    resolve(key) {
      const normalised = keyOf(mapping, key);
      const record = owned.get(normalised);
      if (record) return record.id;
      return { joinerKey: key };
    },
    describe: (id) => (typeof id === 'string' ? (keyById.get(id) ?? id) : id),
  };
  for (const person of people) {
    for (const [path, reference] of person.references) {
      const normalised = keyOf(mapping, reference);
      if (normalised === keyOf(mapping, person.key)) problems.add(person.line, `${person.key}: '${path}' names the person themselves`);
      else if (!inExtract.has(normalised) && !owned.has(normalised)) problems.add(person.line, `${person.key}: '${path}' names ${JSON.stringify(reference)}, who is neither in the extract nor a user the feed owns`);
    }
  }
  const plan: Plan = { people: people.length, owned: owned.size, ownedActive: [...owned.values()].filter((record) => record.attributes['active'] !== false).length, joiners: [], movers: [], leavers: [], unchanged: 0 };
  for (const person of people) {
    const current = owned.get(keyOf(mapping, person.key));
    if (!current) {
      plan.joiners.push({ person });
      continue;
    }
    const changes = changesOf(person, current, mapping, resolver);
    if (changes.length === 0) plan.unchanged += 1;
    else plan.movers.push({ person, current, changes, returning: current.attributes['active'] === false && person.attributes['active'] !== false });
  }
  if (context.reconcile) {
    for (const [key, current] of owned) {
      if (!inExtract.has(key) && current.attributes['active'] !== false) plan.leavers.push({ key: String(current.attributes[mapping.key.attribute] ?? key), current });
    }
    plan.leavers.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  checkJoinerReferences(plan.joiners, mapping, problems);
  problems.check();
  return { plan, resolver };
}

/** The PATCH operations that give a mover what the extract says; one value of a multi-valued attribute replaces that attribute's list. */
export function moverOperations(current: ResourceRecord, wanted: Wanted, changed: readonly string[]): PatchOperation[] {
  const operations: PatchOperation[] = [];
  const lists = new Map<string, { target: Target; values: Record<string, unknown>[] }>();
  for (const path of changed) {
    const { target, value } = wanted.get(path) as { target: Target; value: unknown };
    if (isPending(value)) throw new Error(`${path}: ${value.joinerKey} has no user yet`);
    if (target.type === undefined) {
      operations.push(value === undefined ? { op: 'remove', path } : { op: 'replace', path, value });
      continue;
    }
    const listPath = pathText({ ...target, type: undefined, subAttribute: undefined });
    const list = lists.get(listPath) ?? { target, values: structuredClone((valueAt(current.attributes, { ...target, type: undefined, subAttribute: undefined }) as Record<string, unknown>[] | undefined) ?? []) };
    lists.set(listPath, list);
    let element = list.values.find((candidate) => sameType(candidate['type'], target.type));
    if (!element) list.values.push((element = { type: target.type }));
    if (value === undefined) delete element[target.subAttribute as string];
    else element[target.subAttribute as string] = value;
  }
  for (const [path, { values }] of lists) {
    const kept = values.filter((element) => Object.keys(element).some((name) => name !== 'type' && name !== 'primary'));
    operations.push(kept.length === 0 ? { op: 'remove', path } : { op: 'replace', path, value: kept });
  }
  return operations;
}
