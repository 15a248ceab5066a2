import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type supertest from 'supertest';
import type { NewResource } from '../../src/store/contract.js';
import { assertScimError, startTestApp, USER_SCHEMA, type TestApp } from '../support/app.js';
import { clientFor, issueToken, search, type TokenClient } from './helpers.js';

/** The issue's example (2.6 KB): 60 value paths, each of whose conditions must hold for one element. */
const SIXTY_PATHS = Array.from({ length: 60 }, (_, i) => `emails[type eq "work" and value co "${i}"]`).join(' or ');
const USERS = 2_000;
const SEED_BATCH = 500;

/** Every fourth user's work address carries digits; every user's home address does (so only correlation tells them apart). */
function seededUser(n: number): { userName: string; workHasDigits: boolean; attributes: Record<string, unknown> } {
  const workHasDigits = n % 4 === 0;
  const letters = n.toString(26).replace(/[0-9]/g, (digit) => 'qrstuvwxyz'[Number(digit)] as string);
  const userName = `bounds-${n}@example.com`;
  const work = workHasDigits ? `w${n}@example.com` : `w-${letters}@example.com`;
  return { userName, workHasDigits, attributes: { schemas: [USER_SCHEMA], userName, active: true, emails: [{ type: 'work', value: work }, { type: 'home', value: `h${n}@home.example` }] } };
}

/** Seeds through the store's batched creates (one insert per collection per batch), as Bulk and the import do. */
async function seed(t: TestApp): Promise<string[]> {
  const ids: string[] = [];
  for (let from = 0; from < USERS; from += SEED_BATCH) {
    const batch: NewResource[] = Array.from({ length: SEED_BATCH }, (_, i) => ({ tenant: t.config.defaultTenant, id: randomUUID(), attributes: seededUser(from + i).attributes }));
    const created = await t.storage.users.createMany(batch);
    assert.ok(created.every((outcome) => !(outcome instanceof Error)));
    ids.push(...batch.map((resource) => resource.id));
  }
  return ids;
}

const sixtyPaths = (client: TokenClient) => client.get(`/Users?filter=${encodeURIComponent(SIXTY_PATHS)}&count=10&attributes=userName`);

/** Runs `probe` until it answers 200 while `pending` is still unanswered; fails if `pending` is answered first. */
async function whilePending(pending: Promise<supertest.Response>, probe: () => Promise<supertest.Response>): Promise<supertest.Response> {
  let answered = false;
  void pending.then(() => (answered = true));
  for (;;) {
    const response = await probe();
    if (response.status === 200 && !answered) return response;
    assert.ok(!answered, 'the slow request was answered before the probe was');
    await delay(20);
  }
}

/**
 * Sends `slow` and returns it once it holds the credential's only expensive-query slot, proven by a
 * refusal (503) of `probe`, an expensive query of the same credential. `slow` is sent first, but the two
 * still race to the slot: when the probe got there first, `slow` is the one refused, and it is sent again. Fails if `slow`
 * runs to its end while no probe was ever refused.
 */
async function holdingTheSlot(slow: () => Promise<supertest.Response>, probe: () => Promise<supertest.Response>): Promise<{ first: Promise<supertest.Response>; refused: supertest.Response }> {
  for (let attempt = 1; ; attempt += 1) {
    const first = slow();
    let answered = false;
    void first.then(() => (answered = true));
    // The slow request parses 60 value paths before it asks for the slot: give it a head start, longer each retry.
    await delay(100 * attempt);
    for (;;) {
      const response = await probe();
      if (response.status === 503) return { first, refused: response };
      if (answered) break;
      await delay(20);
    }
    assert.equal((await first).status, 503, 'the slow request was answered 200 before any probe was refused');
    assert.ok(attempt < 5, 'the probe took the slot first five times running');
  }
}

