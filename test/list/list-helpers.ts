import assert from 'node:assert/strict';
import type supertest from 'supertest';
import { LIST_SCHEMA, type TestApp } from '../support/app.js';

/** What the list tests read back from a created resource. */
export interface Created {
  id: string;
  name: string;
  created: string;
  lastModified: string;
}

type Body = Record<string, unknown>;

function createdFrom(response: supertest.Response, nameAttribute: string): Created {
  if (response.status !== 201) throw new Error(`seeding failed: ${response.status} ${JSON.stringify(response.body)}`);
  const body = response.body as { id: string; meta: { created: string; lastModified: string } } & Body;
  return { id: body.id, name: String(body[nameAttribute]), created: body.meta.created, lastModified: body.meta.lastModified };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * POSTs the bodies one after another with a small gap, so meta.created (and the default list order,
 * created then id) follows the order of `bodies`.
 */
export async function seedInOrder(t: TestApp, endpoint: '/Users' | '/Groups', bodies: readonly Body[], gapMs = 3): Promise<Created[]> {
  const nameAttribute = endpoint === '/Users' ? 'userName' : 'displayName';
  const created: Created[] = [];
  for (const body of bodies) {
    created.push(createdFrom(await t.scim.post(endpoint).send(body), nameAttribute));
    await sleep(gapMs);
  }
  return created;
}

/** POSTs the bodies concurrently, `batch` at a time; creation order inside a batch is unspecified. */
export async function seedInBatches(t: TestApp, endpoint: '/Users' | '/Groups', bodies: readonly Body[], batch = 20): Promise<Created[]> {
  const nameAttribute = endpoint === '/Users' ? 'userName' : 'displayName';
  const created: Created[] = [];
  for (let start = 0; start < bodies.length; start += batch) {
    const responses = await Promise.all(bodies.slice(start, start + batch).map((body) => t.scim.post(endpoint).send(body)));
    created.push(...responses.map((response) => createdFrom(response, nameAttribute)));
  }
  return created;
}

export type Query = Record<string, string | number>;

/** GET a collection with query parameters, which supertest percent-encodes. */
export function list(t: TestApp, endpoint: '/Users' | '/Groups', query: Query = {}): supertest.Test {
  return t.scim.get(endpoint).query(query);
}

interface ListBody {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: Array<Record<string, unknown> & { id: string }>;
}

/** Asserts a 200 ListResponse (RFC 7644 §3.4.2) and returns its body. */
export function listBody(response: supertest.Response): ListBody {
  const context = `${response.status} ${JSON.stringify(response.body).slice(0, 2000)}`;
  assert.equal(response.status, 200, context);
  assert.match(String(response.headers['content-type']), /^application\/scim\+json/, context);
  const body = response.body as ListBody;
  assert.deepEqual(body.schemas, [LIST_SCHEMA], context);
  assert.ok(Number.isInteger(body.totalResults), context);
  assert.ok(Array.isArray(body.Resources), `Resources must be an array: ${context}`);
  assert.equal(body.itemsPerPage, body.Resources.length, `itemsPerPage must equal the number of Resources: ${context}`);
  return body;
}

export function namesOf(body: ListBody, nameAttribute = 'userName'): string[] {
  return body.Resources.map((resource) => String(resource[nameAttribute]));
}

export function idsOf(body: ListBody): string[] {
  return body.Resources.map((resource) => resource.id);
}
