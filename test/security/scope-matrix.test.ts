import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import supertest from 'supertest';
import { parseScopeList, type Scope } from '../../src/auth/scopes.js';
import { tokenHash } from '../../src/auth/tokens.js';
import { testDatabaseUri } from '../support/engine.js';
import { assertScimError, group, startTestApp, TEST_TOKEN, user, type TestApp } from '../support/app.js';
import { bulk, clientFor, issueToken, patchOp, search, type Json, type TokenClient } from './helpers.js';

const ADMIN_TOKEN = 'admin-token-for-the-scope-matrix-0123';
const TENANT = 'default';

/**
 * Who calls. `holds` is what the credential may do, written out: `scim:write` holds `scim:read`
 * too, and `admin` (the alias) holds exactly `audit:read` and `tokens:manage` (no campaign scope).
 */
interface Caller {
  label: string;
  holds: readonly Scope[] | 'none' | 'invalid';
  /** How the credential comes to exist; undefined: no Authorization header at all. */
  token?: (t: TestApp) => Promise<string>;
}

/** Stored as `npm run tokens -- create --scopes <list>` stores it. */
const stored = (name: string, list: string) => (t: TestApp) => issueToken(t.storage.credentials, TENANT, name, parseScopeList(list));

/** A credential written the way an earlier release stored an admin token: scopes ["admin"]. */
async function storedByEarlierRelease(t: TestApp): Promise<string> {
  const token = 'scim_admin-token-stored-by-an-earlier-release-0000000';
  const client = new MongoClient(testDatabaseUri(t.dbName!));
  try {
    await client.db().collection<Json & { _id: string }>('credentials').insertOne({ _id: tokenHash(token), tenant: TENANT, name: 'old-admin', scopes: ['admin'], createdAt: new Date() });
    await client.db().collection<{ _id: string }>('credential_names').insertOne({ _id: `${TENANT}|old-admin` });
  } finally {
    await client.close();
  }
  return token;
}

/** A reviewer's personal credential, bound to a user (as POST /admin/campaigns/reviewer-tokens mints it). */
async function reviewer(t: TestApp): Promise<string> {
  const created = await t.scim.post('/Users').send(user('matrix-reviewer@example.com'));
  return issueToken(t.storage.credentials, TENANT, 'reviewer', ['campaigns:review'], { reviewer: String(created.body.id) });
}

const CALLERS: Caller[] = [
  { label: 'no token', holds: 'none' },
  { label: 'an unknown token', holds: 'invalid', token: async () => 'scim_no-such-token' },
  { label: 'scim:read', holds: ['scim:read'], token: stored('reader', 'scim:read') },
  { label: 'scim:write', holds: ['scim:read', 'scim:write'], token: stored('writer', 'scim:write') },
  { label: 'SCIM_BEARER_TOKEN', holds: ['scim:read', 'scim:write'], token: async () => TEST_TOKEN },
  { label: 'audit:read', holds: ['audit:read'], token: stored('auditor', 'audit:read') },
  { label: 'tokens:manage', holds: ['tokens:manage'], token: stored('token-manager', 'tokens:manage') },
  { label: 'admin', holds: ['audit:read', 'tokens:manage'], token: stored('admin', 'admin') },
  { label: 'admin stored by an earlier release', holds: ['audit:read', 'tokens:manage'], token: storedByEarlierRelease },
  { label: 'ADMIN_TOKEN', holds: ['audit:read', 'tokens:manage'], token: async () => ADMIN_TOKEN },
  { label: 'scim:read audit:read', holds: ['scim:read', 'audit:read'], token: stored('reader-auditor', 'scim:read,audit:read') },
  { label: 'scim:write tokens:manage', holds: ['scim:read', 'scim:write', 'tokens:manage'], token: stored('writer-manager', 'scim:write,tokens:manage') },
  { label: 'campaigns:manage', holds: ['campaigns:manage'], token: stored('campaign-manager', 'campaigns:manage') },
  { label: 'campaigns:review (a reviewer)', holds: ['campaigns:review'], token: reviewer },
];

/** What each caller's requests act on: its own user, group and token, so one caller's DELETE never hides another's result. */
interface Targets {
  n: number;
  userId: string;
  groupId: string;
  /** A token with scopes ["tokens:manage"], which every tokens:manage holder may rotate. */
  tokenName: string;
  /** An event stream of the tenant. */
  streamName: string;
  /** A draft campaign over the caller's group, reviewed by the caller's user. */
  campaignId: string;
}

