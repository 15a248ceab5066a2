import assert from 'node:assert/strict';
import { group, startTestApp, user, type TestApp } from '../support/app.js';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MEMBERS = 2_500;

interface Member {
  value: string;
  $ref: string;
  display?: string;
  type: string;
}

/**
 * GET /Groups/{id} (RFC 7644 §3.4.1) of a large group: the members are written while they are read
 * (chunked), so the server's memory does not grow with the group (docs/benchmarks.md). The answer
 * must be the same resource as before: every member once, with the same sub-attributes.
 */
describe('GET /Groups/{id} of a large group (members written as they are read)', function () {
  this.timeout(180_000);
  let t: TestApp;
  let groupId: string;
  let userIds: string[];
  let nestedId: string;

  before(async () => {
    t = await startTestApp('groups-large-read');
    userIds = [];
    for (let from = 0; from < MEMBERS; from += 500) {
      const Operations = Array.from({ length: 500 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `u${from + i}`, data: user(`large-${from + i}@example.com`, { displayName: `Large ${from + i}` }) }));
      const reply = await t.scim.post('/Bulk').send({ schemas: [BULK_REQUEST], Operations });
      userIds.push(...(reply.body.Operations as { location: string }[]).map((result) => result.location.split('/').pop() as string));
    }
    nestedId = String((await t.scim.post('/Groups').send(group('Nested in large'))).body.id);
    groupId = String((await t.scim.post('/Groups').send(group('Large group'))).body.id);
    for (let from = 0; from < MEMBERS; from += 1_000) {
      const value = userIds.slice(from, from + 1_000).map((id) => ({ value: id }));
      const added = await t.scim.patch(`/Groups/${groupId}`).send({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value }] });
      assert.equal(added.status, 204);
    }
    await t.scim.patch(`/Groups/${groupId}`).send({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: nestedId }] }] });
  });
  after(() => t.close());

  it('answers 200 with every member once, users and groups, with value, $ref, display and type', async () => {
    const response = await t.scim.get(`/Groups/${groupId}`);
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^application\/scim\+json/);
    assert.equal(response.headers['transfer-encoding'], 'chunked', 'written as read, not buffered');
    const members = response.body.members as Member[];
    assert.equal(members.length, MEMBERS + 1);
    const ids = members.map((member) => member.value);
    assert.deepEqual([...ids].sort(), [...userIds, nestedId].sort(), 'every member once');
    const nested = members.find((member) => member.value === nestedId);
    assert.equal(nested?.display, 'Nested in large');
    assert.equal(nested?.type, 'Group');
    assert.ok(nested?.$ref.endsWith(`/scim/v2/Groups/${nestedId}`));
    const first = members.find((member) => member.value === userIds[0]);
    assert.equal(first?.display, 'Large 0');
    assert.equal(first?.type, 'User');
    assert.ok(first?.$ref.endsWith(`/scim/v2/Users/${userIds[0]}`));
    assert.equal(response.body.displayName, 'Large group');
    assert.equal(response.body.meta.resourceType, 'Group');
  });

  it('carries the ETag of the version it shows, and answers 304 to If-None-Match with it', async () => {
    const response = await t.scim.get(`/Groups/${groupId}`);
    assert.equal(response.headers['etag'], response.body.meta.version);
    const again = await t.scim.get(`/Groups/${groupId}`).set('If-None-Match', String(response.headers['etag']));
    assert.equal(again.status, 304);
  });

  it('gives the same members with a projection (read whole, then projected)', async () => {
    const whole = (await t.scim.get(`/Groups/${groupId}`)).body.members as Member[];
    const projected = await t.scim.get(`/Groups/${groupId}?attributes=members.value`);
    assert.equal(projected.status, 200);
    const values = (members: Member[]) => members.map((member) => member.value).sort();
    assert.deepEqual(values(projected.body.members as Member[]), values(whole));
    const excluded = await t.scim.get(`/Groups/${groupId}?excludedAttributes=members`);
    assert.equal(excluded.body.members, undefined);
  });
});
