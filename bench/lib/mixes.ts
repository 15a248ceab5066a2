// The request mixes of bench/load.ts, for our SCIM server and for the baseline server. Each
// operation has a SCIM form and a baseline form doing the same database work.
import { PATCH_SCHEMA, userBody, userNameOf, externalIdOf } from './users.js';

export type Target = 'ours' | 'baseline';

export interface Fixture {
  /** Seeded users: ids[i] is the user of ordinal i + 1. */
  ids: string[];
  groupIds: string[];
  /** A time before any seeded write: delta sync from it walks every user. */
  since: string;
}

export interface Request {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: string;
  body?: unknown;
}

interface Context {
  cursor?: string;
  after?: { at: string; id: string };
}

/** One operation: how to build it for each target, and (pulling) what to keep from the answer. */
interface Operation {
  name: string;
  build(target: Target, pick: Picker, context: Context): Request;
  onResponse?(target: Target, body: string, context: Context): void;
}

interface Picker {
  /** A random seeded user: its ordinal (1-based) and id. */
  user(): { ordinal: number; id: string };
  group(): string;
  /** A fresh ordinal for creates, unique within the run. */
  fresh(): number;
  since: string;
}

const filter = (expression: string): string => encodeURIComponent(expression);
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_SCHEMA], Operations });
const PAGE = 100;