interface Endpoint {
  label: string;
  /** The scope it needs; undefined: any valid token. */
  needs?: Scope;
  ok: number;
  send: (client: TokenClient, at: Targets) => supertest.Test;
}

const scim = (label: string, needs: Scope | undefined, ok: number, send: Endpoint['send']): Endpoint => ({ label, needs, ok, send });

// In order: reads, then writes, deletes last.
const ENDPOINTS: Endpoint[] = [
  scim('GET /ServiceProviderConfig', undefined, 200, (c) => c.get('/ServiceProviderConfig')),
  scim('GET /Schemas', undefined, 200, (c) => c.get('/Schemas')),
  scim('GET /ResourceTypes', undefined, 200, (c) => c.get('/ResourceTypes')),
  scim('GET /Users', 'scim:read', 200, (c) => c.get('/Users')),
  scim('GET /Users/{id}', 'scim:read', 200, (c, at) => c.get(`/Users/${at.userId}`)),
  scim('POST /Users/.search', 'scim:read', 200, (c) => c.post('/Users/.search', search({ filter: 'userName sw "matrix"' }))),
  scim('GET /Groups', 'scim:read', 200, (c) => c.get('/Groups')),
  scim('GET /Groups/{id}', 'scim:read', 200, (c, at) => c.get(`/Groups/${at.groupId}`)),
  scim('POST /Groups/.search', 'scim:read', 200, (c) => c.post('/Groups/.search', search())),
  scim('POST /.search', 'scim:read', 200, (c) => c.post('/.search', search())),
  scim('POST /Users', 'scim:write', 201, (c, at) => c.post('/Users', user(`matrix-new-${at.n}@example.com`))),
  scim('PUT /Users/{id}', 'scim:write', 200, (c, at) => c.put(`/Users/${at.userId}`, user(`matrix-${at.n}@example.com`, { title: 'Replaced' }))),
  scim('PATCH /Users/{id}', 'scim:write', 200, (c, at) => c.patch(`/Users/${at.userId}`, patchOp({ op: 'replace', path: 'title', value: 'Patched' }))),
  scim('POST /Groups', 'scim:write', 201, (c, at) => c.post('/Groups', group(`Matrix new ${at.n}`))),
  scim('PUT /Groups/{id}', 'scim:write', 200, (c, at) => c.put(`/Groups/${at.groupId}`, group(`Matrix ${at.n}`, [at.userId]))),
  scim('PATCH /Groups/{id}', 'scim:write', 204, (c, at) => c.patch(`/Groups/${at.groupId}`, patchOp({ op: 'remove', path: 'members' }))),
  scim('POST /Bulk', 'scim:write', 200, (c, at) => c.post('/Bulk', bulk({ method: 'POST', path: '/Users', bulkId: 'b', data: user(`matrix-bulk-${at.n}@example.com`) }))),
  scim('DELETE /Groups/{id}', 'scim:write', 204, (c, at) => c.delete(`/Groups/${at.groupId}`)),
  scim('DELETE /Users/{id}', 'scim:write', 204, (c, at) => c.delete(`/Users/${at.userId}`)),
];

