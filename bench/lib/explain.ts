import type { Db, Document } from 'mongodb';

/** The query shapes our storage sends for lookups and delta pages (see src/store/mongo/*). */
export function lookupShapes(tenant: string, sample: { id: string; nameLc: string; externalId: string; since: Date; groupId: string }): { name: string; filter: Document; sort?: Document; limit?: number }[] {
  return [
    { name: 'by id alone (for comparison)', filter: { _id: sample.id } },
    { name: 'by id', filter: { _id: sample.id, tenant } },
    { name: 'userName eq', filter: { tenant, nameLc: sample.nameLc } },
    { name: 'externalId eq', filter: { tenant, 'data.externalId': sample.externalId } },
    { name: 'list page', filter: { tenant }, sort: { created: 1, _id: 1 }, limit: 101 },
    { name: 'members of a group', filter: { tenant, groupIds: sample.groupId }, sort: { created: 1, _id: 1 }, limit: 101 },
    { name: 'delta page', filter: { tenant, lastModified: { $gt: sample.since } }, sort: { lastModified: 1, _id: 1 }, limit: 101 },
  ];
}

/**
 * What the engine does with a query, from `explain`: FerretDB reports which parts it pushed down to
 * SQLite (the rest is done by scanning in Go); MongoDB reports its plan stages (IXSCAN vs COLLSCAN).
 */
export async function explainShape(db: Db, collection: string, shape: { filter: Document; sort?: Document; limit?: number }): Promise<string> {
  let cursor = db.collection(collection).find(shape.filter);
  if (shape.sort) cursor = cursor.sort(shape.sort);
  if (shape.limit) cursor = cursor.limit(shape.limit);
  const plan = (await cursor.explain()) as Document;
  const pushdown = ['filterPushdown', 'sortPushdown', 'limitPushdown'].filter((key) => key in plan).map((key) => `${key}: ${String(plan[key])}`);
  if (pushdown.length > 0) return [...pushdown, ...sqlitePlan(plan)].join(', ');
  const stages: string[] = [];
  for (let stage = (plan['queryPlanner'] as Document | undefined)?.['winningPlan'] as Document | undefined; stage; stage = stage['inputStage'] as Document | undefined) {
    stages.push(String(stage['stage']) + (stage['indexName'] ? `(${String(stage['indexName'])})` : ''));
  }
  return stages.join(' ← ') || JSON.stringify(plan).slice(0, 200);
}

/** FerretDB's SQLite plan lines, shortened to what they do: `SEARCH … USING INDEX <name> (…)` or `SCAN …`. */
function sqlitePlan(plan: Document): string[] {
  const lines = ((plan['queryPlanner'] as Document | undefined)?.['Plan'] as unknown[] | undefined) ?? [];
  return lines.map((line) => String(line).replace(/^.*detail=/, '').replace(/\b\w+_[0-9a-f]{8}_/g, '').replace(/\b(\w+)_[0-9a-f]{8}\b/g, '$1'));
}
