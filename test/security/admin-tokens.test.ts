import assert from 'node:assert/strict';
import { assertScimError, startTestApp, TEST_TOKEN, type TestApp } from '../support/app.js';
import { clientFor, issueToken, type Json, type TokenClient } from './helpers.js';

describe('admin API: /admin/tokens (tokens:manage, own tenant only)', () => {
  let t: TestApp;
  let admin: TokenClient;
  let acmeAdmin: TokenClient;

  before(async () => {
    t = await startTestApp('security-admin-tokens');
    // It grants connector tokens, so it holds their scopes (scope-matrix.test.ts: no credential grants more).
    admin = clientFor(t.app, await issueToken(t.storage.credentials, 'default', 'manager', ['scim:write', 'tokens:manage']), '/admin');
    acmeAdmin = clientFor(t.app, await issueToken(t.storage.credentials, 'acme', 'acme-admin', ['scim:write', 'tokens:manage']), '/admin');
  });

  after(() => t.close());

  it('POST creates a token shown once in the 201 response (no-store); it works with its scopes', async () => {
    const created = await admin.post('/tokens', { name: 'pulling-app', scopes: ['scim:read'], expiresIn: '90d' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers['cache-control'], 'no-store');
    const body = created.body as Json;
    assert.equal(body['tenant'], 'default');
    assert.deepEqual(body['scopes'], ['scim:read']);
    assert.equal(body['status'], 'active');
    assert.match(String(body['token']), /^scim_/);
    const client = clientFor(t.app, String(body['token']));
    assert.equal((await client.get('/Users')).status, 200);
    assertScimError(await client.post('/Users', {}), 403);
  });

  it('records last use at most once an hour per credential', async () => {
    const token = String((await admin.post('/tokens', { name: 'used', scopes: ['scim:read'] })).body.token);
    const lastUsed = async () => ((await admin.get('/tokens')).body.tokens as Json[]).find((entry) => entry['name'] === 'used')?.['lastUsedAt'];
    assert.equal(await lastUsed(), null);
    assert.equal((await clientFor(t.app, token).get('/Users')).status, 200);
    const first = await lastUsed();
    assert.ok(typeof first === 'string' && Math.abs(Date.parse(first) - Date.now()) < 60_000);
    assert.equal((await clientFor(t.app, token).get('/Groups')).status, 200);
    assert.equal(await lastUsed(), first, 'not rewritten within the hour');
  });

  it('GET lists only the caller’s tenant, never a token or hash', async () => {
    await acmeAdmin.post('/tokens', { name: 'acme-okta', scopes: ['scim:write'] });
    const listed = await admin.get('/tokens');
    assert.equal(listed.status, 200);
    const tokens = listed.body.tokens as Json[];
    assert.ok(tokens.every((token) => token['tenant'] === 'default' && token['token'] === undefined && token['hash'] === undefined));
    assert.ok(tokens.some((token) => token['name'] === 'pulling-app'));
    const acme = (await acmeAdmin.get('/tokens')).body.tokens as Json[];
    assert.deepEqual(acme.map((token) => token['name']).sort(), ['acme-admin', 'acme-okta']);
    const stored = await t.storage.credentials.list();
    assert.ok(stored.every((record) => !JSON.stringify(listed.body).includes(record.hash)));
  });

  it('rotate and revoke act on the caller’s tenant only', async () => {
    const first = String((await admin.post('/tokens', { name: 'entra', scopes: ['scim:read', 'scim:write'] })).body.token);
    assertScimError(await acmeAdmin.post('/tokens/entra/rotate', {}), 404);
    assertScimError(await acmeAdmin.delete('/tokens/entra'), 404);
    const rotated = await admin.post('/tokens/entra/rotate', { gracePeriod: '10m' });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const second = String(rotated.body.token);
    for (const token of [first, second]) assert.equal((await clientFor(t.app, token).get('/Users')).status, 200);
    assert.equal((await admin.delete('/tokens/entra')).status, 204);
    for (const token of [first, second]) assertScimError(await clientFor(t.app, token).get('/Users'), 401);
  });

  it('a credential that expires mints nothing that outlives it: by default its tokens expire with it, longer is 403', async () => {
    const day = 86_400_000;
    const shortLived = clientFor(t.app, await issueToken(t.storage.credentials, 'default', 'contractor-admin', ['scim:write', 'tokens:manage'], { lifetimeMs: 7 * day }), '/admin');
    // The newest token under the name (a rotated name lists its previous tokens first).
    const expiry = async (name: string) => ((await admin.get('/tokens')).body.tokens as Json[]).filter((entry) => entry['name'] === name).at(-1)?.['expiresAt'];
    const grantorExpiry = Date.parse(String(await expiry('contractor-admin')));

    assert.equal((await shortLived.post('/tokens', { name: 'minted-forever', scopes: ['scim:read'] })).status, 201);
    assert.equal(Date.parse(String(await expiry('minted-forever'))), grantorExpiry, 'no expiry asked: expires with its grantor');
    assert.equal((await shortLived.post('/tokens', { name: 'minted-short', scopes: ['scim:read'], expiresIn: '1d' })).status, 201);
    assert.ok(Date.parse(String(await expiry('minted-short'))) < grantorExpiry);

    const tooLong = await shortLived.post('/tokens', { name: 'minted-long', scopes: ['scim:read'], expiresIn: '30d' });
    assertScimError(tooLong, 403);
    assert.match(String(tooLong.body.detail), /cannot outlive it/);
    assert.equal(await expiry('minted-long'), undefined, 'nothing stored');
    // Rotating mints too: the new token keeps the old one's lifetime only within the rotating credential's.
    assert.equal((await admin.post('/tokens', { name: 'yearly', scopes: ['scim:read'], expiresIn: '365d' })).status, 201);
    assertScimError(await shortLived.post('/tokens/yearly/rotate', {}), 403);
    assert.equal((await shortLived.post('/tokens/yearly/rotate', { expiresIn: '2d' })).status, 200);
    assert.equal((await admin.post('/tokens', { name: 'forever', scopes: ['scim:read'] })).status, 201);
    assert.equal((await shortLived.post('/tokens/forever/rotate', {})).status, 200);
    assert.equal(Date.parse(String(await expiry('forever'))), grantorExpiry, 'a never-expiring token rotated by it expires with it');
  });

  it('bad requests are 400/409 SCIM errors; other scopes get 403', async () => {
    assertScimError(await admin.post('/tokens', { name: 'x', scopes: ['root'] }), 400, 'invalidValue');
    assertScimError(await admin.post('/tokens', { name: 'x', scopes: [] }), 400, 'invalidValue');
    assertScimError(await admin.post('/tokens', { name: 'bad name', scopes: ['scim:read'] }), 400, 'invalidValue');
    assertScimError(await admin.post('/tokens', { name: 'x', scopes: ['scim:read'], expiresIn: 'forever' }), 400, 'invalidValue');
    assertScimError(await admin.post('/tokens', { scopes: ['scim:read'] }), 400, 'invalidValue');
    assertScimError(await admin.post('/tokens', [1]), 400, 'invalidSyntax');
    assertScimError(await admin.post('/tokens').set('Content-Type', 'application/json').send('{"name":'), 400, 'invalidSyntax');
    assertScimError(await admin.post('/tokens', { name: 'pulling-app', scopes: ['scim:read'] }), 409, 'uniqueness');
    assertScimError(await clientFor(t.app, TEST_TOKEN, '/admin').get('/tokens'), 403);
    assertScimError(await clientFor(t.app, TEST_TOKEN, '/admin').post('/tokens', { name: 'y', scopes: ['admin'] }), 403);
  });
});
