import assert from 'node:assert/strict';
import fc from 'fast-check';
import type supertest from 'supertest';
import { ERROR_SCHEMA, group, startTestApp, user, type TestApp } from '../support/app.js';
import { attributePath, bulkBody, filterText, patchBody, resourceBody, validCreate, validPatch } from './arbitraries.js';

/** FC_SEED=<seed> reproduces a failure (the seed and path are printed with it); FC_RUNS scales every property. */
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const runs = (n: number) => (process.env.FC_RUNS === undefined ? n : Number(process.env.FC_RUNS));
const options = (numRuns: number): fc.Parameters<unknown> => ({ numRuns: runs(numRuns), ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true });

/** Any answer is a success or an RFC 7644 §3.12 error, never a 5xx. */
function assertScimAnswer(response: supertest.Response, label: string): void {
  const context = `${label}: ${response.status} ${JSON.stringify(response.body)}`;
  assert.ok(response.status < 500, context);
  if (response.status < 400) return;
  assert.match(String(response.headers['content-type']), /^application\/scim\+json/, context);
  assert.equal(response.body.schemas?.[0], ERROR_SCHEMA, context);
  assert.equal(response.body.status, String(response.status), context);
}

/** Counts successes and rejections, so a property that only ever saw one kind is noticed. */
function outcomes() {
  const seen = { accepted: 0, rejected: 0 };
  return {
    record: (status: number) => void (status < 400 ? (seen.accepted += 1) : (seen.rejected += 1)),
    assertBoth: (label: string) => assert.ok(seen.accepted > 0 && seen.rejected > 0, `${label}: ${JSON.stringify(seen)}`),
  };
}

const json = (test: supertest.Test, body: unknown) => test.set('Content-Type', 'application/scim+json').send(JSON.stringify(body));

describe('property-based: hostile and random input never yields a 5xx, and a rejected write changes nothing', function () {
  this.timeout(600_000);
  let t: TestApp;
  let userId: string;
  let groupId: string;

  const total = async (path: string) => Number((await t.scim.get(`${path}?count=0`)).body.totalResults);
  const resourceCount = async () => (await total('/Users')) + (await total('/Groups'));
  const snapshot = async (path: string) => JSON.stringify((await t.scim.get(path)).body);

  before(async () => {
    t = await startTestApp('security-properties', { PUBLIC_BASE_URL: 'https://scim.example.com/scim/v2' });
    const created = await t.scim.post('/Users').send(user('property@example.com', { name: { givenName: 'P', familyName: 'Q' }, emails: [{ value: 'p@example.com', type: 'work' }] }));
    userId = String(created.body.id);
    const member = await t.scim.post('/Users').send(user('member@example.com'));
    groupId = String((await t.scim.post('/Groups').send(group('Property Group', [String(member.body.id)]))).body.id);
  });
  after(() => t.close());

  it('grammar-generated filters: 200 or 400 invalidFilter, on GET and /.search', async () => {
    await fc.assert(
      fc.asyncProperty(filterText, async (filter) => {
        const listed = await t.scim.get(`/Users?filter=${encodeURIComponent(filter)}`);
        assertScimAnswer(listed, filter);
        const searched = await t.scim.post('/Groups/.search').send({ filter });
        assertScimAnswer(searched, filter);
      }),
      options(300),
    );
  });

  it('random strings as filters: 200 or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80, unit: 'binary' }), async (filter) => {
        assertScimAnswer(await t.scim.get(`/Users?filter=${encodeURIComponent(filter)}`), filter);
      }),
      options(200),
    );
  });

  it('random attribute paths in attributes, excludedAttributes and sortBy', async () => {
    await fc.assert(
      fc.asyncProperty(attributePath, attributePath, async (a, b) => {
        const list = `${a},${b}`;
        assertScimAnswer(await t.scim.get(`/Users?attributes=${encodeURIComponent(list)}`), `attributes=${list}`);
        assertScimAnswer(await t.scim.get(`/Users/${userId}?excludedAttributes=${encodeURIComponent(list)}`), `excludedAttributes=${list}`);
        assertScimAnswer(await t.scim.get(`/Users?sortBy=${encodeURIComponent(a)}`), `sortBy=${a}`);
      }),
      options(200),
    );
  });

  for (const [kind, path] of [['User', () => `/Users/${userId}`], ['Group', () => `/Groups/${groupId}`]] as const) {
    it(`random PATCH bodies on a ${kind}: a rejected one leaves it byte-for-byte unchanged`, async () => {
      const seen = outcomes();
      await fc.assert(
        fc.asyncProperty(fc.oneof({ arbitrary: patchBody, weight: 9 }, { arbitrary: validPatch, weight: 1 }), async (body) => {
          const before = await snapshot(path());
          const response = await json(t.scim.patch(path()), body);
          assertScimAnswer(response, JSON.stringify(body));
          seen.record(response.status);
          if (response.status >= 400) assert.equal(await snapshot(path()), before, `rejected PATCH changed the ${kind}: ${JSON.stringify(body)}`);
        }),
        options(250),
      );
      seen.assertBoth(`PATCH ${kind}`);
    });
  }

  const validReplacement = fc.string({ maxLength: 12 }).map((title) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'property@example.com', title }));

  it('random PUT bodies on a User: a rejected one leaves it byte-for-byte unchanged', async () => {
    const seen = outcomes();
    await fc.assert(
      fc.asyncProperty(fc.oneof({ arbitrary: resourceBody, weight: 9 }, { arbitrary: validReplacement, weight: 1 }), async (body) => {
        const before = await snapshot(`/Users/${userId}`);
        const response = await json(t.scim.put(`/Users/${userId}`), body);
        assertScimAnswer(response, JSON.stringify(body));
        seen.record(response.status);
        if (response.status >= 400) assert.equal(await snapshot(`/Users/${userId}`), before, `rejected PUT changed the user: ${JSON.stringify(body)}`);
      }),
      options(200),
    );
    seen.assertBoth('PUT');
  });

  it('random POST bodies: a rejected one creates nothing', async () => {
    const seen = outcomes();
    const random = fc.record({ data: resourceBody, path: fc.constantFrom('/Users', '/Groups') });
    await fc.assert(
      fc.asyncProperty(fc.oneof({ arbitrary: random, weight: 5 }, { arbitrary: validCreate, weight: 1 }), async ({ data: body, path }) => {
        const before = await resourceCount();
        const response = await json(t.scim.post(path), body);
        assertScimAnswer(response, JSON.stringify(body));
        seen.record(response.status);
        if (response.status >= 400) assert.equal(await resourceCount(), before, `rejected POST created a resource: ${JSON.stringify(body)}`);
      }),
      options(200),
    );
    seen.assertBoth('POST');
  });

  it('random bulk requests: every operation answers below 500', async () => {
    const seen = outcomes();
    await fc.assert(
      fc.asyncProperty(bulkBody, async (body) => {
        const response = await json(t.scim.post('/Bulk'), body);
        assertScimAnswer(response, JSON.stringify(body));
        seen.record(response.status === 200 && (response.body.Operations as { status: string }[]).some((operation) => Number(operation.status) < 400) ? 200 : 400);
        if (response.status === 200) {
          for (const operation of response.body.Operations as { status: string }[]) assert.ok(Number(operation.status) < 500, JSON.stringify(response.body));
        }
      }),
      options(200),
    );
    seen.assertBoth('Bulk');
  });
});
