import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import type { AuditEntry } from '../../src/lifecycle/types.js';
import { AUDIT_CSV_COLUMNS } from '../../src/services/audit-trail.js';
import { assertScimError, startTestApp, type TestApp } from '../support/app.js';
import { issueToken } from '../security/helpers.js';

/**
 * GET /admin/audit: filters by resource, actor, operation, resourceType and [since, until), cursor
 * pages, NDJSON and CSV exports, one tenant's trail only. Every answer is compared with the same
 * selection made here in memory from the whole trail.
 */

const BASE = Date.parse('2026-03-01T00:00:00Z');
const MINUTE = 60_000;
const ACTORS = ['okta', 'entra', 'admin'];
const OPERATIONS = ['create', 'patch', 'delete', 'membership', 'revoke'];
const TYPES = ['User', 'Group', 'Token'];

/** Entry n of a tenant: three entries share each minute, and the fields vary independently. */
function entry(tenant: string, n: number): AuditEntry {
  return {
    id: `${tenant}-${String(n).padStart(5, '0')}`,
    at: new Date(BASE + Math.floor(n / 3) * MINUTE),
    tenant,
    actor: ACTORS[n % 3]!,
    requestId: `req-${n}`,
    operation: OPERATIONS[n % 5] as AuditEntry['operation'],
    resourceType: TYPES[Math.floor(n / 3) % 3] as AuditEntry['resourceType'],
    resourceId: `resource-${n % 7}`,
    before: n % 2 === 0 ? null : { userName: `user${n}@example.com`, active: true },
    after: { userName: `user${n}@example.com`, active: n % 4 !== 0, title: 'Says "hello", then, leaves' },
    grantsAdded: n % 6 === 0 ? [{ kind: 'role', name: 'sales-rep', source: 'policy', rules: ['sales-reps'] }] : [],
    grantsRevoked: [],
    events: n % 6 === 0 ? ['user.roles_changed'] : [],
  };
}

/** Values a spreadsheet would run as formulas, in every text column an export writes. */
const FORMULAS: AuditEntry[] = ['=HYPERLINK("http://evil.example")', '+SUM(1,2)', '-2+3', '@cmd', '\t=1'].map((text, index) => ({
  ...entry('default', 900 + index),
  actor: text,
  requestId: text,
  resourceId: text,
  operation: text as AuditEntry['operation'],
  resourceType: text as AuditEntry['resourceType'],
}));

interface Selection {
  resource?: string;
  actor?: string;
  operation?: string;
  resourceType?: string;
  since?: string;
  until?: string;
  order?: 'newest' | 'oldest';
}

/** What GET /admin/audit must answer, from the whole trail. */
function select(trail: readonly AuditEntry[], selection: Selection): string[] {
  const since = selection.since === undefined ? -Infinity : Date.parse(selection.since);
  const until = selection.until === undefined ? Infinity : Date.parse(selection.until);
  const matching = trail.filter(
    (candidate) =>
      (selection.resource === undefined || candidate.resourceId === selection.resource) &&
      (selection.actor === undefined || candidate.actor === selection.actor) &&
      (selection.operation === undefined || candidate.operation === selection.operation) &&
      (selection.resourceType === undefined || candidate.resourceType === selection.resourceType) &&
      candidate.at.getTime() >= since &&
      candidate.at.getTime() < until,
  );
  const sorted = matching.sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1));
  return (selection.order === 'newest' ? sorted.reverse() : sorted).map((candidate) => candidate.id);
}

const at = (minutes: number) => new Date(BASE + minutes * MINUTE).toISOString();
const query = (selection: Selection, extra: Record<string, string> = {}) => new URLSearchParams({ ...(selection as Record<string, string>), ...extra }).toString();
const ids = (body: { entries: { id: string }[] }) => body.entries.map((item) => item.id);

