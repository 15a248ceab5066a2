import assert from 'node:assert/strict';
import supertest from 'supertest';
import { tokenHash } from '../../src/auth/tokens.js';
import { createRateLimiter } from '../../src/http/middleware/rate-limit.js';
import { assertScimError, startTestApp, TEST_TOKEN, type TestApp } from '../support/app.js';

const OTHER_TOKEN = 'rate-limit-other-token-0123456789';

describe('rate limit: a token bucket per credential (tenant + credential)', function () {
  this.timeout(30_000);

  describe('the bucket', () => {
    it('grants the burst, then refills at the configured rate and says how long to wait', () => {
      let now = 0;
      const take = createRateLimiter({ perSecond: 2, burst: 3 }, () => now);
      assert.deepEqual([take('k'), take('k'), take('k')], [0, 0, 0]);
      assert.equal(take('k'), 1);
      now += 500;
      assert.equal(take('k'), 0, 'half a second at 2/s refills one token');
      assert.equal(take('k'), 1);
      assert.equal(take('other'), 0, 'buckets are per key');
      now += 60_000;
      assert.deepEqual([take('k'), take('k'), take('k'), take('k')], [0, 0, 0, 1], 'refill never exceeds the burst');
    });

    it('rounds the wait up to whole seconds at slow rates', () => {
      const take = createRateLimiter({ perSecond: 0.1, burst: 1 }, () => 0);
      take('k');
      assert.equal(take('k'), 10);
    });
  });

  describe('over HTTP with a tiny limit', () => {
    let t: TestApp;
    let agent: ReturnType<typeof supertest>;

    before(async () => {
      t = await startTestApp('security-rate-limit', { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
      assert.ok(await t.storage.credentials.insertIfAbsent({ hash: tokenHash(OTHER_TOKEN), tenant: 'default', name: 'second', scopes: ['scim:read', 'scim:write'], createdAt: new Date() }));
      agent = supertest(t.app);
    });
    after(() => t.close());

    it('answers 429 with Retry-After and a SCIM error body once the burst is spent', async () => {
      for (let i = 0; i < 3; i += 1) assert.equal((await t.scim.get('/Users')).status, 200);
      const limited = await t.scim.post('/Users').send({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'limited@example.com' });
      assertScimError(limited, 429);
      assert.equal(limited.body.scimType, undefined);
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      assert.ok(limited.headers['x-request-id']);
    });

    it('limits each credential on its own, and never the health endpoints', async () => {
      assert.equal((await t.scim.get('/Users')).status, 429);
      assert.equal((await agent.get('/scim/v2/Users').set('Authorization', `Bearer ${OTHER_TOKEN}`)).status, 200);
      for (let i = 0; i < 10; i += 1) {
        assert.equal((await agent.get('/healthz')).status, 200);
        assert.equal((await agent.get('/readyz')).status, 200);
      }
    });

    it('does not count unauthenticated requests against a credential', async () => {
      for (let i = 0; i < 5; i += 1) assert.equal((await agent.get('/scim/v2/Users').set('Authorization', 'Bearer nobody-0123456789abcdef')).status, 401);
      assert.equal((await agent.get('/scim/v2/Users').set('Authorization', `Bearer ${OTHER_TOKEN}`)).status, 200);
    });

    it('lets the credential in again after Retry-After', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await agent.get('/scim/v2/Users').set('Authorization', `Bearer ${TEST_TOKEN}`)).status, 200);
    });
  });
});
