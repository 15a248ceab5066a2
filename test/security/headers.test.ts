import assert from 'node:assert/strict';
import supertest, { type Response } from 'supertest';
import { createApp } from '../../src/app.js';
import { assertScimError, examplePolicy, startTestApp, TEST_TOKEN, type TestApp } from '../support/app.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

function assertSecurityHeaders(response: Response, label: string): void {
  const h = response.headers;
  assert.equal(h['content-security-policy'], "default-src 'none';frame-ancestors 'none'", label);
  assert.equal(h['x-content-type-options'], 'nosniff', label);
  assert.equal(h['x-frame-options'], 'DENY', label);
  assert.equal(h['referrer-policy'], 'no-referrer', label);
  assert.equal(h['strict-transport-security'], 'max-age=31536000', label);
  assert.equal(h['cross-origin-resource-policy'], 'same-origin', label);
  assert.equal(h['x-powered-by'], undefined, label);
}

describe('security headers on every response, errors included', () => {
  let t: TestApp;
  let agent: ReturnType<typeof supertest>;

  before(async () => {
    t = await startTestApp('security-headers', { ADMIN_TOKEN });
    agent = supertest(t.app);
  });
  after(() => t.close());

  const requests: [string, () => supertest.Test, number][] = [
    ['a SCIM list', () => t.scim.get('/Users'), 200],
    ['discovery', () => t.scim.get('/ServiceProviderConfig'), 200],
    ['/healthz', () => agent.get('/healthz'), 200],
    ['/readyz', () => agent.get('/readyz'), 200],
    ['the admin API', () => agent.get('/admin/audit').set('Authorization', `Bearer ${ADMIN_TOKEN}`), 200],
    ['a 401', () => agent.get('/scim/v2/Users'), 401],
    ['an admin 401', () => agent.get('/admin/audit'), 401],
    ['a 404 resource', () => t.scim.get('/Users/nope'), 404],
    ['a 404 endpoint', () => agent.get('/nowhere'), 404],
    ['a 400', () => t.scim.get('/Users?filter=((('), 400],
  ];
  for (const [what, request, status] of requests) {
    it(`${what} (${status})`, async () => {
      const response = await request();
      assert.equal(response.status, status, JSON.stringify(response.body));
      assertSecurityHeaders(response, what);
    });
  }

  it('a 500 carries them too, and no internals', async () => {
    const entries: Record<string, unknown>[] = [];
    const app = createApp({
      config: t.config,
      storage: t.storage,
      authenticator: () => Promise.reject(new Error('secret internal detail at db.example:27017')),
      policy: examplePolicy(),
      log: (entry) => entries.push(entry),
    });
    const response = await supertest(app).get('/scim/v2/Users').set('Authorization', `Bearer ${TEST_TOKEN}`);
    assertScimError(response, 500);
    assertSecurityHeaders(response, '500');
    assert.doesNotMatch(JSON.stringify(response.body), /secret|27017|Error:|at /);
    const failure = entries.find((entry) => entry['msg'] === 'request failed');
    assert.match(String(failure?.['error']), /secret internal detail[\s\S]*\n\s+at /, 'the stack goes to the log');
    assert.equal(failure?.['requestId'], response.headers['x-request-id']);
  });
});