const ADMIN_ENDPOINTS: Endpoint[] = [
  scim('GET /admin/audit', 'audit:read', 200, (c) => c.get('/audit')),
  scim('GET /admin/access-review', 'audit:read', 200, (c) => c.get('/access-review')),
  scim('POST /admin/policy/what-if', 'audit:read', 200, (c) => c.post('/policy/what-if', { roles: {}, rules: [] })),
  scim('GET /admin/policy/exceptions', 'audit:read', 200, (c) => c.get('/policy/exceptions')),
  scim('GET /admin/tokens', 'tokens:manage', 200, (c) => c.get('/tokens')),
  scim('POST /admin/tokens', 'tokens:manage', 201, (c, at) => c.post('/tokens', { name: `minted-${at.n}`, scopes: ['tokens:manage'] })),
  scim('POST /admin/tokens/{name}/rotate', 'tokens:manage', 200, (c, at) => c.post(`/tokens/${at.tokenName}/rotate`, {})),
  scim('GET /admin/streams', 'tokens:manage', 200, (c) => c.get('/streams')),
  scim('POST /admin/streams', 'tokens:manage', 201, (c, at) => c.post('/streams', { name: `new-stream-${at.n}` })),
  scim('GET /admin/streams/{name}', 'tokens:manage', 200, (c, at) => c.get(`/streams/${at.streamName}`)),
  scim('PATCH /admin/streams/{name}', 'tokens:manage', 200, (c, at) => c.patch(`/streams/${at.streamName}`, { events: ['user.deleted'] })),
  scim('DELETE /admin/streams/{name}', 'tokens:manage', 204, (c, at) => c.delete(`/streams/${at.streamName}`)),
  scim('GET /admin/campaigns', 'campaigns:manage', 200, (c) => c.get('/campaigns')),
  scim('GET /admin/campaigns/{id}', 'campaigns:manage', 200, (c, at) => c.get(`/campaigns/${at.campaignId}`)),
  scim('GET /admin/campaigns/{id}/report', 'campaigns:manage', 200, (c, at) => c.get(`/campaigns/${at.campaignId}/report`)),
  scim('GET /admin/reviews', 'campaigns:review', 200, (c) => c.get('/reviews')),
  scim('POST /admin/campaigns', 'campaigns:manage', 201, (c, at) => c.post('/campaigns', { name: `Matrix ${at.n}`, scope: { kind: 'all' }, reviewers: { kind: 'named', users: [at.userId] }, dueAt: '2999-01-01T00:00:00Z' })),
  scim('POST /admin/campaigns/reviewer-tokens', 'campaigns:manage', 201, (c, at) => c.post('/campaigns/reviewer-tokens', { reviewer: at.userId })),
  scim('POST /admin/campaigns/{id}/activate', 'campaigns:manage', 200, (c, at) => c.post(`/campaigns/${at.campaignId}/activate`)),
  // Nobody's item: a reviewer gets 404 (the scopes are what this checks; decisions are tested in test/governance).
  scim('POST /admin/reviews/{itemId}', 'campaigns:review', 404, (c) => c.post('/reviews/no-such-item', { decision: 'keep' })),
  scim('POST /admin/campaigns/{id}/close', 'campaigns:manage', 200, (c, at) => c.post(`/campaigns/${at.campaignId}/close`)),
  scim('DELETE /admin/tokens/{name}', 'tokens:manage', 204, (c, at) => c.delete(`/tokens/${at.tokenName}`)),
];

/** Scope lists a token-creating request may ask for, and what they stand for. */
const REQUESTS: { asked: string[]; means: Scope[] }[] = [
  { asked: ['scim:read'], means: ['scim:read'] },
  { asked: ['scim:write'], means: ['scim:write'] },
  { asked: ['audit:read'], means: ['audit:read'] },
  { asked: ['tokens:manage'], means: ['tokens:manage'] },
  { asked: ['admin'], means: ['audit:read', 'tokens:manage'] },
  { asked: ['scim:read', 'scim:write', 'audit:read', 'tokens:manage'], means: ['scim:read', 'scim:write', 'audit:read', 'tokens:manage'] },
];

const credentialView = (record: { name: string; scopes: Scope[]; hash: string; expiresAt?: Date | undefined; revokedAt?: Date | undefined }) =>
  `${record.name} ${record.scopes.join(',')} ${record.hash} ${record.expiresAt?.toISOString()} ${record.revokedAt?.toISOString()}`;

