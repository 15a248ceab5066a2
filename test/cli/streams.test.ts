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

  it('exits 1 with a clear message on bad arguments, names and types', async () => {
    const cases: [string[], RegExp][] = [
      [[], /missing command/],
      [['publish'], /unknown command "publish"/],
      [['create'], /create needs --name/],
      [['create', '--name', 'Bad Name'], /The stream name must be 1-64 lower-case letters/],
      [['create', '--name', 'x', '--events', 'user.exploded'], /--events: "user\.exploded" is not an event type/],
      [['create', '--name', 'x', '--json'], /unknown option "--json" for create/],
      [['list', '--colour'], /Unknown option '--colour'/],
      [['show', '--name', 'nope'], /No event stream named "nope"/],
      [['delete', '--name', 'nope'], /No event stream named "nope"/],
    ];
    for (const [args, message] of cases) {
      const run = await streams(...args);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    }
    assert.equal((await streams('create', '--name', 'twice')).code, 0);
    assert.match((await streams('create', '--name', 'twice')).stderr, /already exists/);
    const unbound = await runCli('tokens', ['create', '--name', 'orphan', '--scopes', 'scim:read', '--stream', 'nope'], env());
    assert.equal(unbound.code, 1);
    assert.match(unbound.stderr, /--stream: no event stream named "nope" in tenant "default"/);
    const noRead = await runCli('tokens', ['create', '--name', 'auditor', '--scopes', 'audit:read', '--stream', 'twice'], env());
    assert.equal(noRead.code, 1);
    assert.match(noRead.stderr, /needs the scim:read scope/);
  });
});
