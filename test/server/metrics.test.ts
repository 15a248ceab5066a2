import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { EXAMPLE_POLICY_FILE } from '../../src/lifecycle/policy/load.js';
import { ENTERPRISE, USER_SCHEMA } from '../support/app.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { parseExposition, samplesOf, valueOf, type Exposition } from '../support/prometheus.js';
import { startServer, type RunningServer } from './server-process.js';

const TOKEN = 'metrics-test-connector-token-0123';
const ADMIN = 'metrics-test-admin-token-0123456789';
const SECRET = 'whsec_dGVzdC13ZWJob29rLWtleS0wMTIzNDU2Nzg5YWJjZGVm';

/** The URL the server says its metrics listener serves (a JSON log line on stderr). */
function metricsUrlOf(server: RunningServer): string {
  for (const line of server.stderr().split('\n').filter(Boolean)) {
    const entry = JSON.parse(line) as { msg?: string; url?: string };
    if (entry.msg?.startsWith('metrics listening on') && entry.url) return entry.url;
  }
  throw new Error(`no metrics listener announced: ${server.stderr()}`);
}

async function scrape(url: string): Promise<Exposition> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.match(String(response.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

/**
 * Prometheus metrics of a real server process, scraped from its own listener (METRICS_PORT) after
 * real traffic: requests by route pattern and status, refusals by code, lifecycle transitions and
 * grants revoked, webhook deliveries to a receiver that answers and one that does not, an event
 * stream's backlog, an ignored unknown attribute, the engine and the process.
 */
describe('metrics: a scrape of GET /metrics after real traffic', function () {
  this.timeout(120_000);
  let receiver: Server;
  let server: RunningServer;
  let metricsUrl: string;
  let exposition: Exposition;
  let userId: string;

  const scim = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}/scim/v2${path}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/scim+json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  before(async () => {
    // One receiver that takes every delivery, one that is down for maintenance.
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(req.url === '/crm' ? 204 : 503).end());
    }).listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const at = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    server = await startServer({
      MONGODB_URI: testDatabaseUri(uniqueDbName('metrics_process')),
      SCIM_BEARER_TOKEN: TOKEN,
      ADMIN_TOKEN: ADMIN,
      POLICY_FILE: EXAMPLE_POLICY_FILE,
      METRICS_PORT: '0',
      WEBHOOKS: JSON.stringify([
        { name: 'crm', url: `${at}/crm`, secret: SECRET },
        { name: 'payroll', url: `${at}/payroll`, secret: SECRET },
      ]),
      WEBHOOK_POLL_MS: '100',
      WEBHOOK_MAX_BACKOFF_MS: '500',
    });
    metricsUrl = metricsUrlOf(server);

    assert.equal((await fetch(`${server.baseUrl}/scim/v2/Users`)).status, 401);
    const stream = await fetch(`${server.baseUrl}/admin/streams`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'hr-app' }) });
    assert.equal(stream.status, 201);
    const joiner = await scim('POST', '/Users', { schemas: [USER_SCHEMA, ENTERPRISE], userName: 'metrics.joiner@example.com', userType: 'Employee', shoeSize: 44, [ENTERPRISE]: { employeeNumber: 'E-1' } });
    assert.equal(joiner.status, 201);
    const created = (await joiner.json()) as { id: string; roles?: unknown };
    userId = created.id;
    assert.equal((await scim('PUT', `/Users/${userId}`, { schemas: [USER_SCHEMA], userName: 'metrics.joiner@example.com' }, { 'If-Match': 'W/"999"' })).status, 412);
    const leaver = await scim('PATCH', `/Users/${userId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
    assert.equal(leaver.status, 200);
    assert.equal((await scim('GET', `/Users/${userId}`)).status, 200);

    // Deliveries happen in the background: scrape until the worker has tried both receivers.
    for (let attempt = 0; ; attempt += 1) {
      exposition = await scrape(metricsUrl);
      const delivered = valueOf(exposition, 'scim_webhook_deliveries_total', { webhook: 'crm', outcome: 'delivered' });
      const failed = valueOf(exposition, 'scim_webhook_deliveries_total', { webhook: 'payroll', outcome: 'failed' });
      if (delivered >= 1 && failed >= 1) break;
      if (attempt > 300) assert.fail(`no delivery and failure seen: ${JSON.stringify(samplesOf(exposition, 'scim_webhook_deliveries_total'))}`);
      await delay(100);
    }
  });

  after(async () => {
    await server?.stop();
    receiver?.close();
  });

  it('counts requests by route pattern, method and status, never by a path with ids', () => {
    assert.equal(valueOf(exposition, 'scim_http_requests_total', { method: 'POST', route: '/scim/v2/Users', status: '201' }), 1);
    assert.equal(valueOf(exposition, 'scim_http_requests_total', { method: 'PATCH', route: '/scim/v2/Users/:id', status: '200' }), 1);
    assert.equal(valueOf(exposition, 'scim_http_requests_total', { method: 'POST', route: '/admin/streams', status: '201' }), 1);
    const routes = samplesOf(exposition, 'scim_http_requests_total').map((sample) => sample.labels['route'] ?? '');
    assert.ok(routes.every((route) => !route.includes(userId)), `routes: ${routes.join(', ')}`);
    assert.equal(exposition.types.get('scim_http_request_duration_seconds'), 'histogram');
    assert.equal(valueOf(exposition, 'scim_http_request_duration_seconds_count', { method: 'POST', route: '/scim/v2/Users', status: '201' }), 1);
    assert.equal(valueOf(exposition, 'scim_http_request_duration_seconds_bucket', { method: 'POST', route: '/scim/v2/Users', status: '201', le: '+Inf' }), 1);
  });

  it('shows a 401 and a 412, by status and by error code', () => {
    assert.equal(valueOf(exposition, 'scim_http_requests_total', { method: 'GET', route: '/scim/v2/*', status: '401' }), 1);
    assert.equal(valueOf(exposition, 'scim_http_requests_total', { method: 'PUT', route: '/scim/v2/Users/:id', status: '412' }), 1);
    assert.equal(valueOf(exposition, 'scim_http_errors_total', { status: '401', code: 'unauthorized' }), 1);
    assert.equal(valueOf(exposition, 'scim_http_errors_total', { status: '412', code: 'preconditionFailed' }), 1);
  });

  it('counts a joiner and a leaver, and the grants the leaver lost', () => {
    assert.equal(valueOf(exposition, 'scim_lifecycle_transitions_total', { kind: 'joiner' }), 1);
    assert.equal(valueOf(exposition, 'scim_lifecycle_transitions_total', { kind: 'leaver' }), 1);
    assert.equal(valueOf(exposition, 'scim_lifecycle_transitions_total', { kind: 'rehire' }), 0);
    assert.ok(valueOf(exposition, 'scim_lifecycle_grants_revoked_total', { kind: 'leaver' }) >= 1, 'the employee baseline role was revoked');
  });

  it('counts webhook deliveries and failures per receiver, and what the failing one is still owed', () => {
    assert.ok(valueOf(exposition, 'scim_webhook_deliveries_total', { webhook: 'crm', outcome: 'delivered' }) >= 1);
    assert.ok(valueOf(exposition, 'scim_webhook_deliveries_total', { webhook: 'payroll', outcome: 'failed' }) >= 1);
    assert.equal(valueOf(exposition, 'scim_webhook_deliveries_total', { webhook: 'payroll', outcome: 'delivered' }), 0);
    assert.ok(valueOf(exposition, 'scim_webhook_backlog', { webhook: 'payroll' }) >= 1);
    assert.equal(samplesOf(exposition, 'scim_webhook_oldest_undelivered_seconds', { webhook: 'payroll' }).length, 1);
  });

  it('reports the backlog of an event stream nobody polls, the relay backlog and the engine', () => {
    assert.ok(valueOf(exposition, 'scim_stream_backlog', { tenant: 'default', stream: 'hr-app' }) >= 2, 'joiner and leaver events wait in the stream');
    assert.equal(samplesOf(exposition, 'scim_stream_oldest_unacknowledged_seconds', { tenant: 'default', stream: 'hr-app' }).length, 1);
    assert.equal(samplesOf(exposition, 'scim_relay_backlog_documents').length, 2, 'Users and Groups');
    assert.equal(samplesOf(exposition, 'scim_relay_oldest_pending_seconds', { resource: 'User' }).length, 1);
    assert.equal(valueOf(exposition, 'scim_engine_up'), 1);
  });

  it('counts the ignored unknown attribute, and exposes the Node process metrics', () => {
    assert.equal(valueOf(exposition, 'scim_unknown_attributes_total', { resource: 'User', path: 'shoeSize' }), 1);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.equal(samplesOf(exposition, name).length, 1, name);
    }
  });

  it('serves metrics only on their own listener: /metrics is not an endpoint of the SCIM port', async () => {
    assert.equal((await fetch(`${server.baseUrl}/metrics`)).status, 404);
    assert.equal((await fetch(new URL('/other', metricsUrl))).status, 404);
    assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, 'loopback by default (METRICS_HOST)');
  });
});