describe('request bounds: one request cannot occupy the server', function () {
  this.timeout(180_000);

  describe(`the issue's filter of 60 correlated value paths at ${USERS.toLocaleString('en-US')} users, default limits`, () => {
    let t: TestApp;
    let client: TokenClient;
    before(async () => {
      t = await startTestApp('request-bounds-default');
      await seed(t);
      client = clientFor(t.app, await issueToken(t.storage.credentials, t.config.defaultTenant, 'puller', ['scim:read']));
    });
    after(() => t.close());

    it('is answered from one read of the candidates: every user whose work address (not home address) matches', async () => {
      const response = await sixtyPaths(client);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const expected = Array.from({ length: USERS }, (_, n) => seededUser(n)).filter((seeded) => seeded.workHasDigits).length;
      assert.equal(response.body.totalResults, expected);
      assert.equal(response.body.Resources.length, 10);
    });
  });

  describe('over the candidate budget: 400 tooMany for the whole request, not per value path', () => {
    let t: TestApp;
    let ids: string[];
    before(async () => {
      t = await startTestApp('request-bounds-candidates', { MAX_FILTER_CANDIDATES: '1000' });
      ids = await seed(t);
    });
    after(() => t.close());

    const broad: [string, (client: TestApp['scim']) => supertest.Test][] = [
      ['GET with 60 value paths', (scim) => scim.get(`/Users?filter=${encodeURIComponent(SIXTY_PATHS)}`)],
      ['POST /Users/.search with one broad value path', (scim) => scim.post('/Users/.search').send(search({ filter: 'emails[type eq "home" and value ew ".example"]' }))],
      ['POST /.search', (scim) => scim.post('/.search').send(search({ filter: 'emails[type eq "work" and value co "@"]' }))],
    ];
    for (const [name, send] of broad) {
      it(`${name} → 400 tooMany with a SCIM error body`, async () => {
        const response = await send(t.scim);
        assertScimError(response, 400, 'tooMany');
        assert.match(response.body.detail, /more than 1000 resources checked one by one; narrow it/);
      });
    }

    it('counts the candidates of all value paths together: 5 paths of 200 users fit in 1,000, 6 do not', async () => {
      // Home addresses are h<n>@home.example: each path selects the 200 users whose number ends in its digit.
      const paths = (digits: number) => Array.from({ length: digits }, (_, digit) => `emails[type eq "home" and value co "${digit}@"]`).join(' or ');
      const five = await t.scim.get(`/Users?filter=${encodeURIComponent(paths(5))}&count=1`);
      assert.equal(five.status, 200, JSON.stringify(five.body));
      assert.equal(five.body.totalResults, 1000);
      assertScimError(await t.scim.get(`/Users?filter=${encodeURIComponent(paths(6))}&count=1`), 400, 'tooMany');
    });

    it('narrowed by userName, the same value path reads only that candidate', async () => {
      const filter = `userName eq "bounds-4@example.com" and (${SIXTY_PATHS})`;
      const response = await t.scim.get(`/Users?filter=${encodeURIComponent(filter)}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(response.body.Resources.map((resource: { id: string }) => resource.id), [ids[4]]);
    });
  });

  describe('past the deadline: 503 with Retry-After', () => {
    let t: TestApp;
    const entries: Record<string, unknown>[] = [];
    before(async function () {
      // MongoDB reads 2,000 users within any deadline worth setting; the embedded engine scans them for seconds.
      if (process.env.MONGODB_URI) this.skip();
      t = await startTestApp('request-bounds-deadline', { REQUEST_TIMEOUT_MS: '300' }, { log: (entry) => entries.push(entry) });
      await seed(t);
    });
    after(() => t?.close());

    const slow: [string, (scim: TestApp['scim']) => supertest.Test][] = [
      ['60 correlated value paths', (scim) => scim.get(`/Users?filter=${encodeURIComponent(SIXTY_PATHS)}`)],
      ['a substring filter sorted by an unindexed attribute', (scim) => scim.get(`/Users?filter=${encodeURIComponent('emails.value co "example"')}&sortBy=title`)],
    ];
    for (const [name, send] of slow) {
      it(`${name} → 503 deadline error with Retry-After`, async () => {
        const response = await send(t.scim);
        assertScimError(response, 503);
        assert.equal(response.headers['retry-after'], '5');
        assert.match(response.body.detail, /did not finish within 0\.3 s; narrow the filter or retry later/);
        const refused = entries.filter((entry) => entry['requestId'] === response.headers['x-request-id'] && entry['msg'] !== 'request');
        assert.deepEqual(refused.map((entry) => [entry['msg'], entry['code']]), [['request refused', 'deadlineExceeded']], 'logged as a refusal, without a stack');
      });
    }
  });

  describe('expensive queries per credential (limit 1): the next one is 503, cheap ones and other credentials go on', () => {
    let t: TestApp;
    let ids: string[];
    let puller: TokenClient;
    let other: TokenClient;
    before(async function () {
      // The first request must outlast the probes: at 2,000 users only the embedded engine is that slow.
      if (process.env.MONGODB_URI) this.skip();
      t = await startTestApp('request-bounds-concurrency', { MAX_EXPENSIVE_QUERIES_PER_CREDENTIAL: '1' });
      ids = await seed(t);
      puller = clientFor(t.app, await issueToken(t.storage.credentials, t.config.defaultTenant, 'puller', ['scim:read']));
      other = clientFor(t.app, await issueToken(t.storage.credentials, t.config.defaultTenant, 'other-app', ['scim:read']));
    });
    after(() => t?.close());

    it('refuses a second expensive query of the credential with 503 + Retry-After while the first runs; the first completes', async () => {
      const { first, refused } = await holdingTheSlot(() => sixtyPaths(puller).then((response) => response), () => puller.get(`/Users?filter=${encodeURIComponent('title co "x"')}`));
      assertScimError(refused, 503);
      assert.equal(refused.headers['retry-after'], '5');
      assert.match(refused.body.detail, /already runs 1 expensive query, as many as it may at once; retry when one has finished/);
      assert.equal((await first).status, 200);
      const again = await puller.get(`/Users?filter=${encodeURIComponent('title co "x"')}`);
      assert.equal(again.status, 200, 'the slot is free once the first request has ended');
    });

    it('meanwhile answers GET /Users/{id} of another credential, and the same credential\'s cheap requests', async () => {
      const { first } = await holdingTheSlot(() => sixtyPaths(puller).then((response) => response), () => puller.get(`/Users?filter=${encodeURIComponent('emails.value co "x"')}`));
      const cheap: [TokenClient, string][] = [
        [other, `/Users/${ids[7]}`],
        [puller, `/Users/${ids[7]}`],
        [puller, '/Users?count=5'],
        [puller, `/Users?filter=${encodeURIComponent('userName eq "bounds-7@example.com"')}`],
        [puller, `/Users?filter=${encodeURIComponent('meta.lastModified gt "2000-01-01T00:00:00Z"')}&count=5`],
        [other, `/Users?filter=${encodeURIComponent('title co "x"')}`],
      ];
      for (const [client, path] of cheap) {
        const response = await whilePending(first, () => client.get(path));
        assert.equal(response.status, 200, path);
      }
      assert.equal((await first).status, 200);
    });
  });
});
