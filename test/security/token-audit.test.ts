import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import type { AuditEntry } from '../../src/lifecycle/types.js';
import { assertScimError, startTestApp, sweep, type TestApp } from '../support/app.js';
import { runCli } from '../support/cli.js';
import { testDatabaseUri } from '../support/engine.js';
import { failNext } from '../support/faults.js';
import { clientFor, type Json, type TokenClient } from './helpers.js';

const ADMIN_TOKEN = 'admin-token-for-token-audit-tests-0123';

/**
 * Every token change (create, rotate, revoke; through /admin/tokens or `npm run tokens`) leaves
 * exactly one audit entry, stored with the change in the same credential write: who, tenant, name,
 * scopes, never the token or its hash. A refused change leaves none.
 */
describe('audit trail of token changes', () => {
  let t: TestApp;
  let admin: TokenClient;
  let client: MongoClient;

  before(async () => {
    t = await startTestApp('security-token-audit', { ADMIN_TOKEN });
    admin = clientFor(t.app, ADMIN_TOKEN, '/admin');
    client = await MongoClient.connect(testDatabaseUri(t.dbName!));
  });

  after(async () => {
    await client.close();
    await t.close();
  });

  const entriesOf = (name: string, tenant = 'default'): Promise<AuditEntry[]> => t.storage.audit.query({ tenant, resourceId: name, limit: 100 });
  const secretsIn = async () => (await t.storage.credentials.list()).map((record) => record.hash);

  it('POST, rotate and DELETE /admin/tokens each store one entry naming the admin credential, tenant, name and scopes; never a token or hash', async () => {
    const created = await admin.post('/tokens', { name: 'audited', scopes: ['audit:read', 'tokens:manage'], expiresIn: '30d' }).set('X-Request-Id', 'create-request');
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const rotated = await admin.post('/tokens/audited/rotate', { gracePeriod: '1h' });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const revoked = await admin.delete('/tokens/audited');
    assert.equal(revoked.status, 204);

    const entries = await entriesOf('audited');
    assert.deepEqual(entries.map((entry) => entry.operation), ['create', 'rotate', 'revoke']);
    for (const entry of entries) {
      assert.equal(entry.resourceType, 'Token');
      assert.equal(entry.tenant, 'default');
      assert.equal(entry.actor, 'ADMIN_TOKEN');
      assert.deepEqual(entry.events, []);
    }
    const [create, rotate, revoke] = entries as [AuditEntry, AuditEntry, AuditEntry];
    assert.equal(create.requestId, 'create-request');
    assert.equal(create.before, null);
    assert.deepEqual(create.after?.['scopes'], ['audit:read', 'tokens:manage']);
    assert.equal(create.after?.['name'], 'audited');
    assert.equal(Date.parse(String(rotate.after?.['previousTokensValidUntil'])) - rotate.at.getTime(), 3_600_000);
    assert.deepEqual(rotate.after?.['scopes'], ['audit:read', 'tokens:manage']);
    assert.equal(revoke.after?.['revokedAt'], revoke.at.toISOString());

    const text = JSON.stringify(entries);
    for (const secret of [String(created.body.token), String(rotated.body.token), ...(await secretsIn())]) assert.ok(!text.includes(secret), 'no token or hash in the audit trail');

    // Readable where the audit trail is read.
    const trail = await admin.get('/audit?resource=audited');
    assert.deepEqual((trail.body.entries as Json[]).map((entry) => entry['operation']), ['create', 'rotate', 'revoke']);
  });

  it('a refused change stores no entry: a name taken (409), an unknown name (404), a revocation of revoked tokens (nothing changed)', async () => {
    assert.equal((await admin.post('/tokens', { name: 'taken', scopes: ['audit:read'] })).status, 201);
    assertScimError(await admin.post('/tokens', { name: 'taken', scopes: ['tokens:manage'] }), 409);
    assertScimError(await admin.post('/tokens/unknown/rotate', {}), 404);
    assertScimError(await admin.delete('/tokens/unknown'), 404);
    assert.equal((await admin.delete('/tokens/taken')).status, 204);
    assert.equal((await admin.delete('/tokens/taken')).status, 204);
    assert.deepEqual((await entriesOf('taken')).map((entry) => entry.operation), ['create', 'revoke']);
    assert.deepEqual(await entriesOf('unknown'), []);
  });

  it('with the relay failing, the entry waits in the credential created; the sweep stores it once', async () => {
    const fault = failNext(t.storage.audit, 'append');
    const created = await admin.post('/tokens', { name: 'relayed-later', scopes: ['audit:read'] });
    assert.ok(fault.fired);
    assert.equal(created.status, 201, 'the token is stored, so it is handed out');
    assert.equal((await clientFor(t.app, String(created.body.token), '/admin').get('/audit')).status, 200);
    assert.deepEqual(await entriesOf('relayed-later'), []);
    const stored = await client.db(t.dbName).collection<{ name: string; pending?: string[] }>('credentials').findOne({ name: 'relayed-later' });
    assert.deepEqual(stored?.pending?.map((text) => (JSON.parse(text) as AuditEntry).operation), ['create']);

    assert.ok((await sweep(t)) >= 1);
    assert.deepEqual((await entriesOf('relayed-later')).map((entry) => entry.operation), ['create']);
    await sweep(t);
    assert.equal((await entriesOf('relayed-later')).length, 1);
  });

  it('a revocation interrupted after its first token (a crash) is completed by the sweep before its entry is stored: no token of the name stays valid', async () => {
    const first = String((await admin.post('/tokens', { name: 'half-revoked', scopes: ['audit:read'] })).body.token);
    const second = String((await admin.post('/tokens/half-revoked/rotate', { gracePeriod: '1h' })).body.token);
    // What revoke's first write leaves when the process dies before the second: one token revoked, carrying the entry.
    const at = new Date();
    const entry: AuditEntry = { id: 'crashed-revoke', at, tenant: 'default', actor: 'ADMIN_TOKEN', requestId: 'crash', operation: 'revoke', resourceType: 'Token', resourceId: 'half-revoked', before: { name: 'half-revoked' }, after: { name: 'half-revoked', revokedAt: at.toISOString() }, grantsAdded: [], grantsRevoked: [], events: [] };
    const [newer] = (await t.storage.credentials.list('default')).filter((record) => record.name === 'half-revoked' && !record.revokedAt).slice(-1);
    await client.db(t.dbName).collection<{ _id: string }>('credentials').updateOne({ _id: newer!.hash }, { $set: { revokedAt: at, hasPending: true }, $push: { pending: JSON.stringify(entry) } });
    assert.equal((await clientFor(t.app, first, '/admin').get('/audit')).status, 200, 'the other token is still valid: the revocation is half done');

    await sweep(t);
    for (const token of [first, second]) assert.equal((await clientFor(t.app, token, '/admin').get('/audit')).status, 401);
    assert.deepEqual((await entriesOf('half-revoked')).map((stored) => stored.id).filter((id) => id === 'crashed-revoke'), ['crashed-revoke']);
  });

  it('npm run tokens: create, rotate and revoke each store one entry with actor cli:tokens; a refused create none', async function () {
    this.timeout(120_000);
    const env = { MONGODB_URI: testDatabaseUri(t.dbName!) };
    const runs = [
      ['create', '--name', 'cli-made', '--tenant', 'acme', '--scopes', 'scim:read'],
      ['create', '--name', 'cli-made', '--tenant', 'acme', '--scopes', 'scim:write'],
      ['rotate', '--name', 'cli-made', '--tenant', 'acme'],
      ['revoke', '--name', 'cli-made', '--tenant', 'acme'],
    ];
    const codes: (number | null)[] = [];
    for (const args of runs) codes.push((await runCli('tokens', args, env)).code);
    assert.deepEqual(codes.map((code) => code === 0), [true, false, true, true]);
    const entries = await entriesOf('cli-made', 'acme');
    assert.deepEqual(entries.map((entry) => [entry.operation, entry.actor, entry.tenant]), [
      ['create', 'cli:tokens', 'acme'],
      ['rotate', 'cli:tokens', 'acme'],
      ['revoke', 'cli:tokens', 'acme'],
    ]);
    assert.deepEqual(entries[0]!.after?.['scopes'], ['scim:read']);
  });
});
