import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { assertScimError, ENTERPRISE, GROUP_SCHEMA, startTestApp, USER_SCHEMA, type TestApp } from '../support/app.js';
import {
  assertEmptyList,
  context,
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
 * Microsoft Entra ID provisioning in its default (non-flag) mode: discovery, test connection,
 * matching lookups, legacy create bodies, capitalised PATCH ops with string booleans and filtered
 * paths, manager changes, groups, disable, hard delete and paging.
 */
describe('interop: Microsoft Entra ID, default mode', () => {
  let t: TestApp;
  let entra: Client;
  let managerId: string;
  let otherManagerId: string;
  let ryanId: string;
  let groupId: string;
  let groupName = 'Sales Team';

  const getUser = async (id: string): Promise<Body> => {
    const response = await entra.get(`/Users/${id}`);
    assert.equal(response.status, 200, context(response));
    return response.body as Body;
  };
  const stored = async (id: string): Promise<Record<string, any>> => {
    const record = await storedUser(t, id);
    assert.ok(record, `user ${id} is stored`);
    return record.attributes;
  };
  /** Default-mode user PATCHes answer 200 (with the user) or 204; the stored result is what counts. */
  const patchUser = async (id: string, ...operations: Body[]): Promise<void> => {
    const response = await entra.patch(`/Users/${id}`, patchOp(...operations));
    expectStatus(response, 200, 204);
  };

  before(async () => {
    t = await startTestApp('interop-entra-default');
    entra = entraClient(t);
  });

  after(async () => {
    await t.close();
  });

  it('saving provisioning: GET /Schemas lists the User, Group and enterprise schemas with their attribute names', async () => {
    const body = listOf(await entra.get('/Schemas'));
    const byId = new Map(body.Resources.map((schema) => [String(schema['id']).toLowerCase(), schema]));
    const attributeNames = (urn: string): string[] => {
      const schema = byId.get(urn.toLowerCase());
      assert.ok(schema, `schema ${urn} is listed`);
      assert.ok(Array.isArray(schema['attributes']));
      return (schema['attributes'] as Body[]).map((attribute) => String(attribute['name']).toLowerCase());
    };
    const user = attributeNames(USER_SCHEMA);
    for (const name of ['username', 'name', 'displayname', 'emails', 'phonenumbers', 'addresses', 'active', 'title', 'groups']) {
      assert.ok(user.includes(name), `User schema has ${name}: ${user.join(', ')}`);
    }
    const name = (byId.get(USER_SCHEMA.toLowerCase())!['attributes'] as Body[]).find((attribute) => attribute['name'] === 'name');
    assert.ok((name?.['subAttributes'] as Body[]).some((sub) => sub['name'] === 'givenName'));
    const group = attributeNames(GROUP_SCHEMA);
    assert.ok(group.includes('displayname') && group.includes('members'), group.join(', '));
    const enterprise = attributeNames(ENTERPRISE);
    for (const attribute of ['employeenumber', 'department', 'manager']) assert.ok(enterprise.includes(attribute), enterprise.join(', '));

    const types = listOf(await entra.get('/ResourceTypes'));
    assert.deepEqual(types.Resources.map((type) => type['name']).sort(), ['Group', 'User']);
    assert.equal((await entra.get('/ServiceProviderConfig')).status, 200);
  });

  it('test connection: userName eq "<random GUID>" → 200 with an empty ListResponse', async () => {
    assertEmptyList(listOf(await entra.get(`/Users${qs({ filter: `userName eq "${randomUUID()}"` })}`)));
  });

  it('creates the manager: lookup by userName (empty), then a legacy POST with nulls, "active": "True" and roles: []', async () => {
    assertEmptyList(listOf(await entra.get(`/Users${qs({ filter: 'userName eq "Kim.Manager@contoso.com"' })}`)));
    const response = await entra.post('/Users', {
      schemas: [USER_SCHEMA, ENTERPRISE],
      externalId: 'kmanager',
      userName: 'Kim.Manager@contoso.com',
      active: 'True',
      displayName: 'Kim Manager',
      title: null,
      emails: null,
      meta: { resourceType: 'User' },
      name: { formatted: 'Kim Manager', familyName: 'Manager', givenName: 'Kim', middleName: null },
      roles: [],
      [ENTERPRISE]: { employeeNumber: '1001', department: 'Sales', manager: null },
    });
    assert.equal(response.status, 201, context(response));
    managerId = String(response.body['id']);
    assert.equal(response.body['active'], true, '"True" is stored as the boolean true');
    assert.equal('title' in response.body, false);
    assert.equal('emails' in response.body, false);
    assert.deepEqual(response.body['name'], { formatted: 'Kim Manager', familyName: 'Manager', givenName: 'Kim' });
    assert.deepEqual(response.body[ENTERPRISE], { employeeNumber: '1001', department: 'Sales' });
    // The core schema first, the enterprise extension because it has values (server-side extensions may follow).
    assert.equal(response.body['schemas'][0], USER_SCHEMA);
    assert.ok(response.body['schemas'].includes(ENTERPRISE), JSON.stringify(response.body['schemas']));
    const attributes = await stored(managerId);
    assert.equal(attributes['active'], true);
    assert.equal('title' in attributes, false);
    assert.deepEqual(attributes[ENTERPRISE], { employeeNumber: '1001', department: 'Sales' });

    const other = await entra.post('/Users', { schemas: [USER_SCHEMA], externalId: 'omanager', userName: 'Other.Manager@contoso.com', active: 'True' });
    assert.equal(other.status, 201, context(other));
    otherManagerId = String(other.body['id']);
  });

  it('creates a report with the enterprise extension (employeeNumber, department, manager)', async () => {
    const response = await entra.post('/Users', {
      schemas: [USER_SCHEMA, ENTERPRISE],
      externalId: 'ryan',
      userName: 'Ryan@contoso.com',
      active: 'True',
      displayName: 'Ryan Leenay',
      emails: [{ primary: true, type: 'work', value: 'Ryan@contoso.com' }],
      meta: { resourceType: 'User' },
      name: { familyName: 'Leenay', givenName: 'Ryan' },
      title: null,
      preferredLanguage: 'en-US',
      [ENTERPRISE]: { employeeNumber: '701984', department: 'Sales', manager: { value: managerId } },
    });
    assert.equal(response.status, 201, context(response));
    ryanId = String(response.body['id']);
    assert.equal(response.body['active'], true);
    assert.equal(response.body[ENTERPRISE]['employeeNumber'], '701984');
    assert.equal(response.body[ENTERPRISE]['department'], 'Sales');
    assert.equal(response.body[ENTERPRISE]['manager']['value'], managerId);
    const attributes = await stored(ryanId);
    assert.equal(attributes['active'], true);
    assert.deepEqual(attributes[ENTERPRISE], { employeeNumber: '701984', department: 'Sales', manager: { value: managerId } });
  });

  // Entra's matching lookups, by each attribute it may be configured to match on.
  for (const filter of [
    'userName eq "ryan@contoso.com"',
    'externalId eq "ryan"',
    'externalId eq ryan',
    'emails[type eq "work"].value eq "Ryan@contoso.com"',
  ]) {
    it(`matching lookup ${filter} finds exactly the report`, async () => {
      const body = listOf(await entra.get(`/Users${qs({ filter })}`));
      assert.equal(body.totalResults, 1);
      assert.deepEqual(ids(body.Resources), [ryanId]);
    });
  }

  it('unquoted externalId of an absent user is an empty list, not an error', async () => {
    assertEmptyList(listOf(await entra.get(`/Users${qs({ filter: 'externalId eq nobody' })}`)));
  });

  it('PATCH with capitalised ops: Replace displayName, Replace a work email, Replace name.familyName', async () => {
    await patchUser(
      ryanId,
      { op: 'Replace', path: 'displayName', value: 'Ryan L.' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'ryan.leenay@contoso.com' },
      { op: 'Replace', path: 'name.familyName', value: 'Leenay-Smith' },
    );
    const attributes = await stored(ryanId);
    assert.equal(attributes['displayName'], 'Ryan L.');
    assert.deepEqual(attributes['emails'], [{ primary: true, type: 'work', value: 'ryan.leenay@contoso.com' }], 'the work email is updated, not duplicated');
    assert.deepEqual(attributes['name'], { familyName: 'Leenay-Smith', givenName: 'Ryan' });
  });

  it('Add to emails/phoneNumbers/addresses filtered paths creates the missing elements', async () => {
    await patchUser(
      managerId,
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'kim.manager@contoso.com' },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 425 555 0100' },
      { op: 'Add', path: 'addresses[type eq "work"].streetAddress', value: '1 Microsoft Way' },
      { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Redmond' },
      { op: 'Add', path: 'addresses[type eq "work"].postalCode', value: '98052' },
    );
    const attributes = await stored(managerId);
    assert.deepEqual(attributes['emails'], [{ type: 'work', value: 'kim.manager@contoso.com' }]);
    assert.deepEqual(attributes['phoneNumbers'], [{ type: 'mobile', value: '+1 425 555 0100' }]);
    assert.deepEqual(attributes['addresses'], [{ type: 'work', streetAddress: '1 Microsoft Way', locality: 'Redmond', postalCode: '98052' }]);
    const user = await getUser(managerId);
    assert.deepEqual(user['addresses'], attributes['addresses']);
    // Now that it exists, Entra's lookup on the work email finds it.
    const body = listOf(await entra.get(`/Users${qs({ filter: 'emails[type eq "work"].value eq "kim.manager@contoso.com"' })}`));
    assert.deepEqual(ids(body.Resources), [managerId]);
  });

  it('Replace of an enterprise attribute by URN path', async () => {
    await patchUser(ryanId, { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Marketing' });
    const attributes = await stored(ryanId);
    assert.equal(attributes[ENTERPRISE]['department'], 'Marketing');
    assert.equal(attributes[ENTERPRISE]['employeeNumber'], '701984', 'other enterprise attributes stay');
    assert.equal((await getUser(ryanId))[ENTERPRISE]['department'], 'Marketing');
  });

  it('manager: Add as [{"$ref":null,"value"}], Replace as a bare string, then Remove', async () => {
    await patchUser(ryanId, { op: 'Remove', path: `${ENTERPRISE}:manager` });
    assert.equal('manager' in (await stored(ryanId))[ENTERPRISE], false);

    await patchUser(ryanId, { op: 'Add', path: `${ENTERPRISE}:manager`, value: [{ $ref: null, value: managerId }] });
    assert.deepEqual((await stored(ryanId))[ENTERPRISE]['manager'], { value: managerId });

    await patchUser(ryanId, { op: 'Replace', path: `${ENTERPRISE}:manager`, value: otherManagerId });
    assert.deepEqual((await stored(ryanId))[ENTERPRISE]['manager'], { value: otherManagerId });
    assert.deepEqual((await getUser(ryanId))[ENTERPRISE]['manager']?.['value'], otherManagerId);

    await patchUser(ryanId, { op: 'Remove', path: `${ENTERPRISE}:manager`, value: [{ $ref: null, value: otherManagerId }] });
    const attributes = await stored(ryanId);
    assert.equal('manager' in attributes[ENTERPRISE], false);
    assert.equal(attributes[ENTERPRISE]['department'], 'Marketing');
    assert.equal('manager' in ((await getUser(ryanId))[ENTERPRISE] ?? {}), false);
  });

  it('PATCH with "" and with null empties an attribute', async () => {
    await patchUser(ryanId, { op: 'Add', path: 'title', value: 'Account Executive' }, { op: 'Add', path: 'nickName', value: 'Ry' });
    assert.equal((await stored(ryanId))['title'], 'Account Executive');

    await patchUser(ryanId, { op: 'Replace', path: 'title', value: '' }, { op: 'Replace', path: 'nickName', value: null });
    await patchUser(ryanId, { op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: '' });
    const attributes = await stored(ryanId);
    assert.equal('title' in attributes, false);
    assert.equal('nickName' in attributes, false);
    assert.equal('employeeNumber' in attributes[ENTERPRISE], false);
    const user = await getUser(ryanId);
    assert.equal('title' in user, false);
    assert.equal('nickName' in user, false);
    assert.equal(user['displayName'], 'Ryan L.', 'nothing else is emptied');
  });

  it('looks the group up (excludedAttributes=members, displayName eq) → empty, then POSTs it with a Microsoft schema URN', async () => {
    assertEmptyList(listOf(await entra.get(`/Groups${qs({ excludedAttributes: 'members', filter: `displayName eq "${groupName}"` })}`)));
    const response = await entra.post('/Groups', {
      schemas: [GROUP_SCHEMA, MS_GROUP_SCHEMA],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: groupName,
      meta: { resourceType: 'Group' },
    });
    assert.equal(response.status, 201, context(response));
    groupId = String(response.body['id']);
    assert.equal(response.body['displayName'], groupName);
    assert.equal(response.body['externalId'], '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159');
    const record = await storedGroup(t, groupId);
    assert.equal(record?.attributes['displayName'], groupName);
    assert.equal(record?.attributes['externalId'], '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159');
  });

  it('GET /Groups/{id}?excludedAttributes=members and the filtered list both omit members', async () => {
    const one = await entra.get(`/Groups/${groupId}?excludedAttributes=members`);
    assert.equal(one.status, 200, context(one));
    assert.equal(one.body['id'], groupId);
    assert.equal('members' in one.body, false);
    const body = listOf(await entra.get(`/Groups${qs({ excludedAttributes: 'members', filter: `displayName eq "${groupName}"` })}`));
    assert.deepEqual(ids(body.Resources), [groupId]);
    assert.equal(body.Resources[0]?.['displayName'], groupName);
    assert.equal('members' in body.Resources[0]!, false);
  });

  it('PATCH Replace displayName → 204', async () => {
    groupName = 'Sales Team (EMEA)';
    const response = await entra.patch(`/Groups/${groupId}`, patchOp({ op: 'Replace', path: 'displayName', value: groupName }));
    assert.equal(response.status, 204, context(response));
    assert.equal((await storedGroup(t, groupId))?.attributes['displayName'], groupName);
  });

  it('PATCH Add members with several members in one op → 204', async () => {
    const response = await entra.patch(
      `/Groups/${groupId}`,
      patchOp({ op: 'Add', path: 'members', value: [{ $ref: null, value: ryanId }, { $ref: null, value: managerId }, { $ref: null, value: otherManagerId }] }),
    );
    assert.equal(response.status, 204, context(response));
    assert.deepEqual(await storedMemberIds(t, groupId), sortedIds([ryanId, managerId, otherManagerId]));
    assert.ok((await storedUser(t, ryanId))?.groupIds.includes(groupId));
    assert.deepEqual((await getUser(ryanId))['groups']?.map((g: Body) => g['value']), [groupId]);
  });

  it('PATCH Remove members with {"path":"members","value":[{"value"}]} → 204', async () => {
    const response = await entra.patch(`/Groups/${groupId}`, patchOp({ op: 'Remove', path: 'members', value: [{ $ref: null, value: otherManagerId }] }));
    assert.equal(response.status, 204, context(response));
    assert.deepEqual(await storedMemberIds(t, groupId), sortedIds([ryanId, managerId]));
    assert.deepEqual((await storedUser(t, otherManagerId))?.groupIds, []);
  });

  it('disable: Replace active "False" → stored false; GET and the userName lookup still return the user; restore works', async () => {
    await patchUser(ryanId, { op: 'Replace', path: 'active', value: 'False' });
    assert.equal((await stored(ryanId))['active'], false);
    assert.equal((await getUser(ryanId))['active'], false);
    const body = listOf(await entra.get(`/Users${qs({ filter: 'userName eq "Ryan@contoso.com"' })}`));
    assert.deepEqual(ids(body.Resources), [ryanId]);
    assert.equal(body.Resources[0]?.['active'], false);
    // Whether a disabled user keeps its group memberships is the lifecycle policy's choice
    // (deactivation.memberships), so it is not asserted here.

    await patchUser(ryanId, { op: 'Replace', path: 'active', value: 'True' });
    assert.equal((await stored(ryanId))['active'], true);
    await patchUser(ryanId, { op: 'Replace', path: 'active', value: 'False' });
    assert.equal((await stored(ryanId))['active'], false);
  });

  it('hard delete: DELETE /Users/{id} → 204, then GET is 404 and the group no longer lists the user', async () => {
    const response = await entra.delete(`/Users/${ryanId}`);
    assert.equal(response.status, 204, context(response));
    assert.equal(await storedUser(t, ryanId), null);
    assertScimError(await entra.get(`/Users/${ryanId}`), 404);
    assertEmptyList(listOf(await entra.get(`/Users${qs({ filter: 'userName eq "Ryan@contoso.com"' })}`)));
    assert.deepEqual(await storedMemberIds(t, groupId), [managerId]);
    assertScimError(await entra.delete(`/Users/${ryanId}`), 404);
  });

  it('paging: startIndex=N&count=5 over three pages echoes startIndex, with exact totals', async () => {
    for (let n = 0; n < 10; n += 1) {
      const response = await entra.post('/Users', { schemas: [USER_SCHEMA], userName: `paged.${n}@contoso.com`, externalId: `paged${n}`, active: 'True' });
      assert.equal(response.status, 201, context(response));
    }
    const total = 12; // two managers + ten paged users (the report was deleted)
    const seen: string[] = [];
    for (const startIndex of [1, 6, 11]) {
      const body = listOf(await entra.get(`/Users?startIndex=${startIndex}&count=5`));
      assert.equal(body.startIndex, startIndex);
      assert.equal(body.totalResults, total);
      assert.equal(body.itemsPerPage, Math.min(5, total - startIndex + 1));
      seen.push(...ids(body.Resources));
    }
    assert.equal(new Set(seen).size, total);
    const storedIds = (await t.storage.users.list(t.config.defaultTenant, { descending: false, startIndex: 1, count: 100 })).items.map((r) => r.id);
    assert.deepEqual(sortedIds(seen), sortedIds(storedIds));
  });
});