const OPERATIONS: Record<string, Operation> = {
  lookupUserName: {
    name: 'GET filter userName eq',
    build: (target, pick) => {
      const userName = userNameOf(pick.user().ordinal);
      return target === 'ours' ? { method: 'GET', path: `/scim/v2/Users?filter=${filter(`userName eq "${userName}"`)}` } : { method: 'GET', path: `/users?userName=${encodeURIComponent(userName)}` };
    },
  },
  lookupExternalId: {
    name: 'GET filter externalId eq',
    build: (target, pick) => {
      const externalId = externalIdOf(pick.user().ordinal);
      return target === 'ours' ? { method: 'GET', path: `/scim/v2/Users?filter=${filter(`externalId eq "${externalId}"`)}` } : { method: 'GET', path: `/users?externalId=${externalId}` };
    },
  },
  create: {
    name: 'POST user',
    build: (target, pick) => {
      const body = userBody(pick.fresh(), { prefix: `load-${target}-` });
      return target === 'ours' ? { method: 'POST', path: '/scim/v2/Users', body } : { method: 'POST', path: '/users', body };
    },
  },
  put: {
    name: 'PUT user',
    build: (target, pick) => {
      const { ordinal, id } = pick.user();
      const body = { ...userBody(ordinal), title: `Changed ${Date.now() % 1000}` };
      return target === 'ours' ? { method: 'PUT', path: `/scim/v2/Users/${id}`, body } : { method: 'PUT', path: `/users/${id}`, body };
    },
  },
  deactivate: {
    name: 'PATCH active=false',
    build: (target, pick) => {
      const { id } = pick.user();
      return target === 'ours' ? { method: 'PATCH', path: `/scim/v2/Users/${id}`, body: patch({ op: 'replace', path: 'active', value: false }) } : { method: 'PATCH', path: `/users/${id}`, body: { active: false } };
    },
  },
  patchReplace: {
    name: 'PATCH replace title+department',
    build: (target, pick) => {
      const { id } = pick.user();
      const title = `Title ${Date.now() % 1000}`;
      return target === 'ours'
        ? { method: 'PATCH', path: `/scim/v2/Users/${id}`, body: patch({ op: 'Replace', path: 'title', value: title }, { op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Operations' }) }
        : { method: 'PATCH', path: `/users/${id}`, body: { title, department: 'Operations' } };
    },
  },
  groupAdd: {
    name: 'PATCH group add member',
    build: (target, pick) => {
      const { id } = pick.user();
      const group = pick.group();
      return target === 'ours' ? { method: 'PATCH', path: `/scim/v2/Groups/${group}`, body: patch({ op: 'add', path: 'members', value: [{ value: id }] }) } : { method: 'PATCH', path: `/groups/${group}/members/${id}`, body: { op: 'add' } };
    },
  },
  groupRemove: {
    name: 'PATCH group remove member',
    build: (target, pick) => {
      const { id } = pick.user();
      const group = pick.group();
      return target === 'ours' ? { method: 'PATCH', path: `/scim/v2/Groups/${group}`, body: patch({ op: 'remove', path: `members[value eq "${id}"]` }) } : { method: 'PATCH', path: `/groups/${group}/members/${id}`, body: { op: 'remove' } };
    },
  },
  deltaPage: {
    name: 'GET delta page (100, cursor)',
    build: (target, pick, context) => {
      if (target === 'ours') {
        const query = `filter=${filter(`meta.lastModified gt "${pick.since}"`)}&sortBy=meta.lastModified&count=${PAGE}&cursor=${encodeURIComponent(context.cursor ?? '')}`;
        return { method: 'GET', path: `/scim/v2/Users?${query}` };
      }
      const after = context.after ? `&afterTime=${encodeURIComponent(context.after.at)}&afterId=${context.after.id}` : '';
      return { method: 'GET', path: `/users?since=${encodeURIComponent(pick.since)}&count=${PAGE}${after}` };
    },
    // The next request continues the walk; at the end, the client starts over.
    onResponse(target, body, context) {
      const parsed = JSON.parse(body) as { nextCursor?: string } | { _id: string; lastModified: string }[];
      if (target === 'ours') context.cursor = Array.isArray(parsed) ? undefined : parsed.nextCursor;
      else {
        const last = Array.isArray(parsed) ? parsed[parsed.length - 1] : undefined;
        context.after = last && (parsed as unknown[]).length === PAGE ? { at: last.lastModified, id: last._id } : undefined;
      }
    },
  },
};

/** Operation names and weights (percent). */
export const MIXES: Record<string, [keyof typeof OPERATIONS, number][]> = {
  okta: [['lookupUserName', 40], ['create', 10], ['put', 20], ['deactivate', 10], ['groupAdd', 10], ['groupRemove', 10]],
  entra: [['lookupExternalId', 25], ['lookupUserName', 15], ['patchReplace', 40], ['groupAdd', 10], ['groupRemove', 10]],
  pull: [['deltaPage', 100]],
};

export function describeMix(mix: string): string {
  return (MIXES[mix] ?? []).map(([name, weight]) => `${weight}% ${OPERATIONS[name]?.name}`).join(', ');
}

let freshOrdinal = 10_000_000;

/**
 * A chooser for one autocannon run: picks the next operation by weight, builds it for `target`,
 * and counts statuses per operation (what autocannon's totals cannot tell apart).
 */
export function mixRunner(mix: string, target: Target, fixture: Fixture) {
  const weighted = MIXES[mix];
  if (!weighted) throw new Error(`unknown mix "${mix}" (${Object.keys(MIXES).join(', ')})`);
  const picker: Picker = {
    user() {
      const index = Math.floor(Math.random() * fixture.ids.length);
      return { ordinal: index + 1, id: fixture.ids[index] as string };
    },
    group: () => fixture.groupIds[Math.floor(Math.random() * fixture.groupIds.length)] as string,
    fresh: () => (freshOrdinal += 1),
    since: fixture.since,
  };
  const statuses = new Map<string, Map<number, number>>();
  const choose = (): Operation => {
    let roll = Math.random() * 100;
    for (const [name, weight] of weighted) {
      roll -= weight;
      if (roll < 0) return OPERATIONS[name] as Operation;
    }
    return OPERATIONS[weighted[weighted.length - 1]?.[0] as string] as Operation;
  };
  return {
    statuses,
    setupRequest(request: Record<string, unknown>, context: Context & { op?: Operation }): Record<string, unknown> {
      const operation = choose();
      context.op = operation;
      const built = operation.build(target, picker, context);
      // autocannon writes Content-Length into the headers object it was given: a fresh copy per
      // request, or a GET after a POST would announce the POST's body length and hang.
      const { 'Content-Length': _length, ...headers } = (request['headers'] ?? {}) as Record<string, string>;
      return { ...request, headers, method: built.method, path: built.path, body: built.body === undefined ? undefined : JSON.stringify(built.body) };
    },
    onResponse(status: number, body: string, context: Context & { op?: Operation }): void {
      const operation = context.op as Operation;
      const counts = statuses.get(operation.name) ?? new Map<number, number>();
      counts.set(status, (counts.get(status) ?? 0) + 1);
      statuses.set(operation.name, counts);
      if (status === 200 && operation.onResponse) operation.onResponse(target, body, context);
    },
  };
}
