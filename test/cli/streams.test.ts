import { strict as assert } from 'node:assert';
import { startTestApp, type TestApp } from '../support/app.js';
import { testDatabaseUri } from '../support/engine.js';
import { runCli } from '../support/cli.js';
import { decodeSet, poll } from '../support/streams.js';

/** `npm run streams` and `npm run tokens -- create --stream`: a pulling app's stream set up from the shell. */
describe('npm run streams (CLI)', function () {
  this.timeout(120_000);
  let t: TestApp;
  const env = () => ({ MONGODB_URI: testDatabaseUri(t.dbName!) });
  const streams = (...args: string[]) => runCli('streams', args, env());

  before(async () => {
    t = await startTestApp('cli-streams');
  });

  after(() => t.close());

  it('create, bind a token, poll, list with the backlog, change the types, delete', async () => {
    const created = await streams('create', '--name', 'hr-app');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created event stream "hr-app" in tenant "default" \(every event type\); its receiver polls POST \/streams\/hr-app\/poll/);

    const issued = await runCli('tokens', ['create', '--name', 'hr-app', '--scopes', 'scim:read', '--stream', 'hr-app'], env());
    assert.equal(issued.code, 0, issued.stderr);
    assert.match(issued.stderr, /polls event stream "hr-app"/);
    const token = issued.stdout.trim();

    const id = String((await t.scim.post('/Users').send({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'cli-stream@example.com' })).body.id);
    assert.equal((await t.scim.delete(`/Users/${id}`)).status, 204);

    const listed = await streams('list');
    assert.equal(listed.code, 0, listed.stderr);
    const [header, row] = listed.stdout.trim().split('\n');
    assert.match(header ?? '', /^TENANT\s+NAME\s+EVENTS\s+BACKLOG\s+OLDEST \(s\)\s+FAILED\s+CREATED$/);
    assert.match(row ?? '', /^default\s+hr-app\s+all\s+\d+\s+\d+\s+0\s+\d{4}-/);

    const answer = await poll(t, token, 'hr-app');
    assert.equal(answer.status, 200);
    assert.ok(Object.values(answer.sets).some((set) => 'urn:ietf:params:scim:event:prov:delete' in (decodeSet(set).claims.events ?? {})));

    const changed = await streams('set-events', '--name', 'hr-app', '--events', 'user.deleted,user.deactivated');
    assert.equal(changed.code, 0, changed.stderr);
    const shown = await streams('show', '--name', 'hr-app');
    assert.deepEqual(JSON.parse(shown.stdout).events, ['user.deactivated', 'user.deleted']);
    const json = JSON.parse((await streams('list', '--json')).stdout) as { name: string; backlog: { pending: number } }[];
    assert.equal(json[0]?.name, 'hr-app');
    assert.ok((json[0]?.backlog.pending ?? 0) > 0);

    const deleted = await streams('delete', '--name', 'hr-app');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await poll(t, token, 'hr-app')).status, 404);
    assert.match((await streams('list')).stdout, /^no event streams$/m);
  });

  it('wrong arguments, names and types: one line naming the command, exit 2, nothing opened', async () => {
    const cases: [string[], string][] = [
      [[], 'streams: missing command (create, list, show, set-events, delete)'],
      [['publish'], 'streams: unknown command "publish" (create, list, show, set-events, delete)'],
      [['create'], 'streams create: --name is required'],
      [['create', '--name', 'Bad Name'], 'streams create: --name: the stream name must be 1-64 lower-case letters, digits, "-" or "_", not "Bad Name"'],
      [['create', '--name', 'x', '--events', 'user.exploded'], 'streams create: --events: "user.exploded" is not an event type'],
      [['create', '--name', 'x', '--json'], 'streams create: unknown option "--json"'],
      [['list', '--colour'], 'streams list: unknown option "--colour"'],
      [['set-events', '--name', 'x'], 'streams set-events: --events is required'],
    ];
    for (const [args, message] of cases) {
      const run = await runCli('streams', args, { MONGODB_URI: 'mongodb://127.0.0.1:1/unused' });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.equal(run.stderr.split('\n').length, 2, `one line: ${run.stderr}`);
      assert.ok(run.stderr.startsWith(message), `${args.join(' ')}: ${run.stderr}`);
    }
  });

  it('refusals of the stream service and of tokens --stream: one line, exit 1', async () => {
    for (const [args, message] of [
      [['show', '--name', 'nope'], /^streams show: No event stream named "nope"/],
      [['delete', '--name', 'nope'], /^streams delete: No event stream named "nope"/],
    ] as [string[], RegExp][]) {
      const run = await streams(...args);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr.split('\n').filter((line) => !line.startsWith('[streams]')).join('\n'), message);
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    }
    assert.equal((await streams('create', '--name', 'twice')).code, 0);
    const again = await streams('create', '--name', 'twice');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^streams create: .*already exists/m);
    const unbound = await runCli('tokens', ['create', '--name', 'orphan', '--scopes', 'scim:read', '--stream', 'nope'], env());
    assert.equal(unbound.code, 1);
    assert.match(unbound.stderr, /--stream: no event stream named "nope" in tenant "default"/);
    const noRead = await runCli('tokens', ['create', '--name', 'auditor', '--scopes', 'audit:read', '--stream', 'twice'], env());
    assert.equal(noRead.code, 2, 'a usage error: nothing was opened');
    assert.match(noRead.stderr, /needs the scim:read scope/);
  });
});
