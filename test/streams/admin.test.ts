import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.js';
import { clientFor, issueToken, type Json } from '../security/helpers.js';
import { assertScimError, startTestApp, type TestApp } from '../support/app.js';
import { poll, STREAM_ADMIN_TOKEN, streamAdmin } from '../support/streams.js';

/** /admin/streams and stream bindings through /admin/tokens: what an administrator with tokens:manage does for a pulling app. */
describe('event streams: administration (/admin/streams, /admin/tokens stream)', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp('event-streams-admin', { ADMIN_TOKEN: STREAM_ADMIN_TOKEN });
  });

  after(() => t.close());

  it('create, read, change and delete a stream of the own tenant', async () => {
    const admin = streamAdmin(t);
    const created = await admin.create({ name: 'hr-portal', events: ['user.deleted', 'user.deactivated'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers['cache-control'], 'no-store');
    assert.deepEqual(created.body.events, ['user.deactivated', 'user.deleted']);
    assert.equal(created.body.pollPath, '/streams/hr-portal/poll');
    assert.deepEqual(created.body.backlog, { pending: 0, failed: 0, oldestPendingAt: null, oldestPendingAgeSeconds: null });

    assert.deepEqual(((await admin.list()).body.streams as Json[]).map((stream) => stream['name']), ['hr-portal']);
    const read = await admin.get('hr-portal');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.recentErrors, []);

    const all = await admin.patch('hr-portal', { events: null });
    assert.equal(all.status, 200);
    assert.equal(all.body.events, null, 'null: every event type');
    assert.equal((await admin.remove('hr-portal')).status, 204);
    assertScimError(await admin.get('hr-portal'), 404);
    assertScimError(await admin.remove('hr-portal'), 404);
  });

  const invalid: [string, Json, string][] = [
    ['no name', {}, 'invalidValue'],
    ['a name with capitals', { name: 'HR' }, 'invalidValue'],
    ['a name with a "|"', { name: 'a|b' }, 'invalidValue'],
    ['an unknown event type', { name: 'x', events: ['user.exploded'] }, 'invalidValue'],
    ['an empty list of types', { name: 'x', events: [] }, 'invalidValue'],
    ['types that are not strings', { name: 'x', events: [1] }, 'invalidValue'],
  ];
  for (const [what, body, scimType] of invalid) {
    it(`refuses ${what} with 400 ${scimType}, storing nothing`, async () => {
      const before = (await streamAdmin(t).list()).body.streams;
      assertScimError(await streamAdmin(t).create(body), 400, scimType);
      assert.deepEqual((await streamAdmin(t).list()).body.streams, before);
    });
  }

  it('a name taken in the tenant → 409; another tenant may use it and never sees this one', async () => {
    assert.equal((await streamAdmin(t).create({ name: 'shared-name' })).status, 201);
    assertScimError(await streamAdmin(t).create({ name: 'shared-name' }), 409, 'uniqueness');
    const acmeAdmin = await issueToken(t.storage.credentials, 'acme', 'acme-admin', ['tokens:manage']);
    const acme = streamAdmin(t, acmeAdmin);
    assert.deepEqual((await acme.list()).body.streams, []);
    assertScimError(await acme.get('shared-name'), 404);
    assertScimError(await acme.remove('shared-name'), 404);
    assert.equal((await acme.create({ name: 'shared-name' })).status, 201);
    assert.equal((await streamAdmin(t).get('shared-name')).body.tenant, 'default');
  });

  it('PATCH needs "events"; a bad body is refused', async () => {
    await streamAdmin(t).create({ name: 'patched' });
    assertScimError(await streamAdmin(t).patch('patched', {}), 400, 'invalidValue');
    assertScimError(await streamAdmin(t).patch('patched', { events: 'user.deleted' }), 400, 'invalidValue');
    assertScimError(await streamAdmin(t).patch('nope', { events: null }), 404);
  });

  describe('credentials bound to a stream (POST /admin/tokens "stream")', () => {
    let manager: ReturnType<typeof clientFor>;

    before(async () => {
      await streamAdmin(t).create({ name: 'bound' });
      manager = clientFor(t.app, await issueToken(t.storage.credentials, 'default', 'reader-manager', ['scim:read', 'tokens:manage']), '/admin');
    });

    it('a token created with "stream" polls it, lists its binding and keeps it when rotated', async () => {
      const created = await manager.post('/tokens', { name: 'bound-app', scopes: ['scim:read'], stream: 'bound' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.stream, 'bound');
      assert.equal((await poll(t, String(created.body.token), 'bound')).status, 200);
      const listed = ((await manager.get('/tokens')).body.tokens as Json[]).find((token) => token['name'] === 'bound-app');
      assert.equal(listed?.['stream'], 'bound');
      assert.equal(((await manager.get('/tokens')).body.tokens as Json[]).find((token) => token['name'] === 'reader-manager')?.['stream'], null);
      const rotated = await manager.post('/tokens/bound-app/rotate', {});
      assert.equal(rotated.body.stream, 'bound');
      assert.equal((await poll(t, String(rotated.body.token), 'bound')).status, 200);
    });

    it('refuses a stream that does not exist, a bad name, or a binding without scim:read', async () => {
      assertScimError(await manager.post('/tokens', { name: 'x1', scopes: ['scim:read'], stream: 'nope' }), 400, 'invalidValue');
      assertScimError(await manager.post('/tokens', { name: 'x2', scopes: ['scim:read'], stream: 5 }), 400, 'invalidValue');
      assertScimError(await manager.post('/tokens', { name: 'x3', scopes: ['tokens:manage'], stream: 'bound' }), 400, 'invalidValue');
      const names = ((await manager.get('/tokens')).body.tokens as Json[]).map((token) => token['name']);
      assert.ok(!names.some((name) => String(name).startsWith('x')), 'nothing stored');
    });

    it('the granting rule still holds: binding a stream does not let a credential grant scim:read it lacks', async () => {
      const adminOnly = clientFor(t.app, STREAM_ADMIN_TOKEN, '/admin');
      const refused = await adminOnly.post('/tokens', { name: 'escalate', scopes: ['scim:read'], stream: 'bound' });
      assertScimError(refused, 403);
    });
  });
});

