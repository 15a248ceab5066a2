import { strict as assert } from 'node:assert';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { testDatabaseUri } from '../support/engine.js';
import { runServerExpectingFailure, startServer, type RunningServer } from './server-process.js';

/**
 * Schema extensions are registered once per process, so a directory other than the default one
 * runs in a server process of its own: a bad file stops it, and a second extension that defines a
 * name the Contoso example also defines makes that unqualified name ambiguous everywhere.
 */

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const CONTOSO = 'urn:ietf:params:scim:schemas:extension:contoso:2.0:User';
const FABRIKAM = 'urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User';
const FABRIKAM_GROUP = 'urn:ietf:params:scim:schemas:extension:fabrikam:2.0:Group';
const TOKEN = 'schema-extensions-test-token-0123456789';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const fabrikamUser = {
  resourceType: 'User',
  required: false,
  schema: { id: FABRIKAM, name: 'FabrikamUser', attributes: [{ name: 'badgeNumber', type: 'string' }, { name: 'floor', type: 'integer' }] },
};
const fabrikamGroup = {
  resourceType: 'Group',
  required: false,
  schema: { id: FABRIKAM_GROUP, name: 'FabrikamGroup', attributes: [{ name: 'costCode', type: 'string', caseExact: true }] },
};

function extensionsDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scim-extensions-'));
  copyFileSync(path.join(REPOSITORY_ROOT, 'schemas', 'extensions', 'contoso-user.json'), path.join(dir, 'contoso-user.json'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), JSON.stringify(content));
  return dir;
}

