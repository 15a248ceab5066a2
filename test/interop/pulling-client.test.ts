import assert from 'node:assert/strict';
import { assertScimError, startTestApp, USER_SCHEMA, type TestApp } from '../support/app.js';
import {
  context,
  expectStatus,
  ids,
  listOf,
  patchOp,
  pullingClient,
  qs,
  SEARCH_REQUEST,
  sleep,
  sortedIds,
  storedUser,
  type Body,
  type Client,
  type ListBody,
} from './interop-helpers.js';

/**
 * An application that pulls identities (the Microsoft SCIM sample client's style): time-window
 * filters on meta.lastModified combined with active, mixed-case attribute names, lowercase
 * `startindex=0`, sorting by meta.lastModified, and an incremental (delta) sync loop.
 */
describe('interop: a pulling client (time windows, delta sync, /.search, /Me)', () => {
  let t: TestApp;
  let client: Client;
  /** Users created before t1 (batch A), inside [t1, t2] (batch B) and after t2 (batch C). */
  const batches: Record<'A' | 'B' | 'C', Array<{ id: string; active: boolean }>> = { A: [], B: [], C: [] };
  let t1: string;
  let t2: string;
  /** Delta sync state: the newest meta.lastModified seen, and the users changed after it, in order. */
  let watermark: string;
  let modified: string[];

  /** Batch members: every third one is created inactive. */
  async function createBatch(name: 'A' | 'B' | 'C', size: number): Promise<void> {
    for (let n = 0; n < size; n += 1) {
      const active = n % 3 !== 2;
      const response = await client.post('/Users', { schemas: [USER_SCHEMA], userName: `pull.${name}${n}@example.com`, displayName: `Pull ${name}${n}`, active });
      assert.equal(response.status, 201, context(response));
      batches[name].push({ id: String(response.body['id']), active });
      await sleep(2);
    }
  }

  const activeIds = (...names: Array<'A' | 'B' | 'C'>) => names.flatMap((name) => batches[name].filter((u) => u.active).map((u) => u.id));
  const allIds = () => [...batches.A, ...batches.B, ...batches.C].map((u) => u.id);

  /** Pages through a filtered, lastModified-sorted result the way the client does, `count` at a time. */
  async function pullAll(filter: string | undefined, count: number): Promise<{ pages: ListBody[]; resources: Body[] }> {
    const pages: ListBody[] = [];
    const resources: Body[] = [];
    for (let startIndex = 1; ; startIndex += count) {
      const query = { ...(filter !== undefined ? { filter } : {}), sortBy: 'meta.lastModified', sortOrder: 'ascending', startIndex, count };
      const page = listOf(await client.get(`/Users${qs(query)}`));
      assert.equal(page.startIndex, startIndex);
      pages.push(page);
      resources.push(...page.Resources);
      if (page.Resources.length < count || resources.length >= page.totalResults) break;
      assert.ok(pages.length < 100, 'paging does not end');
    }
    return { pages, resources };
  }

  function assertSortedByLastModified(resources: readonly Body[]): void {
    const stamps = resources.map((resource) => Date.parse(resource['meta']['lastModified']));
    for (let i = 1; i < stamps.length; i += 1) assert.ok(stamps[i - 1]! <= stamps[i]!, `not sorted by meta.lastModified at ${i}: ${stamps.join(', ')}`);
  }

  before(async function () {
    this.timeout(60_000);
    t = await startTestApp('interop-pulling-client');
    client = pullingClient(t);
    await createBatch('A', 6);
    await sleep(25);
    t1 = new Date().toISOString();
    await sleep(25);
    await createBatch('B', 9);
    await sleep(25);
    t2 = new Date().toISOString();
    await sleep(25);
    await createBatch('C', 4);
  });

  after(async () => {
    await t.close();
  });

  it('active eq true and (meta.lastModified ge "<t1>" and meta.lastModified le "<t2>") returns exactly the active users of the window', async () => {
    const filter = `active eq true and (meta.lastModified ge "${t1}" and meta.lastModified le "${t2}")`;
    const body = listOf(await client.get(`/Users${qs({ filter })}`));
    assert.equal(body.totalResults, activeIds('B').length);
    assert.deepEqual(sortedIds(ids(body.Resources)), sortedIds(activeIds('B')));
    for (const resource of body.Resources) {
      assert.equal(resource['active'], true);
      const modified = Date.parse(resource['meta']['lastModified']);
      assert.ok(modified >= Date.parse(t1) && modified <= Date.parse(t2));
    }
  });

  it('mixed-case attribute names: (ActiVe eq true) and (Meta.LastModified ge "<t2>")', async () => {
    const all = listOf(await client.get(`/Users${qs({ filter: '(ActiVe eq true)' })}`));
    assert.deepEqual(sortedIds(ids(all.Resources)), sortedIds(activeIds('A', 'B', 'C')));
    const late = listOf(await client.get(`/Users${qs({ filter: `(ActiVe eq true) and (Meta.LastModified ge "${t2}")` })}`));
    assert.deepEqual(sortedIds(ids(late.Resources)), sortedIds(activeIds('C')));
  });

  it('lowercase startindex=0 is treated as 1 (and echoed as 1)', async () => {
    const zero = listOf(await client.get(`/Users${qs({ filter: 'active eq true', startindex: 0, count: 4 })}`));
    assert.equal(zero.startIndex, 1);
    assert.equal(zero.totalResults, activeIds('A', 'B', 'C').length);
    assert.equal(zero.itemsPerPage, 4);
    const one = listOf(await client.get(`/Users${qs({ filter: 'active eq true', startIndex: 1, count: 4 })}`));
    assert.deepEqual(ids(zero.Resources), ids(one.Resources));
    const second = listOf(await client.get(`/Users${qs({ filter: 'active eq true', startindex: 5, count: 4 })}`));
    assert.equal(second.startIndex, 5);
    assert.equal(new Set([...ids(zero.Resources), ...ids(second.Resources)]).size, 8);
  });

  it('sortBy=meta.lastModified returns everyone in modification order', async () => {
    const body = listOf(await client.get('/Users?sortBy=meta.lastModified&startindex=0&count=100'));
    assert.equal(body.totalResults, allIds().length);
    assertSortedByLastModified(body.Resources);
    assert.deepEqual(ids(body.Resources), allIds(), 'creation order is modification order before any change');
  });

  it('a full pull sets the watermark to the newest meta.lastModified seen', async () => {
    const { resources } = await pullAll(undefined, 5);
    assert.deepEqual(sortedIds(ids(resources)), sortedIds(allIds()));
    assertSortedByLastModified(resources);
    watermark = resources.at(-1)!['meta']['lastModified'];
    assert.equal(Date.parse(watermark), Math.max(...resources.map((resource) => Date.parse(resource['meta']['lastModified']))));
  });

  it('after changes, meta.lastModified gt "<watermark>" pages through exactly the changed users, oldest change first', async () => {
    await sleep(25);
    const a0 = batches.A[0]!;
    const a1 = batches.A[1]!;
    const b0 = batches.B[0]!;
    const b4 = batches.B[4]!;
    const c2 = batches.C[2]!; // created inactive
    const order: string[] = [];
    // A rename, a deactivation, a reactivation, a PUT, a new user and a re-PATCH of the first one.
    let response = await client.patch(`/Users/${a1.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'Renamed' }));
    expectStatus(response, 200, 204);
    order.push(a1.id);
    await sleep(5);
    response = await client.patch(`/Users/${b0.id}`, patchOp({ op: 'replace', path: 'active', value: false }));
    expectStatus(response, 200, 204);
    order.push(b0.id);
    await sleep(5);
    response = await client.patch(`/Users/${c2.id}`, patchOp({ op: 'replace', path: 'active', value: true }));
    expectStatus(response, 200, 204);
    order.push(c2.id);
    await sleep(5);
    const current = (await client.get(`/Users/${b4.id}`)).body as Body;
    response = await client.put(`/Users/${b4.id}`, { ...current, title: 'Replaced' });
    assert.equal(response.status, 200, context(response));
    order.push(b4.id);
    await sleep(5);
    response = await client.post('/Users', { schemas: [USER_SCHEMA], userName: 'pull.new@example.com', active: true });
    assert.equal(response.status, 201, context(response));
    const newId = String(response.body['id']);
    order.push(newId);
    await sleep(5);
    response = await client.patch(`/Users/${a0.id}`, patchOp({ op: 'add', path: 'title', value: 'Touched' }));
    expectStatus(response, 200, 204);
    order.push(a0.id);
    modified = order;

    const filter = `meta.lastModified gt "${watermark}"`;
    const { pages, resources } = await pullAll(filter, 2);
    assert.equal(pages.length, 3);
    for (const page of pages) assert.equal(page.totalResults, modified.length);
    assert.deepEqual(ids(resources), modified, 'exactly the changed users, in the order they changed');
    assertSortedByLastModified(resources);
    const b0Resource = resources.find((resource) => resource['id'] === b0.id);
    assert.equal(b0Resource?.['active'], false, 'the deactivation is visible to the delta pull');
    assert.equal((await storedUser(t, b0.id))?.attributes['active'], false);

    // The next round starts from the new watermark and finds nothing.
    const next = resources.at(-1)!['meta']['lastModified'];
    const empty = listOf(await client.get(`/Users${qs({ filter: `meta.lastModified gt "${next}"`, sortBy: 'meta.lastModified', startIndex: 1, count: 2 })}`));
    assert.equal(empty.totalResults, 0);
  });

  it('a no-op PATCH does not move meta.lastModified, so it never reappears in a delta', async () => {
    const target = batches.A[1]!.id;
    const before = (await storedUser(t, target))?.lastModified.toISOString();
    const response = await client.patch(`/Users/${target}`, patchOp({ op: 'replace', path: 'displayName', value: 'Renamed' }));
    expectStatus(response, 200, 204);
    assert.equal((await storedUser(t, target))?.lastModified.toISOString(), before);
  });

  it('POST /Users/.search with the same filter gives the same users', async () => {
    const response = await client.post('/Users/.search', {
      schemas: [SEARCH_REQUEST],
      filter: `meta.lastModified gt "${watermark}"`,
      sortBy: 'meta.lastModified',
      sortOrder: 'ascending',
      startIndex: 1,
      count: 100,
    });
    const body = listOf(response);
    assert.equal(body.totalResults, modified.length);
    assert.deepEqual(ids(body.Resources), modified);

    const windowed = listOf(
      await client.post('/Users/.search', {
        schemas: [SEARCH_REQUEST],
        filter: `active eq true and (meta.lastModified ge "${t1}" and meta.lastModified le "${t2}")`,
        startIndex: 0,
        count: 100,
      }),
    );
    assert.equal(windowed.startIndex, 1);
    // b0 was deactivated and b4 modified after t2: they left the window.
    const stillInWindow = activeIds('B').filter((id) => id !== batches.B[0]!.id && id !== batches.B[4]!.id);
    assert.deepEqual(sortedIds(ids(windowed.Resources)), sortedIds(stillInWindow));
  });

  it('/Me is 501 with a SCIM Error body', async () => {
    assertScimError(await client.get('/Me'), 501);
  });
});
