import assert from 'node:assert/strict';
import { ENTERPRISE, LIFECYCLE, USER_SCHEMA } from '../support/app.js';
import { runCli } from '../support/cli.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { startServer } from './server-process.js';

const TOKEN = 'default-policy-token-0123456789';

/**
 * The shipped policy is an example (a fictional company's roles), not a default: a server started
 * without POLICY_FILE runs with the empty policy, grants no role and says so at start.
 */
describe('access policy: none unless POLICY_FILE names one', function () {
  this.timeout(120_000);

  it('a server without POLICY_FILE grants no roles, and logs that it runs with the empty policy', async () => {
    const server = await startServer({ MONGODB_URI: testDatabaseUri(uniqueDbName('default_policy')), SCIM_BEARER_TOKEN: TOKEN });
    try {
      // Under the example policy this employee would get the employee-baseline role (test/lifecycle/joiner.test.ts).
      const response = await fetch(`${server.baseUrl}/scim/v2/Users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/scim+json' },
        body: JSON.stringify({ schemas: [USER_SCHEMA, ENTERPRISE], userName: 'no.policy@example.com', userType: 'Employee', roles: [{ value: 'engineer' }], [ENTERPRISE]: { employeeNumber: 'E-1' } }),
      });
      assert.equal(response.status, 201);
      const lifecycle = ((await response.json()) as Record<string, Record<string, unknown>>)[LIFECYCLE];
      assert.deepEqual(lifecycle?.['grants'], []);
      assert.deepEqual(lifecycle?.['permissions'], []);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const warning = server
      .stderr()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; msg: string; roles?: number })
      .find((entry) => /POLICY_FILE is not set: running with the empty access policy/.test(entry.msg));
    assert.ok(warning, server.stderr());
    assert.equal(warning.level, 40, 'a warning: an operator should notice');
    assert.equal(warning.roles, 0);
  });

  it('policy re-evaluate refuses to run without POLICY_FILE rather than revoke every role the policy granted', async () => {
    const run = await runCli('policy', ['re-evaluate'], { MONGODB_URI: testDatabaseUri(uniqueDbName('default_policy_cli')) });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /POLICY_FILE is not set: set it to the policy file the server runs with/);
  });
});
