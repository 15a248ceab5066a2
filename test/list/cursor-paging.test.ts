import { strict as assert } from 'node:assert';
import { createCursorCodec, CURSOR_SECRET, queryFingerprint } from '../../src/scim/cursor.js';
import { assertScimError, LIST_SCHEMA, startTestApp, user, type TestApp } from '../support/app.js';

interface CursorPage {
  totalResults: number;
  itemsPerPage: number;
  startIndex?: number;
  nextCursor?: string;
  previousCursor?: string;
  Resources: { id: string; userName: string }[];
}

const BULK_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const NAMES = ['kim', 'Ann', 'lee', 'Bea', 'max', 'cal', 'Dot', 'eli', 'Fay', 'gus', 'hal', 'Ivy'];

describe('Cursor paging (RFC 9865)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('cursor_paging');
    for (const name of NAMES) await t.scim.post('/Users').send(user(name, { title: name < 'f' ? 'early' : 'late' }));
  });
  after(async () => {
    await t.close();
  });

  async function page(query: string): Promise<CursorPage> {
    const response = await t.scim.get(`/Users?${query}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body.schemas, [LIST_SCHEMA]);
    return response.body as CursorPage;
  }

  /** Creates users in one Bulk request; returns their ids. */
  async function bulkCreate(names: string[]): Promise<string[]> {
    const Operations = names.map((name) => ({ method: 'POST', path: '/Users', bulkId: name, data: user(name) }));
    const response = await t.scim.post('/Bulk').send({ schemas: [BULK_SCHEMA], Operations });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return (response.body.Operations as { status: string; location: string }[]).map((op) => {
      assert.equal(op.status, '201');
      return op.location.split('/').at(-1)!;
    });
  }

  async function walk(query: string, onPage: (current: CursorPage) => Promise<void> = async () => undefined): Promise<string[]> {
    const seen: string[] = [];
    let cursor = '';
    for (let pages = 0; pages < 50; pages += 1) {
      const current = await page(`${query}&cursor=${cursor}`);
      seen.push(...current.Resources.map((resource) => resource.userName));
      await onPage(current);
      if (!current.nextCursor) return seen;
      cursor = current.nextCursor;
    }
    throw new Error('the walk did not end');
  }

  describe('§2 query parameters and response attributes', () => {
    it('starts with an empty cursor: nextCursor, no previousCursor, no startIndex, exact totals', async () => {
      const first = await page('cursor&count=5');
      assert.equal(first.totalResults, NAMES.length);
      assert.equal(first.itemsPerPage, 5);
      assert.equal(first.startIndex, undefined);
      assert.equal(first.previousCursor, undefined);
      assert.match(String(first.nextCursor), /^[A-Za-z0-9._~-]+$/, 'only unreserved characters');
    });

    it('walks every resource exactly once and omits nextCursor on the last page', async () => {
      const seen = await walk('count=5');
      assert.deepEqual([...seen].sort(), [...NAMES].sort());
      assert.equal(new Set(seen).size, NAMES.length);
    });

    it('walks a filtered, sorted query in order', async () => {
      const seen = await walk('count=2&filter=title eq "late"&sortBy=userName&sortOrder=descending');
      const expected = NAMES.filter((name) => name >= 'f').sort((a, b) => b.toLowerCase().localeCompare(a.toLowerCase()));
      assert.deepEqual(seen, expected);
    });

    it('goes back a page with previousCursor', async () => {
      const first = await page('cursor=&count=4&sortBy=userName');
      const second = await page(`cursor=${first.nextCursor}&count=4&sortBy=userName`);
      assert.ok(second.previousCursor);
      const back = await page(`cursor=${second.previousCursor}&count=4&sortBy=userName`);
      assert.deepEqual(back.Resources.map((r) => r.id), first.Resources.map((r) => r.id));
      assert.equal(back.previousCursor, undefined, 'the first page has no previous page');
      assert.ok(back.nextCursor);
    });

    // Resources created by one Bulk request share created and lastModified, so these walks cross
    // ties on the sort value (broken by id) in both directions.
    for (const [order, query] of [
      ['default order (meta.created)', 'count=3'],
      ['meta.lastModified descending', 'count=3&sortBy=meta.lastModified&sortOrder=descending'],
      ['meta.lastModified ascending, filtered by it', 'count=3&sortBy=meta.lastModified&filter=meta.lastModified gt "2000-01-01T00:00:00Z"'],
    ]) {
      it(`pages forwards and back through ${order} with the same pages, ties included`, async () => {
        const ties = await bulkCreate(['tie1', 'tie2', 'tie3', 'tie4', 'tie5']);
        const forward: string[][] = [];
        let current = await page(`${query}&cursor=`);
        forward.push(current.Resources.map((r) => r.id));
        while (current.nextCursor) {
          current = await page(`${query}&cursor=${current.nextCursor}`);
          forward.push(current.Resources.map((r) => r.id));
        }
        const backward: string[][] = [forward.at(-1)!];
        while (current.previousCursor) {
          current = await page(`${query}&cursor=${current.previousCursor}`);
          backward.unshift(current.Resources.map((r) => r.id));
        }
        assert.deepEqual(backward, forward);
        assert.equal(new Set(forward.flat()).size, forward.flat().length, 'no resource twice');
        assert.equal(forward.flat().length, current.totalResults);
        for (const id of ties) assert.equal((await t.scim.delete(`/Users/${id}`)).status, 204);
      });
    }

    it('works through POST /Users/.search', async () => {
      const response = await t.scim.post('/Users/.search').send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], cursor: '', count: 3 });
      assert.equal(response.status, 200);
      assert.equal(response.body.itemsPerPage, 3);
      assert.ok(response.body.nextCursor);
    });
  });

  describe('stability', () => {
    it('neither skips nor repeats a resource when already-seen ones are deleted between pages', async () => {
      const extra = await Promise.all(['zz1', 'zz2', 'zz3', 'zz4', 'zz5', 'zz6', 'zz7', 'zz8'].map(async (name) => (await t.scim.post('/Users').send(user(name, { title: 'doomed' }))).body.id as string));
      const seen = await walk('count=2&filter=title eq "doomed"', async (current) => {
        const first = current.Resources[0];
        if (first) assert.equal((await t.scim.delete(`/Users/${first.id}`)).status, 204);
      });
      assert.deepEqual([...seen].sort(), ['zz1', 'zz2', 'zz3', 'zz4', 'zz5', 'zz6', 'zz7', 'zz8']);
      assert.equal(extra.length, 8);
    });
  });

  describe('§2.1 pagination errors', () => {
    const bad: [string, string, string][] = [
      ['garbage', 'cursor=not-a-cursor!!&count=5', 'invalidCursor'],
      ['a well-formed string that decodes to nothing', 'cursor=abc&count=5', 'invalidCursor'],
      ['count 0', 'cursor=&count=0', 'invalidCount'],
      ['count -1', 'cursor=&count=-1', 'invalidCount'],
      ['startIndex with cursor', 'cursor=&startIndex=2', 'invalidValue'],
    ];
    for (const [what, query, scimType] of bad) {
      it(`answers 400 ${scimType} for ${what}`, async () => {
        assertScimError(await t.scim.get(`/Users?${query}`), 400, scimType);
      });
    }

    it('refuses a cursor from another query', async () => {
      const first = await page('cursor=&count=2&filter=title eq "early"');
      assertScimError(await t.scim.get(`/Users?cursor=${first.nextCursor}&count=2&filter=title eq "late"`), 400, 'invalidCursor');
    });

    it('answers expiredCursor after cursorTimeout', async () => {
      const fingerprint = queryFingerprint(['User', undefined, undefined, false]);
      const cursors = createCursorCodec(await t.storage.secrets.get(CURSOR_SECRET));
      const old = cursors.encode(fingerprint, { sortValue: new Date(), id: 'x', direction: 'after' }, Date.now() - 3601_000);
      assertScimError(await t.scim.get(`/Users?cursor=${old}&count=2`), 400, 'expiredCursor');
    });

    it('refuses cursor paging at the root /.search', async () => {
      assertScimError(await t.scim.post('/.search').send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], cursor: '' }), 400, 'invalidValue');
    });
  });

  it('is advertised in /ServiceProviderConfig', async () => {
    const { pagination } = (await t.scim.get('/ServiceProviderConfig')).body;
    assert.deepEqual(pagination, { cursor: true, index: true, defaultPaginationMethod: 'index', defaultPageSize: 200, maxPageSize: 200, cursorTimeout: 3600 });
  });
});