describe('admin API: audit trail queries and exports', () => {
  let t: TestApp;
  const tokens = { default: '', other: '', bulk: '' };
  /** Each tenant's whole trail, oldest first, as stored (the token changes of the set-up included). */
  const trails: Record<string, AuditEntry[]> = {};

  const get = (path: string, token = tokens.default) => supertest(t.app).get(path).set('Authorization', `Bearer ${token}`);

  async function walk(selection: Selection, limit: number, token = tokens.default): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await get(`/admin/audit?${query(selection, { limit: String(limit), ...(cursor ? { cursor } : {}) })}`, token);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.ok(response.body.count <= limit);
      seen.push(...ids(response.body));
      cursor = response.body.nextCursor as string | undefined;
      if (cursor) assert.equal(response.body.count, limit, 'only the last page is short');
    } while (cursor);
    return seen;
  }

  before(async () => {
    t = await startTestApp('admin-audit-trail');
    tokens.default = await issueToken(t.storage.credentials, 'default', 'auditor', ['audit:read']);
    tokens.other = await issueToken(t.storage.credentials, 'other', 'auditor', ['audit:read']);
    tokens.bulk = await issueToken(t.storage.credentials, 'bulk', 'auditor', ['audit:read']);
    const seeded = { default: 60, other: 60, bulk: 1234 };
    for (const [tenant, count] of Object.entries(seeded)) {
      const entries = Array.from({ length: count }, (_, n) => entry(tenant, n));
      for (let from = 0; from < entries.length; from += 500) await t.storage.audit.append(entries.slice(from, from + 500));
    }
    await t.storage.audit.append(FORMULAS);
    for (const tenant of Object.keys(seeded)) trails[tenant] = await t.storage.audit.query({ tenant, order: 'oldest', limit: 10_000 });
    assert.equal(trails['default']!.length, 60 + FORMULAS.length + 1, 'the seeded entries and the token creation');
    assert.ok(trails['default']!.some((stored) => stored.resourceType === 'Token' && stored.operation === 'create' && stored.actor === 'cli:tokens'));
  });

  after(async () => {
    await t.close();
  });

  describe('filters', () => {
    const alone: Selection[] = [
      {},
      { resource: 'resource-3' },
      { actor: 'entra' },
      { actor: 'cli:tokens' },
      { operation: 'delete' },
      { resourceType: 'Token' },
      { since: at(5) },
      { until: at(5) },
      { since: at(5), until: at(12) },
      { since: '2026-03-01', until: '2026-03-01T00:07:30Z' },
      { resource: 'resource-none' },
    ];

    it('each filter alone selects exactly the matching entries, oldest first', async () => {
      for (const selection of alone) {
        const response = await get(`/admin/audit?${query(selection, { limit: '1000' })}`);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.deepEqual(ids(response.body), select(trails['default']!, selection), JSON.stringify(selection));
        assert.equal(response.body.count, response.body.entries.length);
        assert.equal(response.body.tenant, 'default');
        assert.equal(response.body.nextCursor, undefined, 'everything fits one page');
      }
    });

    it('filters combine with AND: every pair of fields, each with a time range, and all at once', async () => {
      const values: Selection = { resource: 'resource-2', actor: 'okta', operation: 'patch', resourceType: 'User' };
      const fields = Object.keys(values) as (keyof Selection)[];
      const combinations: Selection[] = [values, { ...values, since: at(0), until: at(30) }];
      for (const [i, first] of fields.entries()) {
        for (const second of fields.slice(i + 1)) {
          combinations.push({ [first]: values[first], [second]: values[second] }, { [first]: values[first], [second]: values[second], since: at(3), until: at(15) });
        }
      }
      let nonEmpty = 0;
      for (const selection of combinations) {
        const expected = select(trails['default']!, selection);
        if (expected.length > 0) nonEmpty += 1;
        for (const order of ['newest', 'oldest'] as const) {
          const response = await get(`/admin/audit?${query({ ...selection, order }, { limit: '1000' })}`);
          assert.equal(response.status, 200, JSON.stringify(response.body));
          assert.deepEqual(ids(response.body), select(trails['default']!, { ...selection, order }), JSON.stringify({ ...selection, order }));
        }
      }
      assert.ok(nonEmpty >= combinations.length / 2, 'most combinations select something');
    });

    it('chronological by default, entries of one instant in the order of their ids; order=newest reverses it', async () => {
      const response = await get('/admin/audit?limit=1000');
      assert.deepEqual(ids(response.body), select(trails['default']!, { order: 'oldest' }));
      assert.deepEqual(ids((await get('/admin/audit?order=oldest&limit=1000')).body), ids(response.body));
      const newest = await get('/admin/audit?order=newest&limit=1000');
      assert.deepEqual(ids(newest.body), [...ids(response.body)].reverse());
    });

    it('an entry is answered as stored: every field, `at` as an ISO date-time', async () => {
      const response = await get(`/admin/audit?resource=resource-5&actor=okta&limit=1`);
      const stored = trails['default']!.find((candidate) => candidate.id === response.body.entries[0].id)!;
      assert.deepEqual(response.body.entries[0], JSON.parse(JSON.stringify(stored)));
    });

    it('resource, since and limit keep their meaning; a limit above 1,000 is capped', async () => {
      const since = at(10);
      const response = await get(`/admin/audit?resource=resource-1&since=${encodeURIComponent(since)}&limit=2`);
      assert.deepEqual(ids(response.body), select(trails['default']!, { resource: 'resource-1', since }).slice(0, 2));
      const capped = await get('/admin/audit?limit=999999', tokens.bulk);
      assert.equal(capped.status, 200);
      assert.equal(capped.body.count, 1000);
      assert.ok(capped.body.nextCursor);
    });
  });

  describe('cursor paging', () => {
    it('every entry exactly once across page boundaries, in order, whatever the page size', async () => {
      for (const selection of [{}, { actor: 'okta', order: 'newest' as const }, { since: at(2), until: at(17) }, { resourceType: 'Group', order: 'newest' as const }]) {
        for (const limit of [1, 2, 3, 7, 64]) {
          assert.deepEqual(await walk(selection, limit), select(trails['default']!, selection), `${JSON.stringify(selection)} by ${limit}`);
        }
      }
    });

    it('entries appended between pages never shift a walk: newest first they precede it, oldest first they end it', async () => {
      const before = select(trails['other']!, { order: 'newest' });
      const first = await get('/admin/audit?order=newest&limit=4', tokens.other);
      assert.deepEqual(ids(first.body), before.slice(0, 4));
      // Appended while the auditor reads: newer than everything (the token's creation included), and one at the instant of the page boundary.
      const boundary = trails['other']!.find((candidate) => candidate.id === before[3])!;
      const appended = [
        { ...entry('other', 5000), at: new Date('2099-01-01T00:00:00Z') },
        { ...entry('other', 5001), at: new Date('2099-01-01T00:00:00Z') },
        { ...entry('other', 5002), at: boundary.at, id: `${boundary.id}-later` },
      ];
      await t.storage.audit.append(appended);
      const rest: string[] = [];
      for (let cursor = first.body.nextCursor as string | undefined; cursor; ) {
        const page = await get(`/admin/audit?order=newest&limit=4&cursor=${cursor}`, tokens.other);
        rest.push(...ids(page.body));
        cursor = page.body.nextCursor;
      }
      const walked = [...ids(first.body), ...rest];
      assert.equal(new Set(walked).size, walked.length, 'no entry twice');
      assert.deepEqual(walked, before, 'newest first: the walk is the trail as it was when it began');

      trails['other'] = await t.storage.audit.query({ tenant: 'other', order: 'oldest', limit: 10_000 });
      const oldest = await get('/admin/audit?order=oldest&limit=10', tokens.other);
      await t.storage.audit.append([{ ...entry('other', 5003), at: new Date('2100-01-01T00:00:00Z') }]);
      const all = [...ids(oldest.body)];
      for (let cursor = oldest.body.nextCursor as string | undefined; cursor; ) {
        const page = await get(`/admin/audit?order=oldest&limit=10&cursor=${cursor}`, tokens.other);
        all.push(...ids(page.body));
        cursor = page.body.nextCursor;
      }
      assert.deepEqual(all, [...select(trails['other']!, { order: 'oldest' }), 'other-05003'], 'oldest first: the walk ends with what was appended');
      trails['other'] = await t.storage.audit.query({ tenant: 'other', order: 'oldest', limit: 10_000 });
    });

    it('a cursor belongs to its query: another filter, order or tenant, or an altered one, is 400 invalidCursor', async () => {
      const page = await get('/admin/audit?actor=okta&limit=2');
      const cursor = page.body.nextCursor as string;
      assert.ok(cursor && /^[A-Za-z0-9_.-]+$/.test(cursor), 'opaque and URL-safe');
      assert.equal((await get(`/admin/audit?actor=okta&limit=2&cursor=${cursor}`)).status, 200);
      // A signed cursor: the payload, then its HMAC. A forged payload keeps the genuine signature.
      const [text, signature] = cursor.split('.') as [string, string];
      const payload = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
      const forged = (change: Record<string, unknown>) => `${Buffer.from(JSON.stringify({ ...payload, ...change })).toString('base64url')}.${signature}`;
      for (const [label, path, token] of [
        ['another filter', `/admin/audit?actor=entra&cursor=${cursor}`, tokens.default],
        ['another order', `/admin/audit?actor=okta&order=newest&cursor=${cursor}`, tokens.default],
        ['another tenant', `/admin/audit?actor=okta&cursor=${cursor}`, tokens.other],
        ['a character changed', `/admin/audit?actor=okta&cursor=${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`, tokens.default],
        ['not base64url', `/admin/audit?actor=okta&cursor=${encodeURIComponent('{"q":1}')}`, tokens.default],
        ['a string for the instant', `/admin/audit?actor=okta&cursor=${forged({ v: { s: 'x' } })}`, tokens.default],
        ['a walk backwards', `/admin/audit?actor=okta&cursor=${forged({ d: 'b' })}`, tokens.default],
      ] as const) {
        const response = await get(path, token);
        assertScimError(response, 400, 'invalidCursor');
        assert.match(response.body.detail, /cursor/, label);
      }
    });
  });

  describe('tenant isolation', () => {
    it("another tenant's entries never appear, whatever the filters, order, page or format", async () => {
      const foreign = new Set([...trails['other']!, ...trails['bulk']!].map((candidate) => candidate.id));
      const selections: Selection[] = [{}, { resource: 'resource-3' }, { actor: 'okta' }, { operation: 'patch' }, { resourceType: 'User' }, { since: at(0), until: at(100) }, { order: 'newest' }];
      for (const selection of selections) {
        const walked = await walk(selection, 25);
        assert.ok(!walked.some((id) => foreign.has(id)), JSON.stringify(selection));
        assert.deepEqual(walked, select(trails['default']!, selection));
        const exported = await get(`/admin/audit?${query(selection, { format: 'ndjson' })}`);
        assert.ok(!exported.text.includes('"tenant":"other"') && !exported.text.includes('"tenant":"bulk"'));
      }
      const theirs = await walk({}, 50, tokens.other);
      assert.deepEqual(theirs, select(trails['other']!, {}), 'the other tenant sees its own trail only');
    });
  });

  describe('exports', () => {
    it('format=ndjson streams every selected entry as one JSON object per line, past many export batches', async () => {
      for (const [selection, token, tenant] of [
        [{}, tokens.bulk, 'bulk'],
        [{ order: 'newest' as const }, tokens.bulk, 'bulk'],
        [{ actor: 'entra', since: at(40), until: at(300) }, tokens.bulk, 'bulk'],
        [{ resource: 'resource-4' }, tokens.default, 'default'],
      ] as const) {
        const response = await get(`/admin/audit?${query(selection, { format: 'ndjson' })}`, token);
        assert.equal(response.status, 200);
        assert.match(String(response.headers['content-type']), /^application\/x-ndjson; charset=utf-8/);
        assert.ok(response.text.endsWith('\n'));
        const lines = response.text.split('\n').slice(0, -1);
        const parsed = lines.map((line) => JSON.parse(line) as AuditEntry);
        assert.deepEqual(
          parsed.map((item) => item.id),
          select(trails[tenant]!, selection),
          JSON.stringify(selection),
        );
        assert.ok(parsed.every((item) => item.tenant === tenant));
      }
      const all = await get('/admin/audit?format=ndjson', tokens.bulk);
      assert.equal(all.text.split('\n').length - 1, 1235, 'the 1,234 seeded entries and the token creation');
      const negotiated = await get('/admin/audit?resource=resource-4').set('Accept', 'application/x-ndjson');
      assert.match(String(negotiated.headers['content-type']), /^application\/x-ndjson/);
    });

    it('format=csv (or Accept: text/csv): a header, every cell quoted, formulas defused, one row per selected entry', async () => {
      for (const request of [get('/admin/audit?format=csv&order=oldest'), get('/admin/audit?order=oldest').set('Accept', 'text/csv')]) {
        const response = await request;
        assert.equal(response.status, 200);
        assert.match(String(response.headers['content-type']), /^text\/csv; charset=utf-8/);
        assert.match(String(response.headers['content-disposition']), /^attachment; filename="audit\.csv"$/);
        assert.match(response.text, /^("(?:[^"]|"")*"(?:,|\r\n))+$/, 'every cell quoted, CRLF line ends');
        const rows = parse(response.text) as string[][];
        assert.deepEqual(rows[0], AUDIT_CSV_COLUMNS);
        const expected = select(trails['default']!, { order: 'oldest' });
        assert.deepEqual(
          rows.slice(1).map((row) => row[1]),
          expected,
        );
        for (const row of rows.slice(1)) {
          const stored = trails['default']!.find((candidate) => candidate.id === row[1])!;
          assert.equal(row[0], stored.at.toISOString());
          assert.equal(row[7], stored.events.join(' '));
          assert.equal(row[8], stored.grantsAdded.map((grant) => `${grant.kind}:${grant.name}`).join(' '));
          assert.deepEqual(row[12] === '' ? null : JSON.parse(row[12]!), stored.after);
          assert.ok(row.every((cell) => !/^[=+\-@\t\r]/.test(cell)), `no cell starts a formula: ${JSON.stringify(row)}`);
        }
        const formula = rows.find((row) => row[1] === FORMULAS[0]!.id)!;
        assert.deepEqual(formula.slice(2, 7), Array(5).fill(`'=HYPERLINK("http://evil.example")`), 'actor, requestId, operation, type and resource defused');
      }
    });

    it('an export of nothing is a header (CSV) or no line (NDJSON)', async () => {
      const csv = await get('/admin/audit?format=csv&resource=nobody');
      assert.deepEqual(parse(csv.text), [AUDIT_CSV_COLUMNS]);
      const ndjson = await get('/admin/audit?format=ndjson&resource=nobody');
      assert.equal(ndjson.status, 200);
      assert.equal(ndjson.text, '');
    });
  });

  describe('bad parameters', () => {
    it('each is a 400 SCIM error naming the parameter', async () => {
      const bad: [string, string][] = [
        ['since=yesterday', 'since'],
        ['since=', 'since'],
        ['since=2026-02-30T00:00:00Z', 'since'],
        ['until=2026-13-01', 'until'],
        ['until=1700000000', 'until'],
        [`since=${at(10)}&until=${at(5)}`, 'until'],
        [`since=${at(5)}&until=${at(5)}`, 'until'],
        ['limit=0', 'limit'],
        ['limit=-1', 'limit'],
        ['limit=ten', 'limit'],
        ['limit=1.5', 'limit'],
        ['limit=', 'limit'],
        ['order=sideways', 'order'],
        ['order=', 'order'],
        ['format=xml', 'format'],
        ['resource=', 'resource'],
        [`resource=${'x'.repeat(300)}`, 'resource'],
        ['actor=', 'actor'],
        ['operation=', 'operation'],
        [`resourceType=${'T'.repeat(257)}`, 'resourceType'],
        ['actor=okta&actor=entra', 'actor'],
        ['resourceId=resource-1', 'resourceId'],
        ['filter=actor%20eq%20%22okta%22', 'filter'],
        ['format=csv&limit=10', 'limit'],
        ['format=ndjson&cursor=abc', 'cursor'],
        [`cursor=${'A'.repeat(5000)}`, 'cursor'],
      ];
      for (const [parameters, name] of bad) {
        const response = await get(`/admin/audit?${parameters}`);
        assertScimError(response, 400, 'invalidValue');
        assert.ok(String(response.body.detail).includes(`"${name}"`), `${parameters}: ${response.body.detail}`);
      }
    });
  });
});
