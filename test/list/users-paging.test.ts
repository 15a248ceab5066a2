import assert from 'node:assert/strict';
import { startTestApp, user, type TestApp } from '../support/app.js';
import { idsOf, list, listBody, seedInBatches, type Query } from './list-helpers.js';

const TOTAL = 205;
const MAX_RESULTS = 200;
const pad = (n: number) => String(n).padStart(3, '0');

describe('GET /Users paging (RFC 7644 §3.4.2.4)', () => {
  let t: TestApp;
  let seededIds: string[];
  /** Every id in the server's default order (created, then id), read with two requests. */
  let order: string[];

  before(async function () {
    this.timeout(120_000);
    t = await startTestApp('list-users-paging');
    const bodies = Array.from({ length: TOTAL }, (_, n) => user(`user-${pad(n)}`, { active: n % 3 !== 0 }));
    seededIds = (await seedInBatches(t, '/Users', bodies, 20)).map((created) => created.id);
    const first = listBody(await list(t, '/Users', { startIndex: 1, count: MAX_RESULTS }));
    const rest = listBody(await list(t, '/Users', { startIndex: MAX_RESULTS + 1, count: MAX_RESULTS }));
    order = [...idsOf(first), ...idsOf(rest)];
  });

  after(async () => {
    await t.close();
  });

  it('seeds the expected number of users and the default order covers each exactly once', () => {
    assert.equal(seededIds.length, TOTAL);
    assert.equal(order.length, TOTAL);
    assert.equal(new Set(order).size, TOTAL);
    assert.deepEqual([...order].sort(), [...seededIds].sort());
  });

  it('the default order is meta.created, then id, and is the same on every request', async () => {
    const body = listBody(await list(t, '/Users', { count: MAX_RESULTS }));
    const keys = body.Resources.map((resource) => [Date.parse((resource['meta'] as { created: string }).created), resource.id] as const);
    for (let index = 1; index < keys.length; index += 1) {
      const [prevTime, prevId] = keys[index - 1]!;
      const [time, id] = keys[index]!;
      assert.ok(prevTime < time || (prevTime === time && prevId < id), `out of order at ${index}: ${JSON.stringify(keys.slice(index - 1, index + 1))}`);
    }
    assert.deepEqual(idsOf(body), order.slice(0, MAX_RESULTS));
  });

  it('advertises filter.maxResults = 200 in /ServiceProviderConfig', async () => {
    const response = await t.scim.get('/ServiceProviderConfig');
    assert.equal(response.status, 200);
    assert.equal(response.body.filter.maxResults, MAX_RESULTS);
  });

  type PageCase = [query: Query, startIndex: number, first: number, items: number];
  const PAGES: PageCase[] = [
    // query, echoed startIndex, 1-based position of the first item, number of items
    [{}, 1, 1, MAX_RESULTS],
    [{ startIndex: 1 }, 1, 1, MAX_RESULTS],
    [{ count: 1 }, 1, 1, 1],
    [{ startIndex: 5, count: 1 }, 5, 5, 1],
    [{ startIndex: 5, count: 5 }, 5, 5, 5],
    [{ startIndex: 101, count: 5 }, 101, 101, 5],
    [{ startIndex: 1, count: 100 }, 1, 1, 100],
    [{ startIndex: 101, count: 100 }, 101, 101, 100],
    [{ startIndex: 201, count: 100 }, 201, 201, 5],
    [{ startIndex: 201 }, 201, 201, 5],
    [{ startIndex: 205, count: 5 }, 205, 205, 1],
    [{ startIndex: 6, count: 200 }, 6, 6, 200],
    [{ startIndex: 7, count: 200 }, 7, 7, 199],
    [{ count: 200 }, 1, 1, 200],
    [{ count: 201 }, 1, 1, MAX_RESULTS],
    [{ count: 1000 }, 1, 1, MAX_RESULTS],
    [{ count: 999999999999999 }, 1, 1, MAX_RESULTS],
    [{ startIndex: 0, count: 3 }, 1, 1, 3],
    [{ startIndex: -4, count: 3 }, 1, 1, 3],
    [{ startIndex: '+2', count: '+3' }, 2, 2, 3],
    [{ startIndex: 206, count: 5 }, 206, 0, 0],
    [{ startIndex: 1000 }, 1000, 0, 0],
    [{ count: 0 }, 1, 0, 0],
    [{ startIndex: 50, count: 0 }, 50, 0, 0],
    [{ count: -1 }, 1, 0, 0],
    [{ count: '' }, 1, 1, MAX_RESULTS],
  ];

  for (const [query, startIndex, first, items] of PAGES) {
    const label = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)])).toString() || '(no parameters)';
    it(`${label} → startIndex ${startIndex}, ${items} resource(s)${items > 0 ? ` from position ${first}` : ''}, totalResults ${TOTAL}`, async () => {
      const body = listBody(await list(t, '/Users', query));
      assert.equal(body.totalResults, TOTAL);
      assert.equal(body.startIndex, startIndex);
      assert.equal(body.itemsPerPage, items);
      assert.deepEqual(idsOf(body), items === 0 ? [] : order.slice(first - 1, first - 1 + items));
    });
  }

  it('count=0 returns only the total: itemsPerPage 0 and an empty Resources array', async () => {
    const response = await list(t, '/Users', { count: 0 });
    const body = listBody(response);
    assert.deepEqual(Object.keys(body).sort(), ['Resources', 'itemsPerPage', 'schemas', 'startIndex', 'totalResults']);
    assert.deepEqual(body.Resources, []);
    assert.equal(body.itemsPerPage, 0);
    assert.equal(body.totalResults, TOTAL);
  });

  it('walking pages of 5 returns every user exactly once, in the default order', async () => {
    const walked: string[] = [];
    for (let startIndex = 1; startIndex <= TOTAL; startIndex += 5) {
      const body = listBody(await list(t, '/Users', { startIndex, count: 5 }));
      assert.equal(body.totalResults, TOTAL);
      assert.equal(body.startIndex, startIndex);
      assert.equal(body.itemsPerPage, Math.min(5, TOTAL - startIndex + 1));
      walked.push(...idsOf(body));
    }
    assert.equal(walked.length, TOTAL);
    assert.equal(new Set(walked).size, TOTAL);
    assert.deepEqual(walked, order);
  });

  it('the Okta import (startIndex=1, 101, 201 with count=100) covers every user exactly once', async () => {
    const walked: string[] = [];
    for (const startIndex of [1, 101, 201]) walked.push(...idsOf(listBody(await list(t, '/Users', { startIndex, count: 100 }))));
    assert.deepEqual(walked, order);
  });

  it('honours parameter names in any case: startindex, COUNT, StartIndex, Count', async () => {
    const lower = listBody(await t.scim.get('/Users?startindex=6&COUNT=5'));
    assert.equal(lower.startIndex, 6);
    assert.deepEqual(idsOf(lower), order.slice(5, 10));
    const mixed = listBody(await t.scim.get('/Users?StartIndex=11&Count=2'));
    assert.equal(mixed.startIndex, 11);
    assert.deepEqual(idsOf(mixed), order.slice(10, 12));
    const zero = listBody(await t.scim.get('/Users?startindex=0&count=2'));
    assert.equal(zero.startIndex, 1);
    assert.deepEqual(idsOf(zero), order.slice(0, 2));
  });

  describe('with a filter: totalResults is the exact filtered total', () => {
    const active = (n: number) => n % 3 !== 0;
    const nameOf = (resource: Record<string, unknown>) => String(resource['userName']);

    it('userName sw "user-01" has 10 matches; pages of 3 walk them all', async () => {
      const filter = 'userName sw "user-01"';
      const walked: string[] = [];
      for (let startIndex = 1; startIndex <= 10; startIndex += 3) {
        const body = listBody(await list(t, '/Users', { filter, startIndex, count: 3 }));
        assert.equal(body.totalResults, 10);
        assert.equal(body.itemsPerPage, Math.min(3, 10 - startIndex + 1));
        walked.push(...body.Resources.map(nameOf));
      }
      assert.deepEqual([...walked].sort(), Array.from({ length: 10 }, (_, n) => `user-0${10 + n}`));
      assert.equal(new Set(walked).size, 10);
    });

    it('userName sw "user-1" has 100 matches; startIndex=90&count=20 returns the last 11', async () => {
      const body = listBody(await list(t, '/Users', { filter: 'userName sw "user-1"', startIndex: 90, count: 20 }));
      assert.equal(body.totalResults, 100);
      assert.equal(body.itemsPerPage, 11);
      assert.ok(body.Resources.every((resource) => nameOf(resource).startsWith('user-1')));
    });

    it('active eq true: totalResults counts every match although a page holds at most 200', async () => {
      const expected = Array.from({ length: TOTAL }, (_, n) => n).filter(active).length;
      const zero = listBody(await list(t, '/Users', { filter: 'active eq true', count: 0 }));
      assert.equal(zero.totalResults, expected);
      assert.deepEqual(zero.Resources, []);
      const walked: string[] = [];
      for (let startIndex = 1; startIndex <= expected; startIndex += 50) {
        const body = listBody(await list(t, '/Users', { filter: 'active eq true', startIndex, count: 50 }));
        assert.equal(body.totalResults, expected);
        walked.push(...body.Resources.map(nameOf));
      }
      assert.deepEqual(
        [...walked].sort(),
        Array.from({ length: TOTAL }, (_, n) => n)
          .filter(active)
          .map((n) => `user-${pad(n)}`),
      );
    });

    it('a filter with no matches: totalResults 0 at any startIndex', async () => {
      const queries: Query[] = [{ startIndex: 1, count: 100 }, { startIndex: 7, count: 5 }, { count: 0 }];
      for (const query of queries) {
        const body = listBody(await list(t, '/Users', { filter: 'userName eq "user-999"', ...query }));
        assert.equal(body.totalResults, 0);
        assert.deepEqual(body.Resources, []);
      }
    });
  });
});
