import assert from 'node:assert/strict';
import supertest from 'supertest';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { createDeliveryHealth } from '../../src/services/delivery-health.js';
import { employee } from '../lifecycle/helpers.js';
import { bulk, clientFor, issueToken, patchOp, type Json } from '../security/helpers.js';
import { startTestApp, user, type TestApp } from '../support/app.js';
import { parseExposition, valueOf, type Exposition } from '../support/prometheus.js';
import { bindToken, createStream, poll, STREAM_ADMIN_TOKEN } from '../support/streams.js';

/** Metrics whose backlog gauges read `app()`'s database (the app is built with them). */
function metricsOf(app: () => TestApp): Metrics {
  return createMetrics({ engineUp: async () => true, health: { read: () => createDeliveryHealth(app().storage, [], { cacheMs: 0 }).read() }, webhookNames: [], processMetrics: false });
}

/**
 * What the counters count, moment by moment, in one app (test/server/metrics.test.ts scrapes a
 * real process): every lifecycle moment and the grants it revokes, event-stream polls, and the
 * refusals an operator watches (403, 429) by status and code.
 */
describe('metrics: what each counter counts', function () {
  this.timeout(60_000);
  let t: TestApp;
  const metrics = metricsOf(() => t);
  const scrape = async (): Promise<Exposition> => parseExposition((await metrics.scrape()).text);

  before(async () => {
    t = await startTestApp('metrics-counters', { ADMIN_TOKEN: STREAM_ADMIN_TOKEN }, { metrics });
  });
  after(() => t.close());

  it('counts each lifecycle moment of a user once, and the grants it revokes', async () => {
    const created = await t.scim.post('/Users').send(employee('moments@example.com'));
    assert.equal(created.status, 201);
    const id = String(created.body.id);
    const change = (operations: Json[]) => t.scim.patch(`/Users/${id}`).send(patchOp(...operations));
    assert.equal((await change([{ op: 'replace', path: 'title', value: 'Engineer' }])).status, 200);
    assert.equal((await change([{ op: 'replace', path: 'active', value: false }])).status, 200);
    assert.equal((await change([{ op: 'replace', path: 'title', value: 'Still away' }])).status, 200);
    assert.equal((await change([{ op: 'replace', path: 'active', value: true }])).status, 200);
    assert.equal((await t.scim.delete(`/Users/${id}`)).status, 204);

    const exposition = await scrape();
    for (const kind of ['joiner', 'mover', 'leaver', 'rehire', 'delete']) assert.equal(valueOf(exposition, 'scim_lifecycle_transitions_total', { kind }), 1, kind);
    assert.ok(valueOf(exposition, 'scim_lifecycle_grants_revoked_total', { kind: 'leaver' }) >= 1, 'the leaver lost the employee baseline');
    assert.ok(valueOf(exposition, 'scim_lifecycle_grants_revoked_total', { kind: 'delete' }) >= 1, 'the rehired user had it again when deleted');
    assert.equal(valueOf(exposition, 'scim_lifecycle_grants_revoked_total', { kind: 'joiner' }), 0);
  });

  it('counts joiners created through Bulk, and no transition for a write that fails', async () => {
    const before = valueOf(await scrape(), 'scim_lifecycle_transitions_total', { kind: 'joiner' });
    const response = await t.scim.post('/Bulk').send(bulk(
      { method: 'POST', path: '/Users', bulkId: 'a', data: user('bulk-a@example.com') },
      { method: 'POST', path: '/Users', bulkId: 'b', data: user('bulk-a@example.com') },
    ));
    assert.equal(response.status, 200);
    assert.equal(valueOf(await scrape(), 'scim_lifecycle_transitions_total', { kind: 'joiner' }), before + 1, 'the duplicate (409) is no joiner');
  });

  it('counts SETs returned, acknowledgements and reported errors per event stream, under its route pattern', async () => {
    await createStream(t, 'metrics-app');
    const token = await bindToken(t, 'metrics-app-reader', 'metrics-app');
    for (const name of ['first', 'second']) assert.equal((await t.scim.post('/Users').send(user(`${name}.stream@example.com`))).status, 201);
    const first = await poll(t, token, 'metrics-app');
    const jtis = Object.keys(first.sets);
    assert.equal(jtis.length, 2);
    const [good, bad] = jtis as [string, string];
    assert.equal((await poll(t, token, 'metrics-app', { returnImmediately: true, ack: [good], setErrs: { [bad]: { err: 'invalid_request' } } })).status, 200);

    const exposition = await scrape();
    const labels = { tenant: 'default', stream: 'metrics-app' };
    assert.equal(valueOf(exposition, 'scim_stream_sets_delivered_total', labels), 2);
    assert.equal(valueOf(exposition, 'scim_stream_acknowledgements_total', labels), 1);
    assert.equal(valueOf(exposition, 'scim_stream_errors_reported_total', labels), 1);
    assert.equal(valueOf(exposition, 'scim_http_requests_total', { method: 'POST', route: '/streams/:name/poll', status: '200' }), 2);
    assert.equal(valueOf(exposition, 'scim_stream_backlog', labels), 0, 'nothing left unacknowledged (the reported one is kept aside)');
  });

  it('shows refusals by status and code: a missing scope (403) and an exhausted rate limit (429)', async () => {
    const reader = clientFor(t.app, await issueToken(t.storage.credentials, 'default', 'metrics-reader', ['scim:read']));
    assert.equal((await reader.post('/Users', user('not-allowed@example.com'))).status, 403);
    // The same process's metrics, another app with a tiny rate limit.
    const limited = await startTestApp('metrics-rate-limit', { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '1' }, { metrics });
    try {
      const statuses = [];
      for (let request = 0; request < 3; request += 1) statuses.push((await supertest(limited.app).get('/scim/v2/Users').set('Authorization', `Bearer ${limited.config.bearerToken}`)).status);
      assert.ok(statuses.includes(429), String(statuses));
    } finally {
      await limited.close();
    }
    const exposition = await scrape();
    assert.equal(valueOf(exposition, 'scim_http_errors_total', { status: '403', code: 'insufficientScope' }), 1);
    assert.ok(valueOf(exposition, 'scim_http_errors_total', { status: '429', code: 'tooManyRequests' }) >= 1);
    assert.ok(valueOf(exposition, 'scim_http_requests_total', { method: 'GET', route: '/scim/v2/*', status: '429' }) >= 1, 'refused before any route matched');
  });
});