describe('Schema extensions of another SCHEMA_EXTENSIONS_DIR (server process)', function () {
  this.timeout(120_000);

  it('refuses to start on a bad file, naming file, attribute and problem', async () => {
    const dir = extensionsDir({ 'broken.json': { ...fabrikamUser, schema: { ...fabrikamUser.schema, attributes: [{ name: 'floor', type: 'number' }] } } });
    try {
      const { code, stderr } = await runServerExpectingFailure({ SCHEMA_EXTENSIONS_DIR: dir, SCIM_BEARER_TOKEN: TOKEN });
      assert.equal(code, 1);
      // stderr holds JSON lines: the refusal is a fatal one whose message names file, attribute and problem.
      const messages = stderr.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { msg: string }).msg);
      assert.ok(messages.some((message) => message.includes(`${path.join(dir, 'broken.json')}: attribute "floor": unknown type "number"`)), stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('two extensions that both define badgeNumber, and a Group extension', () => {
    let dir: string;
    let server: RunningServer;
    let userId: string;
    /** This process's app on the same database: it registers the default directory (Contoso only). */
    let t: TestApp;
    let storedBefore: string;
    const scim = async (method: string, pathname: string, body?: unknown) => {
      const response = await fetch(`${server.baseUrl}/scim/v2${pathname}`, {
        method,
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/scim+json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
    };

    before(async () => {
      t = await startTestApp('ext_server');
      storedBefore = (await t.scim.post('/Users').send({ schemas: [USER_SCHEMA], userName: 'stored.before.fabrikam' })).body.id;
      dir = extensionsDir({ 'fabrikam-user.json': fabrikamUser, 'fabrikam-group.json': fabrikamGroup });
      // The suite's engine (or MongoDB), so this process starts no engine of its own.
      server = await startServer({ MONGODB_URI: testDatabaseUri(t.dbName as string), SCHEMA_EXTENSIONS_DIR: dir, SCIM_BEARER_TOKEN: TOKEN });
      const created = await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'two.badges', [CONTOSO]: { badgeNumber: 'C-1' }, [FABRIKAM]: { badgeNumber: 'F-1', floor: 3 } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      userId = created.body['id'];
    });
    after(async () => {
      await server?.stop();
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('advertises both User extensions and the Group extension', async () => {
      const types = await scim('GET', '/ResourceTypes');
      const byId = Object.fromEntries(types.body['Resources'].map((type: { id: string }) => [type.id, type]));
      assert.deepEqual(byId.User.schemaExtensions.map((extension: { schema: string }) => extension.schema).slice(-2), [CONTOSO, FABRIKAM]);
      assert.deepEqual(byId.Group.schemaExtensions, [{ schema: FABRIKAM_GROUP, required: false }]);
      assert.equal((await scim('GET', `/Schemas/${FABRIKAM_GROUP}`)).body['name'], 'FabrikamGroup');
    });

    const ambiguous: [string, string, string][] = [
      ['a PATCH path', 'PATCH', 'path'],
      ['a path-less PATCH key', 'PATCH', 'pathless'],
      ['a filter', 'GET', 'filter'],
      ['attributes=', 'GET', 'attributes'],
      ['excludedAttributes=', 'GET', 'excludedAttributes'],
      ['sortBy', 'GET', 'sortBy'],
    ];
    for (const [label, method, where] of ambiguous) {
      it(`answers 400 invalidPath for the unqualified name in ${label}`, async () => {
        const response =
          method === 'PATCH'
            ? await scim('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [where === 'path' ? { op: 'replace', path: 'badgeNumber', value: 'X' } : { op: 'replace', value: { badgeNumber: 'X' } }] })
            : await scim('GET', `/Users?${new URLSearchParams({ [where]: where === 'filter' ? 'badgeNumber eq "C-1"' : 'badgeNumber' })}`);
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assert.equal(response.body['scimType'], 'invalidPath');
        assert.ok(String(response.body['detail']).includes(CONTOSO) && String(response.body['detail']).includes(FABRIKAM), response.body['detail']);
      });
    }

    it('still resolves names only one extension defines, and URN-qualified ones', async () => {
      const found = await scim('GET', `/Users?${new URLSearchParams({ filter: `floor eq 3 and ${FABRIKAM}:badgeNumber eq "F-1"`, attributes: `${CONTOSO}:badgeNumber,floor` })}`);
      assert.equal(found.status, 200, JSON.stringify(found.body));
      assert.deepEqual(found.body['Resources'][0][CONTOSO], { badgeNumber: 'C-1' });
      assert.deepEqual(found.body['Resources'][0][FABRIKAM], { floor: 3 });
      const patched = await scim('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'floor', value: 4 }, { op: 'replace', path: `${CONTOSO}:badgeNumber`, value: 'C-2' }] });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(patched.body[FABRIKAM], { badgeNumber: 'F-1', floor: 4 });
      assert.deepEqual(patched.body[CONTOSO], { badgeNumber: 'C-2' });
    });

    it('sorts users stored before the extension existed as absent (last ascending)', async () => {
      const valued = await scim('POST', '/Users', { schemas: [USER_SCHEMA, FABRIKAM], userName: 'sorted.fabrikam', [FABRIKAM]: { badgeNumber: 'F-0' } });
      const later = await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'later.fabrikam' });
      const filter = 'userName ew ".fabrikam"';
      const ascending = await scim('GET', `/Users?${new URLSearchParams({ filter, sortBy: `${FABRIKAM}:badgeNumber` })}`);
      assert.deepEqual(ascending.body['Resources'].map((user: { id: string }) => user.id).slice(0, 1), [valued.body['id']]);
      assert.deepEqual(ascending.body['Resources'].map((user: { id: string }) => user.id).slice(1).sort(), [storedBefore, later.body['id']].sort());
    });

    it("keeps an extension's values when a process that does not know it rewrites the user", async () => {
      const created = await scim('POST', '/Users', { schemas: [USER_SCHEMA, CONTOSO, FABRIKAM], userName: 'kept.fabrikam', [CONTOSO]: { badgeNumber: 'C-5' }, [FABRIKAM]: { floor: 7 } });
      const id = created.body['id'];
      const replaced = await t.scim.put(`/Users/${id}`).send({ schemas: [USER_SCHEMA, CONTOSO], userName: 'kept.fabrikam', title: 'Rewritten', [CONTOSO]: { badgeNumber: 'C-6' } });
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
      assert.equal(replaced.body[FABRIKAM], undefined, 'not returned where the extension is unknown');
      const read = await scim('GET', `/Users/${id}`);
      assert.equal(read.body['title'], 'Rewritten');
      assert.deepEqual(read.body[CONTOSO], { badgeNumber: 'C-6' });
      assert.deepEqual(read.body[FABRIKAM], { floor: 7 });
      const found = await scim('GET', `/Users?${new URLSearchParams({ filter: 'floor gt 6 and userName eq "kept.fabrikam"' })}`);
      assert.equal(found.body['totalResults'], 1);
    });

    it('stores, filters and patches a Group extension', async () => {
      const created = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA, FABRIKAM_GROUP], displayName: 'cost-centre', [FABRIKAM_GROUP]: { costCode: 'CC-1' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body['schemas'], [GROUP_SCHEMA, FABRIKAM_GROUP]);
      const patched = await scim('PATCH', `/Groups/${created.body['id']}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'costCode', value: 'CC-2' }] });
      assert.equal(patched.status, 204, JSON.stringify(patched.body));
      const found = await scim('GET', `/Groups?${new URLSearchParams({ filter: 'costCode eq "CC-2"' })}`);
      assert.deepEqual(found.body['Resources'].map((group: { id: string }) => group.id), [created.body['id']]);
      assert.equal((await scim('GET', `/Groups?${new URLSearchParams({ filter: 'costCode eq "cc-2"' })}`)).body['totalResults'], 0, 'caseExact as declared');
    });
  });
});