describe('authorisation matrix: every credential kind × every endpoint', () => {
  let t: TestApp;
  const tokens = new Map<string, string>();

  /** Everything a refused request must leave as it was (last use aside, which authentication records). */
  async function snapshot(at: Targets): Promise<unknown> {
    const count = async (kind: 'users' | 'groups') => (await t.storage[kind].list(TENANT, { descending: false, startIndex: 1, count: 0 })).total;
    return {
      user: await t.storage.users.get(TENANT, at.userId),
      group: await t.storage.groups.get(TENANT, at.groupId),
      users: await count('users'),
      groups: await count('groups'),
      credentials: (await t.storage.credentials.list()).map(credentialView),
      audit: (await t.storage.audit.query({ tenant: TENANT, limit: 1000 })).length,
      streams: (await t.storage.streams.list()).map((stream) => `${stream.tenant}|${stream.name}|${stream.events?.join(',') ?? 'all'}`),
      campaigns: (await t.storage.campaigns.list(TENANT)).map((campaign) => `${campaign.id}|${campaign.state}|${campaign.version}`),
    };
  }

  function clientOf(caller: Caller, base: string): TokenClient {
    const token = tokens.get(caller.label);
    if (token === undefined) {
      const agent = supertest(t.app);
      return { get: (p) => agent.get(`${base}${p}`), post: (p, b) => agent.post(`${base}${p}`).send(b as object), put: (p, b) => agent.put(`${base}${p}`).send(b as object), patch: (p, b) => agent.patch(`${base}${p}`).send(b as object), delete: (p) => agent.delete(`${base}${p}`) };
    }
    return clientFor(t.app, token, base);
  }

  function expectRefusal(caller: Caller, needs: Scope | undefined, response: supertest.Response): boolean {
    if (caller.holds === 'none') {
      assertScimError(response, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="SCIM"');
      return true;
    }
    if (caller.holds === 'invalid') {
      assertScimError(response, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="SCIM", error="invalid_token"');
      return true;
    }
    if (needs !== undefined && !caller.holds.includes(needs)) {
      assertScimError(response, 403);
      assert.equal(response.headers['www-authenticate'], `Bearer realm="SCIM", error="insufficient_scope", scope="${needs}"`);
      return true;
    }
    return false;
  }

  before(async () => {
    t = await startTestApp('security-scope-matrix', { ADMIN_TOKEN });
    for (const caller of CALLERS) if (caller.token) tokens.set(caller.label, await caller.token(t));
  });

  after(() => t.close());

  CALLERS.forEach((caller, n) => {
    describe(caller.label, () => {
      const at: Targets = { n, userId: '', groupId: '', tokenName: `rotatable-${n}`, streamName: `stream-${n}`, campaignId: randomUUID() };

      before(async () => {
        const created = await t.scim.post('/Users').send(user(`matrix-${n}@example.com`));
        assert.equal(created.status, 201, JSON.stringify(created.body));
        at.userId = String(created.body.id);
        const made = await t.scim.post('/Groups').send(group(`Matrix ${n}`, [at.userId]));
        assert.equal(made.status, 201, JSON.stringify(made.body));
        at.groupId = String(made.body.id);
        await issueToken(t.storage.credentials, TENANT, at.tokenName, ['tokens:manage']);
        await t.storage.streams.create({ id: randomUUID(), tenant: TENANT, name: at.streamName, createdAt: new Date(), updatedAt: new Date() });
        const campaign = { id: at.campaignId, tenant: TENANT, name: `Matrix ${n}`, scope: { kind: 'group' as const, groupId: at.groupId }, reviewers: { kind: 'named' as const, users: [at.userId] } };
        await t.storage.campaigns.create({ ...campaign, dueAt: new Date('2999-01-01T00:00:00Z'), undecided: 'keep', state: 'draft', version: 1, createdAt: new Date(), createdBy: 'matrix' });
      });

      for (const [base, endpoints] of [['/scim/v2', ENDPOINTS], ['/admin', ADMIN_ENDPOINTS]] as const) {
        for (const endpoint of endpoints) {
          const refused = caller.holds === 'none' || caller.holds === 'invalid' ? 401 : endpoint.needs && !caller.holds.includes(endpoint.needs) ? 403 : endpoint.ok;
          it(`${endpoint.label} → ${refused}`, async () => {
            const before = await snapshot(at);
            const response = await endpoint.send(clientOf(caller, base), at);
            if (expectRefusal(caller, endpoint.needs, response)) {
              assert.deepEqual(await snapshot(at), before, 'a refused request changes nothing');
            } else {
              assert.equal(response.status, endpoint.ok, JSON.stringify(response.body));
            }
          });
        }
      }
    });
  });

  describe('a credential grants only scopes it holds (POST /admin/tokens and rotate)', () => {
    const managers = CALLERS.filter((caller) => Array.isArray(caller.holds) && caller.holds.includes('tokens:manage'));

    managers.forEach((caller, n) => {
      const holds = caller.holds as readonly Scope[];
      for (const [r, request] of REQUESTS.entries()) {
        const refusedScopes = request.means.filter((scope) => !holds.includes(scope));
        const outcome = refusedScopes.length === 0 ? 'granted' : `403 refusing ${refusedScopes.join(' ')}`;

        it(`${caller.label} asking for ${request.asked.join(' ')}: ${outcome}, on create and on rotate`, async () => {
          const admin = clientOf(caller, '/admin');
          const name = `grant-${n}-${r}`;
          const victim = `victim-${n}-${r}`;
          await issueToken(t.storage.credentials, TENANT, victim, request.means);
          const before = (await t.storage.credentials.list(TENANT)).map(credentialView);

          const created = await admin.post('/tokens', { name, scopes: request.asked });
          const rotated = await admin.post(`/tokens/${victim}/rotate`, {});
          if (refusedScopes.length === 0) {
            assert.equal(created.status, 201, JSON.stringify(created.body));
            assert.deepEqual(created.body.scopes, request.means);
            assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
            assert.deepEqual(rotated.body.scopes, request.means);
            return;
          }
          for (const response of [created, rotated]) {
            assertScimError(response, 403);
            assert.equal(response.headers['www-authenticate'], `Bearer realm="SCIM", error="insufficient_scope", scope="${refusedScopes.join(' ')}"`);
            for (const scope of refusedScopes) assert.match(String(response.body.detail), new RegExp(`"${scope}"`));
          }
          assert.deepEqual((await t.storage.credentials.list(TENANT)).map(credentialView), before, 'nothing stored, the victim not rotated');
        });
      }
    });

    it('regression: an admin token cannot mint a scim:write token and then write', async () => {
      const admin = clientFor(t.app, await issueToken(t.storage.credentials, TENANT, 'escalating-admin', parseScopeList('admin')), '/admin');
      const minted = await admin.post('/tokens', { name: 'escalated', scopes: ['scim:write'] });
      assertScimError(minted, 403);
      assert.equal(minted.body.token, undefined);
      assert.equal((await t.storage.credentials.list(TENANT)).find((record) => record.name === 'escalated'), undefined);
      assert.equal((await admin.post('/tokens', { name: 'escalated', scopes: ['scim:read'] })).status, 403, 'scim:read neither');
    });

    it('scim:write held lets a credential grant scim:read; the granted token reads and cannot write', async () => {
      const manager = clientFor(t.app, tokens.get('scim:write tokens:manage')!, '/admin');
      const created = await manager.post('/tokens', { name: 'pulling-app', scopes: ['scim:read'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const reader = clientFor(t.app, String(created.body.token));
      assert.equal((await reader.get('/Users')).status, 200);
      assertScimError(await reader.post('/Users', user('pulled@example.com')), 403);
    });
  });

  describe('a credential never reaches another tenant', () => {
    const OTHER = 'acme';
    let acme: TokenClient;
    let acmeToken: string;
    let victimToken: string;

    before(async () => {
      acmeToken = await issueToken(t.storage.credentials, OTHER, 'acme-admin', ['scim:write', 'audit:read', 'tokens:manage']);
      acme = clientFor(t.app, acmeToken, '/admin');
      victimToken = await issueToken(t.storage.credentials, TENANT, 'default-okta', ['scim:read']);
    });

    it('POST /admin/tokens for another tenant: 403, nothing stored in either tenant', async () => {
      const before = (await t.storage.credentials.list()).map(credentialView);
      for (const scopes of [['scim:read'], ['tokens:manage']]) {
        assertScimError(await acme.post('/tokens', { name: 'planted', tenant: TENANT, scopes }), 403);
      }
      assert.deepEqual((await t.storage.credentials.list()).map(credentialView), before);
      const own = await acme.post('/tokens', { name: 'acme-reader', tenant: OTHER, scopes: ['scim:read'] });
      assert.equal(own.status, 201, 'naming its own tenant is fine');
      assert.equal(own.body.tenant, OTHER);
    });

    it('rotate or revoke another tenant’s token: 404 (names are per tenant), and the token keeps working', async () => {
      assertScimError(await acme.post('/tokens/default-okta/rotate', {}), 404);
      assertScimError(await acme.delete('/tokens/default-okta'), 404);
      assert.equal((await clientFor(t.app, victimToken).get('/Users')).status, 200);
      assert.equal((await t.storage.credentials.list(TENANT)).filter((record) => record.name === 'default-okta').length, 1);
    });

    it('lists and audit trails show the own tenant only', async () => {
      const listed = (await acme.get('/tokens')).body.tokens as Json[];
      assert.ok(listed.length > 0 && listed.every((token) => token['tenant'] === OTHER));
      const created = await clientFor(t.app, acmeToken).post('/Users', user('acme.user@example.com'));
      assert.equal(created.status, 201);
      const audit = await acme.get('/audit');
      assert.equal(audit.status, 200);
      assert.equal(audit.body.tenant, OTHER);
      const entries = audit.body.entries as Json[];
      assert.ok(entries.some((entry) => entry['resourceId'] === created.body.id));
      assert.ok(entries.every((entry) => entry['tenant'] === OTHER));
    });
  });
});
