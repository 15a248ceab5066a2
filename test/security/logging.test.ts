import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, logTo } from '../../src/http/logging.js';
import { startTestApp, TEST_TOKEN, user, type TestApp } from '../support/app.js';

const PASSWORD = 'Correct-Horse-Battery-9!';
const NEW_PASSWORD = 'Tr0ub4dor&3-replaced';
const EMAIL = 'pii.person@example.com';

describe('structured logs: one line per request, never tokens, passwords or bodies', () => {
  let t: TestApp;
  const entries: Record<string, unknown>[] = [];

  before(async () => {
    t = await startTestApp('security-logging', {}, { log: (entry) => entries.push(entry) });
  });
  after(() => t.close());

  it('logs request id, method, path, status, duration, tenant and credential', async () => {
    entries.length = 0;
    const response = await t.scim.get('/Users').set('X-Request-Id', 'req-123');
    assert.equal(response.status, 200);
    const lines = entries.filter((entry) => entry['msg'] === 'request');
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line?.['requestId'], 'req-123');
    assert.equal(line?.['method'], 'GET');
    assert.equal(line?.['path'], '/scim/v2/Users');
    assert.equal(line?.['status'], 200);
    assert.equal(typeof line?.['durationMs'], 'number');
    assert.equal(line?.['tenant'], 'default');
    assert.equal(line?.['credential'], 'SCIM_BEARER_TOKEN');
  });

  it('never logs the bearer token, a password or the body, even on failures', async () => {
    entries.length = 0;
    const created = await t.scim.post('/Users').send(user(EMAIL, { password: PASSWORD }));
    assert.equal(created.status, 201);
    const id = String(created.body.id);
    await t.scim.patch(`/Users/${id}`).send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'password', value: NEW_PASSWORD }] });
    await t.scim.post('/Users').send(user(EMAIL, { password: PASSWORD })).expect(409);
    await t.scim.put(`/Users/${id}`).send({ userName: 42, password: PASSWORD }).expect(400);
    await t.scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${EMAIL}"`)}`).expect(200);
    const text = JSON.stringify(entries);
    assert.ok(entries.filter((entry) => entry['msg'] === 'request').length >= 5);
    for (const secret of [TEST_TOKEN, PASSWORD, NEW_PASSWORD, EMAIL]) assert.ok(!text.includes(secret), `${secret} appears in the logs: ${text}`);
    assert.ok(entries.some((entry) => entry['path'] === '/scim/v2/Users' && entry['status'] === 200), 'the query string is dropped');
  });

  it('the pino logger writes one JSON line per entry and censors secret-named fields', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const log = logTo(createLogger(sink));
    log({ level: 'warn', msg: 'careless caller', authorization: `Bearer ${TEST_TOKEN}`, nested: { password: PASSWORD, token: 'abc' }, requestId: 'r1' });
    log({ msg: 'no level' });
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(first['level'], 40);
    assert.equal(first['msg'], 'careless caller');
    assert.equal(first['requestId'], 'r1');
    assert.equal(typeof first['time'], 'string');
    assert.ok(!lines[0]!.includes(TEST_TOKEN) && !lines[0]!.includes(PASSWORD));
    assert.equal((JSON.parse(lines[1]!) as Record<string, unknown>)['level'], 30);
  });
});