describe('event streams: configuration', () => {
  it('EVENT_STREAM_RETENTION_DAYS and EVENT_STREAM_LONG_POLL_SECONDS: defaults, values, and a clear error for bad ones', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.eventStreamRetentionDays, 30);
    assert.equal(defaults.eventStreamLongPollMs, 30_000);
    const set = loadConfig({ EVENT_STREAM_RETENTION_DAYS: '7', EVENT_STREAM_LONG_POLL_SECONDS: '0' });
    assert.equal(set.eventStreamRetentionDays, 7);
    assert.equal(set.eventStreamLongPollMs, 0);
    const bad: [string, string, RegExp][] = [
      ['EVENT_STREAM_RETENTION_DAYS', '0', /EVENT_STREAM_RETENTION_DAYS: /],
      ['EVENT_STREAM_RETENTION_DAYS', '3651', /EVENT_STREAM_RETENTION_DAYS: must be at most 3650 days/],
      ['EVENT_STREAM_RETENTION_DAYS', '30d', /EVENT_STREAM_RETENTION_DAYS: must be a whole number/],
      ['EVENT_STREAM_LONG_POLL_SECONDS', '-1', /EVENT_STREAM_LONG_POLL_SECONDS: must be a whole number/],
      ['EVENT_STREAM_LONG_POLL_SECONDS', '301', /EVENT_STREAM_LONG_POLL_SECONDS: must be at most 300 seconds/],
    ];
    for (const [name, value, message] of bad) {
      assert.throws(() => loadConfig({ [name]: value }), (error: unknown) => error instanceof ConfigError && message.test(error.message), `${name}=${value}`);
    }
  });
});
