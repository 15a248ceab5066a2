import assert from 'node:assert/strict';
import supertest from 'supertest';
import { webhooksFor } from '../../src/lifecycle/webhooks/webhook-config.js';
import { user } from '../support/app.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../support/browser.js';
import { deliveryRound } from '../support/console-data.js';
import { createStream, STREAM_ADMIN_TOKEN } from '../support/streams.js';

const SECRET = 'whsec_dGVzdC13ZWJob29rLWtleS0wMTIzNDU2Nzg5YWJjZGVm';
const WEBHOOKS = [
  { name: 'crm', url: 'https://crm.example.com/hooks/scim?key=receiver-secret', secret: SECRET, format: 'json' as const },
  { name: 'siem', url: 'https://siem.example.com/ingest', secret: SECRET, format: 'set' as const, events: ['user.deactivated' as const] },
];

/** The table rows under a caption, as cell texts. */
async function rows(c: ConsoleBrowser, caption: RegExp): Promise<string[][]> {
  const tables = await c.page.$$eval('table', (found) => found.map((table) => ({ caption: table.caption?.textContent ?? '', rows: [...table.tBodies[0]!.rows].map((row) => [...row.cells].map((cell) => cell.textContent ?? '')) })));
  const table = tables.find((candidate) => caption.test(candidate.caption));
  assert.ok(table, `a table captioned ${caption}`);
  return table.rows;
}

describe('Console: webhooks and streams', function () {
  this.timeout(60_000);
  let c: ConsoleBrowser;
  let receiverStatus = 503;
  const attempts: string[] = [];
  let eventId = '';

  /** One round of the delivery worker; each attempt is recorded. */
  const deliverOnce = (clockAheadMs = 0) =>
    deliveryRound(c.t, WEBHOOKS, (url) => {
      attempts.push(url);
      return receiverStatus;
    }, clockAheadMs);

  before(async () => {
    c = await startConsoleBrowser('console-webhooks', { ADMIN_TOKEN: STREAM_ADMIN_TOKEN, WEBHOOKS: JSON.stringify(WEBHOOKS) }, { webhooksFor: (event) => webhooksFor(event, WEBHOOKS) });
    await createStream(c.t, 'payroll-feed');
    const created = await c.t.scim.post('/Users').send(user('owed@example.com'));
    assert.equal(created.status, 201);
    await deliverOnce(3_600_000);
    // The stream's receiver reports that it could not use the event.
    const stream = await c.t.storage.streams.get('default', 'payroll-feed');
    const [queued] = await c.t.storage.streams.pending(stream!, 1);
    eventId = queued!.event.id;
    await c.t.storage.streams.reportErrors(stream!, [{ eventId, err: 'invalid_request', description: 'unknown employee', reportedAt: new Date() }]);
    await c.signInWith(['audit:read', 'tokens:manage'], 'operator');
  });
  after(() => c.close());

  it('shows each webhook’s backlog, failures and last error, and never the receiver’s path or query', async () => {
    await c.visit('/webhooks');
    const shown = await rows(c, /Webhook receivers/);
    assert.deepEqual(
      shown.map((row) => row.slice(0, 5).concat(row[6] ?? '')),
      [
        ['crm', 'https://crm.example.com (json)', 'all', '1', '1', 'HTTP 503'],
        ['siem', 'https://siem.example.com (set)', 'user.deactivated', '0', '0', '—'],
      ],
    );
    assert.equal((await c.page.content()).includes('receiver-secret'), false);
    const readyz = (await supertest(c.t.app).get('/readyz')).body as { webhooks: { name: string; backlog: number }[] };
    assert.deepEqual(readyz.webhooks.map((webhook) => [webhook.name, String(webhook.backlog)]), shown.map((row) => [row[0], row[3]]));
    assert.deepEqual(c.takeErrors(), []);
  });

  it('shows the tenant’s streams with their backlog and the last error their receiver reported, as /admin/streams does', async () => {
    const api = (await supertest(c.t.app).get('/admin/streams/payroll-feed').set('Authorization', `Bearer ${STREAM_ADMIN_TOKEN}`)).body as { backlog: { pending: number; failed: number } };
    const [row] = await rows(c, /Event streams/);
    assert.equal(row?.[0], 'payroll-feed');
    assert.equal(row?.[2], String(api.backlog.pending));
    assert.equal(row?.[3], String(api.backlog.failed));
    assert.match(row?.[5] ?? '', /^invalid_request: unknown employee/);
  });

  it('"retry now" makes the failed delivery due at once; the next round delivers it', async () => {
    const before = attempts.length;
    await deliverOnce();
    assert.equal(attempts.length, before, 'backing off: not attempted yet');
    await c.visit('/webhooks');
    await Promise.all([c.page.waitForNavigation(), c.page.click('form[action="/console/webhooks/retry"] button')]);
    assert.match(await c.page.$eval('[role="status"]', (status) => status.textContent ?? ''), /1 delivery to "crm" will be retried now/);
    receiverStatus = 204;
    await deliverOnce();
    assert.equal(attempts.length, before + 1);
    await c.visit('/webhooks');
    assert.deepEqual((await rows(c, /Webhook receivers/))[0]?.slice(3, 5), ['0', '0']);
    assert.equal(await c.page.$('form[action="/console/webhooks/retry"]'), null, 'nothing left to retry');
  });

  it('an audit:read session sees the receivers but no retry; a retry it posts is refused (403)', async () => {
    await c.page.deleteCookie(...(await c.page.cookies()));
    await c.signInWith(['audit:read']);
    await c.visit('/webhooks');
    assert.equal(await c.page.$('form[action="/console/webhooks/retry"]'), null);
    const answer = await c.post('/webhooks/retry', { _csrf: await c.csrfToken(), name: 'crm' });
    assert.equal(answer.status, 403);
  });

  it('a retry without the CSRF token is refused (403)', async () => {
    const answer = await c.post('/webhooks/retry', { name: 'crm' });
    assert.equal(answer.status, 403);
    assert.match(answer.text, /Form refused/);
  });
});
