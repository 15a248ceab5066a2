import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import supertest from 'supertest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { runServerExpectingFailure } from '../server/server-process.js';
import { assertScimError, startTestApp, user, type TestApp } from '../support/app.js';
import { clientFor } from './helpers.js';

const ISSUER = 'https://login.example.test/11111111-2222-3333-4444-555555555555/v2.0';
const AUDIENCE = 'api://scim-server';
const ENTRA_TID = '11111111-2222-3333-4444-555555555555';
const TENANT = 'contoso';
const KID = 'key-1';

interface Keys {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function keyPair(kid: string, alg = 'RS256'): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** An Entra-style client-credentials access token; `claims` override or (undefined) drop defaults. */
async function token(keys: Keys, claims: Record<string, unknown> = {}, header: { alg?: string; kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iss: ISSUER, aud: AUDIENCE, tid: ENTRA_TID, azp: 'entra-provisioning', roles: ['scim:read', 'scim:write'], iat: now, nbf: now, exp: now + 600, ...claims };
  for (const [key, value] of Object.entries(payload)) if (value === undefined) delete payload[key];
  return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: header.alg ?? 'RS256', kid: header.kid ?? KID, typ: 'JWT' }).sign(keys.privateKey);
}

describe('authentication: OAuth 2.0 bearer JWTs against a JWKS (jose)', () => {
  let keys: Keys;
  let jwksServer: Server;
  let jwksUrl: string;
  let t: TestApp;

  before(async () => {
    keys = await keyPair(KID);
    jwksServer = createServer((req, res) => {
      if (req.url !== '/keys') return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [keys.jwk] }));
    }).listen(0, '127.0.0.1');
    await once(jwksServer, 'listening');
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/keys`;
    t = await startTestApp('security-jwt', {
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      JWT_JWKS_URL: jwksUrl,
      JWT_TENANT_MAP: JSON.stringify({ [ENTRA_TID]: TENANT }),
      JWT_CLOCK_TOLERANCE_SECONDS: '30',
    });
  });

  after(async () => {
    await t.close();
    jwksServer.close();
  });

  const invalid = async (jwt: string) => {
    const response = await clientFor(t.app, jwt).get('/Users');
    assertScimError(response, 401);
    assert.equal(response.headers['www-authenticate'], 'Bearer realm="SCIM", error="invalid_token"');
  };

  it('a valid token acts in the tenant its tid maps to, with the scopes of its roles', async () => {
    const client = clientFor(t.app, await token(keys));
    assert.equal((await client.get('/Users')).status, 200);
    const created = await client.post('/Users', user('jwt.user@example.com'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.ok(await t.storage.users.get(TENANT, String(created.body.id)), 'stored in the mapped tenant');
    assertScimError(await t.scim.get(`/Users/${String(created.body.id)}`), 404);
    const audit = await t.storage.audit.query({ tenant: TENANT, resourceId: String(created.body.id), limit: 10 });
    assert.equal(audit[0]?.actor, 'jwt:entra-provisioning');
  });

  it('scopes come from scp (space-separated) or roles; unknown values are ignored; too few → 403 insufficient_scope', async () => {
    const reader = clientFor(t.app, await token(keys, { roles: undefined, scp: 'openid scim:read' }));
    assert.equal((await reader.get('/Users')).status, 200);
    const refused = await reader.post('/Users', user('nope@example.com'));
    assertScimError(refused, 403);
    assert.equal(refused.headers['www-authenticate'], 'Bearer realm="SCIM", error="insufficient_scope", scope="scim:write"');
    const none = clientFor(t.app, await token(keys, { roles: ['Directory.Read.All'] }));
    assertScimError(await none.get('/Users'), 403);
    assert.equal((await none.get('/ServiceProviderConfig')).status, 200, 'discovery needs only a valid token');
    const audit = await clientFor(t.app, await token(keys, { roles: ['admin'] }), '').get('/admin/audit');
    assert.equal(audit.status, 200);
    assert.equal(audit.body.tenant, TENANT);
  });

  it('the split admin scopes and the admin alias: audit:read reads the trail only; admin manages tokens but grants only what it holds', async () => {
    const auditor = clientFor(t.app, await token(keys, { roles: ['audit:read'] }), '/admin');
    assert.equal((await auditor.get('/audit')).status, 200);
    assertScimError(await auditor.get('/tokens'), 403);
    const admin = clientFor(t.app, await token(keys, { roles: undefined, scp: 'admin' }), '/admin');
    assert.equal((await admin.get('/tokens')).status, 200);
    assertScimError(await admin.post('/tokens', { name: 'jwt-minted', scopes: ['scim:write'] }), 403);
    const minted = await admin.post('/tokens', { name: 'jwt-minted', scopes: ['audit:read'] });
    assert.equal(minted.status, 201, JSON.stringify(minted.body));
    assert.equal(minted.body.tenant, TENANT);
  });

  it('rejects a wrong issuer or audience, expiry, not-before, a missing exp and an unmapped tenant: 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await invalid(await token(keys, { iss: 'https://evil.example.test/' }));
    await invalid(await token(keys, { aud: 'api://other' }));
    await invalid(await token(keys, { exp: now - 120 }));
    await invalid(await token(keys, { nbf: now + 120 }));
    await invalid(await token(keys, { exp: undefined }));
    await invalid(await token(keys, { tid: '99999999-0000-0000-0000-000000000000' }));
    await invalid(await token(keys, { tid: undefined }));
  });

  it('honours the clock tolerance for a token just expired', async () => {
    const response = await clientFor(t.app, await token(keys, { exp: Math.floor(Date.now() / 1000) - 5 })).get('/Users');
    assert.equal(response.status, 200);
  });

  it('rejects a bad signature, an unknown key, alg none and an algorithm outside the allow-list', async () => {
    const impostor = await keyPair(KID);
    await invalid(await token(impostor));
    await invalid(await token(impostor, {}, { kid: 'unknown-key' }));
    const genuine = await token(keys);
    const [header, payload] = genuine.split('.');
    const tampered = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    tampered['roles'] = ['scim:read', 'scim:write', 'admin'];
    await invalid(`${header}.${Buffer.from(JSON.stringify(tampered)).toString('base64url')}.${genuine.split('.')[2]}`);
    const unsecured = new UnsecuredJWT({ iss: ISSUER, aud: AUDIENCE, tid: ENTRA_TID, roles: ['scim:write'] }).setExpirationTime('10m').encode();
    await invalid(unsecured);
    const es256 = await keyPair(KID, 'ES256');
    await invalid(await token(es256, {}, { alg: 'ES256' }));
    // HS256 signed with the public key's modulus as the secret: the classic key-confusion attack.
    const secret = new TextEncoder().encode(String(keys.jwk.n));
    await invalid(await new SignJWT({ iss: ISSUER, aud: AUDIENCE, tid: ENTRA_TID, roles: ['scim:write'] }).setProtectedHeader({ alg: 'HS256', kid: KID }).setExpirationTime('10m').sign(secret));
  });

  it('opaque tokens keep working alongside JWTs', async () => {
    assert.equal((await t.scim.get('/Users')).status, 200);
  });
});

describe('authentication: JWT settings', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'scim-jwt-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const complete = { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_URL: 'https://login.example.test/keys', JWT_TENANT: TENANT };

  function refused(env: Record<string, string>, variable: string, message?: RegExp): void {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => error instanceof ConfigError && new RegExp(`\\b${variable}[.:]`).test(error.message) && (message === undefined || message.test(error.message)),
      `${JSON.stringify(env)} should be refused naming ${variable}`,
    );
  }

  it('no JWT_* variable: JWTs are not accepted at all', () => {
    assert.equal(loadConfig({}).jwt, undefined);
  });

  it('a complete configuration loads; defaults: RS256, scp and roles, 60 s tolerance', () => {
    const jwt = loadConfig(complete).jwt;
    assert.deepEqual(jwt?.algorithms, ['RS256']);
    assert.deepEqual(jwt?.scopeClaims, ['scp', 'roles']);
    assert.equal(jwt?.clockToleranceSeconds, 60);
    assert.equal(jwt?.tenant, TENANT);
  });

  it('an incomplete or wrong configuration fails at start naming the variable', async () => {
    refused({ JWT_ISSUER: ISSUER }, 'JWT_AUDIENCE');
    refused({ JWT_ISSUER: ISSUER }, 'JWT_JWKS_URL');
    refused({ JWT_ISSUER: ISSUER }, 'JWT_TENANT');
    refused({ ...complete, JWT_ISSUER: ' , ' }, 'JWT_ISSUER');
    refused({ ...complete, JWT_JWKS_URL: 'http://keys.example.test/keys' }, 'JWT_JWKS_URL', /https/);
    refused({ ...complete, JWT_JWKS_FILE: '/tmp/keys.json' }, 'JWT_JWKS_URL', /exactly one/);
    refused({ ...complete, JWT_TENANT_MAP: '{"a":"b"}' }, 'JWT_TENANT', /exactly one/);
    refused({ ...complete, JWT_ALGORITHMS: 'HS256' }, 'JWT_ALGORITHMS');
    refused({ ...complete, JWT_ALGORITHMS: 'none' }, 'JWT_ALGORITHMS');
    refused({ ...complete, JWT_CLOCK_TOLERANCE_SECONDS: '3600' }, 'JWT_CLOCK_TOLERANCE_SECONDS');
    const { JWT_TENANT: _fixed, ...mapped } = complete;
    refused({ ...mapped, JWT_TENANT_MAP: 'not json' }, 'JWT_TENANT_MAP');
    refused({ ...mapped, JWT_TENANT_MAP: '{"tid":"bad tenant!"}' }, 'JWT_TENANT_MAP');
    const { JWT_JWKS_URL: _url, ...withoutUrl } = complete;
    refused({ ...withoutUrl, JWT_JWKS_FILE: path.join(dir, 'missing.json') }, 'JWT_JWKS_FILE', /cannot read/);
    await writeFile(path.join(dir, 'not-a-set.json'), '{"kty":"RSA"}');
    refused({ ...withoutUrl, JWT_JWKS_FILE: path.join(dir, 'not-a-set.json') }, 'JWT_JWKS_FILE', /not a JSON Web Key Set/);
  });

  it('the server process refuses to start on a half-configured issuer, naming the variables', async function () {
    this.timeout(30_000);
    const { code, stderr } = await runServerExpectingFailure({ JWT_ISSUER: ISSUER, JWT_JWKS_URL: 'https://login.example.test/keys' });
    assert.equal(code, 1);
    assert.match(stderr, /JWT_AUDIENCE: is required/);
    assert.match(stderr, /JWT_TENANT: set exactly one/);
  });

  it('JWT_JWKS_FILE: keys from a file verify tokens', async () => {
    const keys = await keyPair(KID);
    const file = path.join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify({ keys: [keys.jwk] }));
    const { JWT_JWKS_URL: _url, ...withoutUrl } = complete;
    const t = await startTestApp('security-jwt-file', { ...withoutUrl, JWT_JWKS_FILE: file });
    try {
      assert.equal((await clientFor(t.app, await token(keys)).get('/Users')).status, 200);
      assertScimError(await clientFor(t.app, await token(await keyPair(KID))).get('/Users'), 401);
    } finally {
      await t.close();
    }
  });

  it('an unreachable JWKS is our outage: 503 with Retry-After, not 401', async () => {
    const t = await startTestApp('security-jwt-down', { ...complete, JWT_JWKS_URL: 'http://127.0.0.1:1/keys' });
    try {
      const response = await supertest(t.app).get('/scim/v2/Users').set('Authorization', `Bearer ${await token(await keyPair(KID))}`);
      assertScimError(response, 503);
      assert.equal(response.headers['retry-after'], '5');
    } finally {
      await t.close();
    }
  });
});
