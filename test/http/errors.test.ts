import { strict as assert } from 'node:assert';
import supertest from 'supertest';
import { assertScimError, startTestApp, TEST_TOKEN, user, type TestApp } from '../support/app.js';

describe('Errors (RFC 7644 §3.12)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('http_errors');
  });
  after(async () => {
    await t.close();
  });

  describe('unknown endpoints and methods', () => {
    for (const path of ['/Nope', '/Users/abc/extra', '/Schemas/urn:nope', '/ResourceTypes/Device']) {
      it(`answers 404 with a SCIM error for ${path}`, async () => {
        assertScimError(await t.scim.get(path), 404);
      });
    }

    it('answers 404 with a SCIM error outside the SCIM base path', async () => {
      assertScimError(await supertest(t.app).get('/elsewhere'), 404);
    });

    it('answers 405 with an Allow header for DELETE on a collection', async () => {
      const response = await t.scim.delete('/Users');
      assertScimError(response, 405);
      assert.equal(response.headers['allow'], 'GET, POST');
    });

    for (const path of ['/Me']) {
      it(`answers 501 for ${path}, which is not offered`, async () => {
        assertScimError(await t.scim.get(path), 501);
      });
    }

  });

  describe('request bodies', () => {
    it('answers 400 invalidSyntax for malformed JSON and stores nothing', async () => {
      const response = await t.scim.post('/Users').set('Content-Type', 'application/scim+json').send('{"userName": "x",');
      assertScimError(response, 400, 'invalidSyntax');
      assert.equal((await t.scim.get('/Users?filter=userName eq "x"')).body.totalResults, 0);
    });

    it('answers 415 for a body that is not JSON', async () => {
      const response = await t.scim.post('/Users').set('Content-Type', 'text/plain').send('userName=x');
      assertScimError(response, 415);
    });

    it('answers 413 for a body over the advertised limit', async () => {
      const huge = user('huge', { nickName: 'x'.repeat(1024 * 1024 + 10) });
      assertScimError(await t.scim.post('/Users').send(huge), 413);
    });

    it('accepts application/json as Okta sends it', async () => {
      const response = await t.scim.post('/Users').set('Content-Type', 'application/json').send(JSON.stringify(user('okta-json')));
      assert.equal(response.status, 201);
    });
  });

  describe('authentication', () => {
    const agent = () => supertest(t.app);
    const cases: [string, Record<string, string>][] = [
      ['no Authorization header', {}],
      ['a wrong token', { Authorization: 'Bearer not-the-token-at-all' }],
      ['a Basic credential', { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
      ['an empty bearer', { Authorization: 'Bearer ' }],
      ['the token with a suffix', { Authorization: `Bearer ${TEST_TOKEN}x` }],
    ];
    for (const [what, headers] of cases) {
      for (const path of ['/Users', '/Groups', '/ServiceProviderConfig', '/Schemas']) {
        it(`answers 401 with a SCIM error and WWW-Authenticate for ${what} on ${path}`, async () => {
          const response = await agent().get(`/scim/v2${path}`).set(headers);
          assertScimError(response, 401);
          assert.match(String(response.headers['www-authenticate']), /^Bearer realm="SCIM"/);
        });
      }
    }

    it('accepts the bearer scheme case-insensitively', async () => {
      assert.equal((await agent().get('/scim/v2/Users').set('Authorization', `bearer ${TEST_TOKEN}`)).status, 200);
    });

    it('leaves /healthz and /readyz open for probes', async () => {
      assert.equal((await agent().get('/healthz')).status, 200);
      assert.equal((await agent().get('/readyz')).status, 200);
    });
  });
});
