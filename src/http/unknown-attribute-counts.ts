/**
 * How often each unknown attribute path was ignored or refused, per process since start: the
 * source of the `scim_unknown_attributes_total{resource,path}` metric. Paths come from clients, so
 * the number of distinct ones kept is bounded; beyond it they are counted under OTHER_PATHS.
 */

export interface UnknownAttributeCount {
  resource: string;
  path: string;
  count: number;
}

const MAX_PATHS = 1_000;
const MAX_PATH_LENGTH = 200;
export const OTHER_PATHS = '(other)';

const counts = new Map<string, UnknownAttributeCount>();

/** A path as it is logged and counted: long ones shortened (they come from clients). */
export function reportedPath(path: string): string {
  return path.length > MAX_PATH_LENGTH ? `${path.slice(0, MAX_PATH_LENGTH)}…` : path;
}

export function countUnknownAttribute(resource: string, path: string): void {
  let key = JSON.stringify([resource, reportedPath(path)]);
  if (!counts.has(key) && counts.size >= MAX_PATHS) key = JSON.stringify([resource, OTHER_PATHS]);
  const entry = counts.get(key);
  if (entry) entry.count += 1;
  else {
    const [, counted] = JSON.parse(key) as [string, string];
    counts.set(key, { resource, path: counted, count: 1 });
  }
}

/** Every (resource, path) seen, with its count. */
export function unknownAttributeCounts(): UnknownAttributeCount[] {
  return [...counts.values()].map((entry) => ({ ...entry }));
}
