import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import supertest from 'supertest';
import { MAX_JSON_DEPTH } from '../../src/scim/limits.js';
import { assertScimError, startTestApp, TEST_TOKEN, user, type TestApp } from '../support/app.js';
import { bulk, patchOp, search } from '../security/helpers.js';

type Entry = Record<string, unknown>;

/** `[[…[value]…]]`: `depth` levels of arrays around a value. */
function nested(depth: number, value: unknown = 'x'): unknown {
  let result: unknown = value;
  for (let level = 0; level < depth; level += 1) result = [result];
  return result;
}

/**
 * Every malformed input is a 4xx SCIM error (RFC 7644 §3.12 body, the right status and scimType),
 * stores nothing, and is logged as one request line without a stack trace (a stack is logged for
 * the server's own failures only).
 */
describe('malformed input: a 4xx SCIM error, nothing stored, no stack in the log', function () {
  this.timeout(60_000);
  let t: TestApp;
  let agent: supertest.Agent;
  let userId: string;
  const entries: Entry[] = [];

  before(async () => {
    t = await startTestApp('http-malformed-input', {}, { log: (entry) => entries.push(entry) });
    agent = supertest.agent(t.app).set('Authorization', `Bearer ${TEST_TOKEN}`);
    userId = String((await t.scim.post('/Users').send(user('malformed-existing@example.com', { title: 'before' }))).body.id);
  });
  after(() => t.close());

  async function storedUsers(): Promise<{ total: number; existing: unknown }> {
    const { total } = await t.storage.users.list(t.config.defaultTenant, { descending: false, startIndex: 1, count: 0 });
    return { total, existing: await t.storage.users.get(t.config.defaultTenant, userId) };
  }

  /** Sends, then checks the answer, that nothing changed, and that the request's log line carries no stack. */
  async function refused(send: () => supertest.Test, status: number, scimType: string | undefined, detail: RegExp): Promise<supertest.Response> {
    const before = await storedUsers();
    entries.length = 0;
    const response = await send();
    assertScimError(response, status, scimType);
    if (scimType === undefined) assert.equal(response.body.scimType, undefined);
    assert.match(response.body.detail, detail);
    const lines = entries.filter((entry) => entry['msg'] === 'request');
    assert.equal(lines.length, 1, JSON.stringify(entries));
    assert.equal(lines[0]?.['status'], status);
    assert.ok(!entries.some((entry) => entry['level'] === 'error'), `an error was logged: ${JSON.stringify(entries)}`);
    assert.doesNotMatch(JSON.stringify(entries), /\\n\s+at /, 'no stack trace in the log');
    assert.deepEqual(await storedUsers(), before, 'nothing was stored');
    return response;
  }

  describe(`JSON nested deeper than ${MAX_JSON_DEPTH} levels: 400 invalidSyntax`, () => {
    const deep = nested(MAX_JSON_DEPTH);
    const cases: [string, () => supertest.Test][] = [
      ['POST /Users', () => agent.post('/scim/v2/Users').send(user('deep@example.com', { title: deep }))],
      ['PUT /Users/{id}', () => agent.put(`/scim/v2/Users/${userId}`).send(user('malformed-existing@example.com', { title: deep }))],
      ['PATCH /Users/{id}', () => agent.patch(`/scim/v2/Users/${userId}`).send(patchOp({ op: 'replace', path: 'title', value: deep }))],
      ['POST /Bulk', () => agent.post('/scim/v2/Bulk').send(bulk({ method: 'POST', path: '/Users', bulkId: 'd', data: user('deep-bulk@example.com', { title: deep }) }))],
      ['POST /Bulk, 100,000 levels', () => agent.post('/scim/v2/Bulk').set('Content-Type', 'application/scim+json').send(JSON.stringify(bulk({ method: 'POST', path: '/Users', bulkId: 'd', data: user('deeper-bulk@example.com', { title: 'DEEP' }) })).replace('"DEEP"', `${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`))],
      ['POST /Users/.search', () => agent.post('/scim/v2/Users/.search').send(search({ filter: deep }))],
    ];
    for (const [name, send] of cases) {
      it(name, async () => {
        await refused(send, 400, 'invalidSyntax', new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`));
      });
    }

    it(`accepts ${MAX_JSON_DEPTH} levels (the body's own object is the first)`, async () => {
      const response = await agent.post('/scim/v2/Users/.search').send(search({ excludedAttributes: nested(MAX_JSON_DEPTH - 1, 'emails') }));
      assert.notEqual(response.body.detail?.includes('deeper than'), true, JSON.stringify(response.body));
    });
  });

  describe('Content-Encoding', () => {
    /** Sends bytes as they are (superagent would serialise a Buffer as JSON under a JSON content type). */
    const encoded = (coding: string, bytes: Buffer) => agent.post('/scim/v2/Users').set('Content-Type', 'application/scim+json').set('Content-Encoding', coding).serialize((data) => data).send(bytes);
    const body = JSON.stringify(user('encoded@example.com'));
    const encoders: [string, (data: Buffer) => Buffer][] = [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ];
    for (const [coding, encode] of encoders) {
      it(`${coding}: the body is inflated and stored`, async () => {
        const userName = `encoded-${coding}@example.com`;
        const response = await encoded(coding, encode(Buffer.from(JSON.stringify(user(userName)))));
        assert.equal(response.status, 201, JSON.stringify(response.body));
        assert.equal(response.body.userName, userName);
      });
    }

    for (const coding of ['compress', 'zstd', 'x-gzip', 'gzip, br', 'identity;q=0', 'ungzip']) {
      it(`"${coding}" → 415 naming the accepted codings`, async () => {
        const response = await refused(
          () => encoded(coding, Buffer.from(body)),
          415,
          undefined,
          /Content-Encoding identity, gzip, deflate, br only/,
        );
        assert.equal(response.headers['accept-encoding'], 'gzip, deflate, br');
      });
    }

    const undecodable: [string, Buffer][] = [
      ['gzip', Buffer.from(body)],
      ['deflate', gzipSync(Buffer.from(body)).subarray(0, 20)],
      ['br', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ];
    for (const [coding, bytes] of undecodable) {
      it(`a body that does not decode as ${coding} → 400 invalidSyntax`, async () => {
        await refused(() => encoded(coding, bytes), 400, 'invalidSyntax', /could not be read/);
      });
    }

    it('a small gzip body that inflates past the body limit → 413', async () => {
      const bomb = gzipSync(Buffer.from(JSON.stringify(user('bomb@example.com', { title: ' '.repeat(4 * 1024 * 1024) }))));
      assert.ok(bomb.length < 16 * 1024);
      await refused(() => encoded('gzip', bomb), 413, undefined, /exceeds the limit of 1048576 bytes/);
    });
  });

  describe('broken percent-encoding in the path: 400', () => {
    const paths: [string, string][] = [
      ['GET', '/scim/v2/Users/%E0%A4%A'],
      ['PUT', '/scim/v2/Users/%E0%A4%A'],
      ['PATCH', '/scim/v2/Groups/%'],
      ['DELETE', '/scim/v2/Users/%ZZ'],
      ['GET', '/scim/v2/Users/%C0%AF'],
      ['GET', '/scim/v2/%FF'],
      ['GET', '/admin/tokens/%E0%A4%A'],
    ];
    for (const [method, path] of paths) {
      it(`${method} ${path}`, async () => {
        const send = () => agent[method.toLowerCase() as 'get' | 'put' | 'patch' | 'delete'](path).set('Content-Type', 'application/scim+json').send(method === 'GET' || method === 'DELETE' ? undefined : user('pct@example.com'));
        await refused(send, 400, undefined, /not validly percent-encoded/);
      });
    }
  });
});
