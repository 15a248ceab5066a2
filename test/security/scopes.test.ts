import assert from 'node:assert/strict';
import supertest from 'supertest';
import { MongoClient } from 'mongodb';
import { ensureBootstrapToken } from '../../src/auth/authenticator.js';
import { revokeToken } from '../../src/auth/token-admin.js';
import { tokenHash } from '../../src/auth/tokens.js';
import { testDatabaseUri } from '../support/engine.js';
import { assertScimError, startTestApp, TEST_TOKEN, user, type TestApp } from '../support/app.js';
import { bulk, CLI_ACTOR, clientFor, issueToken, patchOp, search, type Json, type TokenClient } from './helpers.js';

const ADMIN_TOKEN = 'admin-token-for-scope-tests-0123456';
const DISCOVERY = ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes', '/ResourceTypes/User', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User'];

function assertInsufficientScope(response: supertest.Response, scope: string): void {
  assertScimError(response, 403);
  assert.equal((response.body as Json)['scimType'], undefined);
  assert.equal(response.headers['www-authenticate'], `Bearer realm="SCIM", error="insufficient_scope", scope="${scope}"`);
}

function assertInvalidToken(response: supertest.Response): void {
  assertScimError(response, 401);
  assert.equal(response.headers['www-authenticate'], 'Bearer realm="SCIM", error="invalid_token"');
}

describe('authorisation: scopes (RFC 6750 §3.1, RFC 7644 §3.12)', () => {
  let t: TestApp;
  let reader: TokenClient;
  let auditor: TokenClient;
  let userId: string;
  let groupId: string;

  before(async () => {
    t = await startTestApp('security-scopes', { ADMIN_TOKEN });
    const store = t.storage.credentials;
    reader = clientFor(t.app, await issueToken(store, 'default', 'pulling-app', ['scim:read']));
    auditor = clientFor(t.app, await issueToken(store, 'default', 'auditor', ['audit:read']));
    const created = await t.scim.post('/Users').send(user('scoped@example.com'));
    assert.equal(created.status, 201);
    userId = String(created.body.id);
    const group = await t.scim.post('/Groups').send({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Scoped' });
    groupId = String(group.body.id);
  });

  after(() => t.close());

  // Every credential kind against every endpoint: scope-matrix.test.ts. Here: how paths are matched.
  describe('the needed scope is decided from method and path', () => {
    it('at any case or trailing slash: scim:read reads and searches, and cannot write (403 naming scim:write, nothing changes)', async () => {
      for (const request of [() => reader.get('/USERS/'), () => reader.get(`/users/${userId}`), () => reader.post('/users/.SEARCH/', search()), () => reader.post('/.Search', search())]) {
        const response = await request();
        assert.equal(response.status, 200, JSON.stringify(response.body));
      }
      const before = await t.storage.users.get('default', userId);
      const attempts = [
        () => reader.post('/USERS/', user('new@example.com')),
        () => reader.put(`/users/${userId}/`, user('scoped@example.com', { title: 'Changed' })),
        () => reader.patch(`/Users/${userId}/`, patchOp({ op: 'replace', path: 'title', value: 'Changed' })),
        () => reader.delete(`/GROUPS/${groupId}`),
        () => reader.post('/bulk/', bulk({ method: 'DELETE', path: `/Users/${userId}` })),
      ];
      for (const attempt of attempts) assertInsufficientScope(await attempt(), 'scim:write');
      assert.deepEqual(await t.storage.users.get('default', userId), before);
      assert.equal((await t.storage.users.list('default', { descending: false, startIndex: 1, count: 0 })).total, 1);
      assert.deepEqual(await t.storage.memberships.membersOf('default', groupId), []);
    });

    it('discovery at any depth needs a valid token of any scope', async () => {
      for (const client of [reader, auditor, clientFor(t.app, ADMIN_TOKEN)]) {
        for (const path of DISCOVERY) assert.equal((await client.get(path)).status, 200, path);
      }
      for (const path of DISCOVERY) assertScimError(await supertest(t.app).get(`/scim/v2${path}`), 401);
    });
  });

  describe('static, bootstrap and pre-scope credentials', () => {
    it('SCIM_BEARER_TOKEN, the bootstrap token and a credential stored before scopes get scim:read and scim:write, nothing else', async () => {
      const bootstrap = await ensureBootstrapToken(t.storage.credentials, 'default');
      assert.ok(bootstrap);
      const legacy = 'scim_legacy-token-stored-before-scopes-existed-000000';
      const client = new MongoClient(testDatabaseUri(t.dbName!));
      try {
        await client.db().collection<{ _id: string; tenant: string; name: string; createdAt: Date }>('credentials').insertOne({ _id: tokenHash(legacy), tenant: 'default', name: 'legacy', createdAt: new Date() });
      } finally {
        await client.close();
      }
      for (const token of [TEST_TOKEN, bootstrap, legacy]) {
        const connector = clientFor(t.app, token);
        assert.equal((await connector.get('/Users')).status, 200);
        const created = await connector.post('/Users', user(`connector-${token.slice(-6)}@example.com`));
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal((await connector.delete(`/Users/${String(created.body.id)}`)).status, 204);
        assertInsufficientScope(await clientFor(t.app, token, '').get('/admin/audit'), 'audit:read');
        assertInsufficientScope(await clientFor(t.app, token, '').get('/admin/tokens'), 'tokens:manage');
      }
    });
  });

  describe('invalid credentials', () => {
    it('a missing token: 401 with a bare challenge (RFC 6750 §3.1: no error code)', async () => {
      const response = await supertest(t.app).get('/scim/v2/Users');
      assertScimError(response, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="SCIM"');
    });

    it('an unknown, expired or revoked token: 401 invalid_token, on SCIM and admin routes alike', async () => {
      const store = t.storage.credentials;
      const expired = await issueToken(store, 'default', 'expired', ['scim:read', 'audit:read'], { lifetimeMs: 1_000, now: new Date(Date.now() - 60_000) });
      const revoked = await issueToken(store, 'default', 'revoked', ['scim:read', 'audit:read']);
      assert.equal((await clientFor(t.app, revoked).get('/Users')).status, 200);
      await revokeToken(store, 'default', 'revoked', CLI_ACTOR);
      for (const token of ['scim_unknown', expired, revoked]) {
        assertInvalidToken(await clientFor(t.app, token).get('/Users'));
        assertInvalidToken(await clientFor(t.app, token).get('/ServiceProviderConfig'));
        assertInvalidToken(await clientFor(t.app, token, '').get('/admin/audit'));
      }
    });

    it('a token expiring later works until then', async () => {
      const soon = await issueToken(t.storage.credentials, 'default', 'soon', ['scim:read'], { lifetimeMs: 3_600_000 });
      assert.equal((await clientFor(t.app, soon).get('/Users')).status, 200);
    });
  });
});
