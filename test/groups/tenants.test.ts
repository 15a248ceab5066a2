import assert from 'node:assert/strict';
import supertest from 'supertest';
import { tokenHash } from '../../src/auth/tokens.js';
import { assertScimError, group, startTestApp, type TestApp } from '../support/app.js';
import { bodyOf, createGroup, createUser, idOf, storedMemberIds, storedUserGroupIds, type Json } from './helpers.js';

const OTHER_TENANT = 'other-tenant';
const OTHER_TOKEN = 'other-tenant-token-0123456789abcdef';

describe('Group membership is scoped to the tenant of the credential', () => {
  let t: TestApp;
  let other: { get(path: string): supertest.Test; post(path: string): supertest.Test; put(path: string): supertest.Test; delete(path: string): supertest.Test };
  let homeUser: Json;
  let homeGroup: Json;

  before(async () => {
    t = await startTestApp('groups-tenants');
    const inserted = await t.storage.credentials.insertIfAbsent({ hash: tokenHash(OTHER_TOKEN), tenant: OTHER_TENANT, name: 'other', scopes: ['scim:read', 'scim:write'], createdAt: new Date() });
    assert.ok(inserted);
    const agent = supertest(t.app);
    const auth = (test: supertest.Test) => test.set('Authorization', `Bearer ${OTHER_TOKEN}`);
    other = {
      get: (path) => auth(agent.get(`/scim/v2${path}`)),
      post: (path) => auth(agent.post(`/scim/v2${path}`)),
      put: (path) => auth(agent.put(`/scim/v2${path}`)),
      delete: (path) => auth(agent.delete(`/scim/v2${path}`)),
    };
    homeUser = await createUser(t, 'home@example.com');
    homeGroup = await createGroup(t, 'Home Group', [idOf(homeUser)]);
  });

  after(() => t.close());

  it("rejects another tenant's user or group as a member with 400 invalidValue, on POST and PUT", async () => {
    for (const foreign of [idOf(homeUser), idOf(homeGroup)]) {
      assertScimError(await other.post('/Groups').send(group(`Foreign ${foreign}`, [foreign])), 400, 'invalidValue');
    }
    const own = await other.post('/Groups').send(group('Other Own Group'));
    assert.equal(own.status, 201, JSON.stringify(own.body));
    assertScimError(await other.put(`/Groups/${idOf(bodyOf(own))}`).send(group('Other Own Group', [idOf(homeUser)])), 400, 'invalidValue');
    assert.deepEqual(await storedUserGroupIds(t, idOf(homeUser)), [idOf(homeGroup)]);
  });

  it('lets each tenant use the same displayName', async () => {
    const response = await other.post('/Groups').send(group('home group'));
    assert.equal(response.status, 201, JSON.stringify(response.body));
  });

  it("answers 404 to reading, replacing or deleting another tenant's group, which stays intact", async () => {
    assertScimError(await other.get(`/Groups/${idOf(homeGroup)}`), 404);
    assertScimError(await other.put(`/Groups/${idOf(homeGroup)}`).send(group('Hijacked', [])), 404);
    assertScimError(await other.delete(`/Groups/${idOf(homeGroup)}`), 404);
    const stored = await t.storage.groups.get(t.config.defaultTenant, idOf(homeGroup));
    assert.equal(stored?.attributes['displayName'], 'Home Group');
    assert.deepEqual(await storedMemberIds(t, idOf(homeGroup)), [idOf(homeUser)]);
  });

  it("never lists another tenant's groups", async () => {
    const response = await other.get('/Groups?excludedAttributes=members');
    assert.equal(response.status, 200);
    const names = (bodyOf(response)['Resources'] as Json[]).map((resource) => resource['displayName']);
    assert.ok(!names.includes('Home Group'), JSON.stringify(names));
    const filtered = await other.get(`/Groups?filter=${encodeURIComponent(`id eq "${idOf(homeGroup)}"`)}`);
    assert.equal(filtered.status, 200);
    assert.equal(bodyOf(filtered)['totalResults'], 0);
  });
});
