import assert from 'node:assert/strict';
import { ENTERPRISE, GROUP_SCHEMA, startTestApp, USER_SCHEMA, type TestApp } from '../support/app.js';
import {
  assertEmptyList,
  context,
  dottedOrUrnKeys,
  entraClient,
  expectStatus,
  ids,
  listOf,
  MS_GROUP_SCHEMA,
  patchOp,
  qs,
  sortedIds,
  storedGroup,
  storedMemberIds,
  storedUser,
  type Body,
  type Client,
} from './interop-helpers.js';

/**
 * Microsoft Entra ID with the `aadOptscim062020` feature flag set on the tenant URL (the flag is
 * Entra's side: it changes what Entra sends). Lowercase ops, real booleans, path-less value objects
 * whose keys are attribute paths (dotted and URN-prefixed), member removal by a value filter.
 */
describe('interop: Microsoft Entra ID with the aadOptscim062020 flag', () => {
  let t: TestApp;
  let entra: Client;
  let janeId: string;
  let johnId: string;
  let bossId: string;
  let groupId: string;

  const stored = async (id: string): Promise<Record<string, any>> => {
    const record = await storedUser(t, id);
    assert.ok(record, `user ${id} is stored`);
    return record.attributes;
  };
  const patchUser = async (id: string, ...operations: Body[]): Promise<Body | undefined> => {
    const response = await entra.patch(`/Users/${id}`, patchOp(...operations));
    expectStatus(response, 200, 204);
    return response.status === 200 ? (response.body as Body) : undefined;
  };

  before(async () => {
    t = await startTestApp('interop-entra-flag');
    entra = entraClient(t);
  });

  after(async () => {
    await t.close();
  });

  it('creates users with real booleans and the enterprise extension', async () => {
    const created: string[] = [];
    for (const [userName, externalId] of [
      ['jane.doe@contoso.com', 'jdoe'],
      ['john.roe@contoso.com', 'jroe'],
      ['the.boss@contoso.com', 'boss'],
    ] as const) {
      assertEmptyList(listOf(await entra.get(`/Users${qs({ filter: `userName eq "${userName}"` })}`)));
      const response = await entra.post('/Users', {
        schemas: [USER_SCHEMA, ENTERPRISE],
        externalId,
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: userName }],
        meta: { resourceType: 'User' },
        name: { formatted: userName, givenName: 'Given', familyName: 'Family' },
        roles: [],
        [ENTERPRISE]: { department: 'Engineering' },
      });
      assert.equal(response.status, 201, context(response));
      assert.equal(response.body['active'], true);
      created.push(String(response.body['id']));
    }
    [janeId, johnId, bossId] = created as [string, string, string];
    assert.equal((await stored(janeId))['active'], true);
  });

  it('path-less "add" with dotted and URN keys sets the addressed attributes (no literal "name.givenName" key)', async () => {
    const body = await patchUser(janeId, {
      op: 'add',
      value: {
        'name.givenName': 'Jane',
        'name.familyName': 'Doe',
        title: 'Engineer',
        [`${ENTERPRISE}:employeeNumber`]: '12345',
        [`${ENTERPRISE}:costCenter`]: 'CC-7',
      },
    });
    const attributes = await stored(janeId);
    assert.deepEqual(attributes['name'], { formatted: 'jane.doe@contoso.com', givenName: 'Jane', familyName: 'Doe' });
    assert.equal(attributes['title'], 'Engineer');
    assert.deepEqual(attributes[ENTERPRISE], { department: 'Engineering', employeeNumber: '12345', costCenter: 'CC-7' });
    assert.deepEqual(dottedOrUrnKeys(attributes), [], 'a path was stored as a literal key');
    if (body) {
      assert.equal(body['name']['givenName'], 'Jane');
      assert.equal(body[ENTERPRISE]['employeeNumber'], '12345');
      assert.deepEqual(dottedOrUrnKeys(body), []);
    }
  });

  it('path-less "replace" with dotted, URN and plain keys, including a real boolean', async () => {
    await patchUser(johnId, {
      op: 'replace',
      value: {
        displayName: 'John Roe',
        'name.givenName': 'John',
        [`${ENTERPRISE}:department`]: 'Research',
        [`${ENTERPRISE}:manager`]: bossId,
        active: true,
      },
    });
    const attributes = await stored(johnId);
    assert.equal(attributes['displayName'], 'John Roe');
    assert.equal(attributes['name']['givenName'], 'John');
    assert.equal(attributes['name']['familyName'], 'Family', 'replace of name.givenName leaves familyName');
    assert.deepEqual(attributes[ENTERPRISE], { department: 'Research', manager: { value: bossId } });
    assert.equal(attributes['active'], true);
    assert.deepEqual(dottedOrUrnKeys(attributes), []);
  });

  it('lowercase filtered paths: replace a work email, add a mobile phone', async () => {
    await patchUser(
      janeId,
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'jane.doe@fabrikam.com' },
      { op: 'add', path: 'phoneNumbers[type eq "mobile"].value', value: '+44 20 7946 0000' },
    );
    const attributes = await stored(janeId);
    assert.deepEqual(attributes['emails'], [{ primary: true, type: 'work', value: 'jane.doe@fabrikam.com' }]);
    assert.deepEqual(attributes['phoneNumbers'], [{ type: 'mobile', value: '+44 20 7946 0000' }]);
  });

  it('disable with {"op":"replace","value":{"active":false}}; the user is still returned; enable again', async () => {
    const body = await patchUser(janeId, { op: 'replace', value: { active: false } });
    if (body) assert.equal(body['active'], false);
    assert.equal((await stored(janeId))['active'], false);
    const got = await entra.get(`/Users/${janeId}`);
    assert.equal(got.status, 200, context(got));
    assert.equal(got.body['active'], false);
    const list = listOf(await entra.get(`/Users${qs({ filter: 'externalId eq "jdoe"' })}`));
    assert.deepEqual(ids(list.Resources), [janeId]);

    await patchUser(janeId, { op: 'replace', path: 'active', value: true });
    assert.equal((await stored(janeId))['active'], true);
  });

  it('removing the manager and an enterprise attribute by URN path (lowercase remove)', async () => {
    await patchUser(johnId, { op: 'remove', path: `${ENTERPRISE}:manager` }, { op: 'remove', path: 'name.givenName' });
    const attributes = await stored(johnId);
    assert.deepEqual(attributes[ENTERPRISE], { department: 'Research' });
    assert.deepEqual(attributes['name'], { formatted: 'john.roe@contoso.com', familyName: 'Family' });
  });

  it('POST /Groups, then add two members with a lowercase "add"', async () => {
    const response = await entra.post('/Groups', { schemas: [GROUP_SCHEMA, MS_GROUP_SCHEMA], externalId: 'grp-eng', displayName: 'Engineering', meta: { resourceType: 'Group' } });
    assert.equal(response.status, 201, context(response));
    groupId = String(response.body['id']);
    const patched = await entra.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: janeId }, { value: johnId }, { value: bossId }] }));
    assert.equal(patched.status, 204, context(patched));
    assert.deepEqual(await storedMemberIds(t, groupId), sortedIds([janeId, johnId, bossId]));
  });

  it('removes a member with path members[value eq "<id>"]', async () => {
    const response = await entra.patch(`/Groups/${groupId}`, patchOp({ op: 'remove', path: `members[value eq "${johnId}"]` }));
    assert.equal(response.status, 204, context(response));
    assert.deepEqual(await storedMemberIds(t, groupId), sortedIds([janeId, bossId]));
    assert.deepEqual((await storedUser(t, johnId))?.groupIds, []);
    assert.deepEqual((await storedUser(t, janeId))?.groupIds, [groupId]);
  });

  it('renames with a path-less replace {"id","displayName"} and removes another member in one request', async () => {
    const response = await entra.patch(
      `/Groups/${groupId}`,
      patchOp({ op: 'replace', value: { id: groupId, displayName: 'Engineering (all)' } }, { op: 'remove', path: `members[value eq "${bossId}"]` }),
    );
    assert.equal(response.status, 204, context(response));
    assert.equal((await storedGroup(t, groupId))?.attributes['displayName'], 'Engineering (all)');
    assert.deepEqual(await storedMemberIds(t, groupId), [janeId]);
    const got = await entra.get(`/Groups/${groupId}`);
    assert.equal(got.body['displayName'], 'Engineering (all)');
    assert.deepEqual(got.body['members'].map((m: Body) => m['value']), [janeId]);
  });

  it('tolerates the flag echoed as a query parameter on a lookup', async () => {
    const body = listOf(await entra.get(`/Users?aadOptscim062020&filter=${encodeURIComponent('userName eq "jane.doe@contoso.com"')}`));
    assert.deepEqual(ids(body.Resources), [janeId]);
  });
});
