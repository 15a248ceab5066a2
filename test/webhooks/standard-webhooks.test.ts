import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { signingKey } from '../../src/lifecycle/webhooks/signature.js';
import { webhooksFor, type WebhookConfig } from '../../src/lifecycle/webhooks/webhook-config.js';
import { createWebhookWorker } from '../../src/lifecycle/webhooks/worker.js';
import { startTestApp, user, type TestApp } from '../support/app.js';

/**
 * Standard Webhooks 1.0.0 ("Verifying webhook authenticity"): real deliveries from our worker to
 * an HTTP server on 127.0.0.1, checked by the `standardwebhooks` library exactly as a receiver
 * would use it, for both payload formats.
 */

const SECRET = 'whsec_c3RhbmRhcmQtd2ViaG9va3MtdGVzdC1rZXktMDEyMzQ=';
const PREVIOUS = 'whsec_cHJldmlvdXMtd2ViaG9vay1rZXktMDEyMzQ1Njc4OWFi';
const UNRELATED = 'whsec_dW5yZWxhdGVkLXdlYmhvb2sta2V5LTAxMjM0NTY3ODk=';

interface Captured {
  path: string;
  /** Header names exactly as they came over the wire. */
  rawNames: string[];
  headers: Record<string, string>;
  body: string;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('webhooks any receiver can verify (Standard Webhooks)', function () {
  this.timeout(60_000);
  const captured: Captured[] = [];
  let server: Server;
  let base: string;
  let t: TestApp;
  let hooks: WebhookConfig[];

  before(async () => {
    server = createServer((request, response) => {
      void readBody(request).then((body) => {
        const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
        captured.push({ path: request.url ?? '', rawNames: request.rawHeaders.filter((_, index) => index % 2 === 0), headers, body });
        response.writeHead(204).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    hooks = [
      { name: 'crm', url: `${base}/json`, secret: SECRET, format: 'json' },
      { name: 'siem', url: `${base}/set`, secret: SECRET, format: 'set' },
      { name: 'rotating', url: `${base}/rotating`, secret: SECRET, previousSecrets: [PREVIOUS], format: 'json', events: ['user.provisioned'] },
    ];
    t = await startTestApp('standard-webhooks', {}, { webhooksFor: (event) => webhooksFor(event, hooks) });
    const created = await t.scim.post('/Users').send(user('standard.webhooks@example.com'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await deliver();
  });

  after(async () => {
    server.closeAllConnections();
    server.close();
    await t.close();
  });

  async function deliver(): Promise<void> {
    const worker = createWebhookWorker({ events: t.storage.events, webhooks: hooks, owner: 'standard-webhooks', log: () => undefined, pollMs: 10, leaseMs: 3_000, timeoutMs: 1_000, maxBackoffMs: 50 });
    await worker.drain();
    await worker.stop();
  }

  const arrivalsAt = (path: string) => captured.filter((arrival) => arrival.path === path);
  const verify = (secret: string, arrival: Pick<Captured, 'headers' | 'body'>) => new Webhook(secret).verify(arrival.body, arrival.headers, { jsonParse: false });

  it('sends webhook-id, webhook-timestamp and webhook-signature, named exactly as the spec names them', () => {
    assert.ok(captured.length >= 3, `deliveries arrived: ${captured.length}`);
    for (const arrival of captured) {
      for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) assert.ok(arrival.rawNames.includes(name), `${name} in ${arrival.rawNames.join(', ')}`);
      assert.match(arrival.headers['webhook-timestamp'] ?? '', /^\d{10}$/, 'integer Unix seconds');
      assert.ok(Math.abs(Number(arrival.headers['webhook-timestamp']) - Date.now() / 1000) < 60);
      assert.equal(arrival.headers['idempotency-key'], arrival.headers['webhook-id']);
    }
  });

  it('JSON deliveries: the standardwebhooks library accepts them and returns the payload', () => {
    const json = arrivalsAt('/json');
    assert.ok(json.length > 0);
    for (const arrival of json) {
      assert.match(arrival.headers['webhook-signature'] ?? '', /^v1,[A-Za-z0-9+/]{43}=$/, 'one v1 signature, base64 HMAC-SHA256');
      const payload = new Webhook(SECRET).verify(arrival.body, arrival.headers) as { id: string; type: string };
      assert.equal(payload.id, arrival.headers['webhook-id'], 'webhook-id is the event id');
      assert.equal(payload.type, 'user.provisioned');
    }
  });

  it('SET deliveries: the library accepts the request, and the JWS inside verifies with the same key', async () => {
    const sets = arrivalsAt('/set');
    assert.ok(sets.length > 0);
    for (const arrival of sets) {
      assert.equal(arrival.headers['content-type'], 'application/secevent+jwt');
      verify(SECRET, arrival);
      const { payload } = await jwtVerify(arrival.body, signingKey(SECRET), { typ: 'secevent+jwt', algorithms: ['HS256'], audience: `${base}/set` });
      assert.equal(payload.jti, arrival.headers['webhook-id']);
    }
  });

  it('a tampered body, timestamp or id, or another secret, fails verification', () => {
    const [arrival] = arrivalsAt('/json');
    assert.ok(arrival);
    const tampered: [string, Pick<Captured, 'headers' | 'body'>, string][] = [
      ['body', { ...arrival, body: arrival.body.replace('user.provisioned', 'user.deleted') }, SECRET],
      ['body (one trailing space)', { ...arrival, body: `${arrival.body} ` }, SECRET],
      ['timestamp', { ...arrival, headers: { ...arrival.headers, 'webhook-timestamp': String(Number(arrival.headers['webhook-timestamp']) - 1) } }, SECRET],
      ['id', { ...arrival, headers: { ...arrival.headers, 'webhook-id': `${arrival.headers['webhook-id']}x` } }, SECRET],
      ['secret', arrival, UNRELATED],
    ];
    for (const [what, request, secret] of tampered) {
      assert.throws(() => verify(secret, request), WebhookVerificationError, `a changed ${what} is refused`);
    }
    verify(SECRET, arrival);
  });

  it('rotation: previousSecrets add a second signature, so receivers holding either secret verify', () => {
    const rotating = arrivalsAt('/rotating');
    assert.ok(rotating.length > 0);
    for (const arrival of rotating) {
      assert.equal(arrival.headers['webhook-signature']?.split(' ').length, 2, 'space-separated signatures');
      verify(SECRET, arrival);
      verify(PREVIOUS, arrival);
      assert.throws(() => verify(UNRELATED, arrival), WebhookVerificationError);
    }
  });

  it('the same request replayed ten minutes later is refused: the timestamp is signed and checked', () => {
    const [arrival] = arrivalsAt('/json');
    assert.ok(arrival);
    const realNow = Date.now;
    Date.now = () => realNow() + 10 * 60_000;
    try {
      assert.throws(() => verify(SECRET, arrival), /timestamp too old/i);
    } finally {
      Date.now = realNow;
    }
  });
});
