import assert from 'node:assert/strict';
import { traceIdOf } from '../../src/http/middleware/trace-context.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { startServer, type RunningServer } from './server-process.js';

interface LogLine {
  level: number;
  time: string;
  msg: string;
  [field: string]: unknown;
}

/** Every stderr line of the process, each required to be a JSON object with level, time and msg. */
function logLines(server: RunningServer): LogLine[] {
  return server
    .stderr()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      let entry: unknown;
      assert.doesNotThrow(() => (entry = JSON.parse(line)), `not a JSON line: ${line}`);
      const { level, time, msg } = entry as LogLine;
      assert.ok(Number.isInteger(level), `no numeric level: ${line}`);
      assert.ok(typeof time === 'string' && !Number.isNaN(Date.parse(time)), `no time: ${line}`);
      assert.equal(typeof msg, 'string', `no msg: ${line}`);
      return entry as LogLine;
    });
}

const requestLines = (lines: LogLine[]) => lines.filter((line) => line.msg === 'request');

/** W3C Trace Context §3.2: the header values a server must take, and those it must ignore. */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const VALID_TRACEPARENTS: [string, string][] = [
  ['the specification’s example', `00-${TRACE_ID}-00f067aa0ba902b7-01`],
  ['flags not sampled', `00-${TRACE_ID}-00f067aa0ba902b7-00`],
  ['a later version with more fields', `cc-${TRACE_ID}-00f067aa0ba902b7-01-what-the-future-brings`],
];
const INVALID_TRACEPARENTS: [string, string][] = [
  ['version ff', `ff-${TRACE_ID}-00f067aa0ba902b7-01`],
  ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
  ['an all-zero parent id', `00-${TRACE_ID}-0000000000000000-01`],
  ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`],
  ['a short trace id', `00-${TRACE_ID.slice(1)}-00f067aa0ba902b7-01`],
  ['version 00 with more fields', `00-${TRACE_ID}-00f067aa0ba902b7-01-extra`],
  ['two headers joined', `00-${TRACE_ID}-00f067aa0ba902b7-01, 00-${TRACE_ID}-00f067aa0ba902b7-01`],
  ['garbage', 'not a trace'],
];

describe('logs: JSON lines only, levels, client errors and trace ids', function () {
  this.timeout(120_000);

  describe('W3C traceparent', () => {
    for (const [what, header] of VALID_TRACEPARENTS) {
      it(`takes the trace id of ${what}`, () => assert.equal(traceIdOf(header), TRACE_ID));
    }
    for (const [what, header] of INVALID_TRACEPARENTS) {
      it(`ignores ${what}`, () => assert.equal(traceIdOf(header), undefined));
    }
  });

  describe('a server process at the default level (info)', () => {
    let server: RunningServer;
    let lines: LogLine[];
    let token: string;

    before(async () => {
      // No SCIM_BEARER_TOKEN: the first start prints a generated token, the one plain-text output.
      server = await startServer({ MONGODB_URI: testDatabaseUri(uniqueDbName('logs_process')) });
      token = /(scim_[A-Za-z0-9_-]{43})/.exec(server.stdout())?.[1] ?? assert.fail(`no token on stdout: ${server.stdout()}`);
      const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' };
      const scim = (path: string, init: RequestInit = {}) => fetch(`${server.baseUrl}/scim/v2${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
      assert.equal((await scim('/Users/no-such-user', { headers: { traceparent: VALID_TRACEPARENTS[0]![1], 'X-Request-Id': 'traced' } })).status, 404);
      assert.equal((await scim('/Users', { method: 'POST', body: '{"userName": 42}', headers: { 'X-Request-Id': 'bad-body' } })).status, 400);
      assert.equal((await scim('/Users', { method: 'POST', body: '{not json', headers: { 'X-Request-Id': 'bad-json' } })).status, 400);
      assert.equal((await scim('/Users?filter=userName%20zz%20%22x%22', { headers: { 'X-Request-Id': 'bad-filter', traceparent: INVALID_TRACEPARENTS[0]![1] } })).status, 400);
      assert.equal((await fetch(`${server.baseUrl}/nowhere`, { headers: { 'X-Request-Id': 'no-route' } })).status, 404);
      assert.equal(await server.stop(), 0);
      lines = logLines(server);
    });

    it('writes only JSON lines with level, time and msg to stderr, start to stop', () => {
      assert.ok(lines.some((line) => /listening on/.test(line.msg)));
      assert.ok(lines.some((line) => line.msg === 'stopped'));
    });

    it('keeps the generated bearer token on stdout for a person, and out of the log', () => {
      assert.match(server.stdout(), /Generated bearer token/);
      assert.ok(!server.stderr().includes(token));
      assert.ok(lines.some((line) => /printed it on stdout/.test(line.msg)));
    });

    it('logs client errors (400, 404) as info request lines naming the error code, without a stack', () => {
      const expected: [string, number, string][] = [
        ['traced', 404, 'notFound'],
        ['bad-body', 400, 'invalidValue'],
        ['bad-json', 400, 'invalidSyntax'],
        ['bad-filter', 400, 'invalidFilter'],
        ['no-route', 404, 'notFound'],
      ];
      for (const [requestId, status, code] of expected) {
        const line = requestLines(lines).find((candidate) => candidate['requestId'] === requestId);
        assert.ok(line, `no request line for ${requestId}`);
        assert.equal(line.status, status);
        assert.equal(line.level, 30, 'info');
        assert.equal(line['error'], code);
      }
      assert.doesNotMatch(server.stderr(), /\\n\s+at |"stack"/, 'no stack trace anywhere');
      assert.ok(!lines.some((line) => line.msg === 'request failed'));
    });

    it('puts a valid traceparent’s trace id on the request line, and ignores an invalid one', () => {
      const traced = requestLines(lines).find((line) => line['requestId'] === 'traced');
      assert.equal(traced?.['traceId'], TRACE_ID);
      assert.equal(traced?.['route'], '/scim/v2/Users/:id');
      const invalid = requestLines(lines).find((line) => line['requestId'] === 'bad-filter');
      assert.ok(invalid && !('traceId' in invalid));
    });
  });

  describe('LOG_LEVEL=warn', () => {
    it('drops info lines: requests and start-up messages are not written, warnings are', async () => {
      const server = await startServer({ MONGODB_URI: testDatabaseUri(uniqueDbName('logs_warn')), SCIM_BEARER_TOKEN: 'logs-warn-token-0123456789', LOG_LEVEL: 'warn' }, { readyWhen: 'answering' });
      assert.equal((await fetch(`${server.baseUrl}/scim/v2/Users`, { headers: { Authorization: 'Bearer logs-warn-token-0123456789' } })).status, 200);
      assert.equal(await server.stop(), 0);
      const lines = logLines(server);
      assert.ok(lines.length > 0);
      assert.ok(lines.every((line) => line.level >= 40), JSON.stringify(lines));
      assert.ok(lines.some((line) => /empty access policy/.test(line.msg)), 'the empty-policy warning is a warning');
    });
  });
});
