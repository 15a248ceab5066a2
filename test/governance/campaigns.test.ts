import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import type { CampaignService } from '../../src/services/campaigns.js';
import { createServices } from '../../src/services/wiring.js';
import { assertScimError, examplePolicy, group, startTestApp, type TestApp } from '../support/app.js';
import { employee, type ReviewItem as Item } from '../support/campaigns.js';
import { clientFor, issueToken, type Json, type TokenClient } from '../security/helpers.js';

const TENANT = 'default';
const DAY_MS = 86_400_000;

const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();

describe('access certification campaigns (issue 15 §4)', () => {
  let t: TestApp;
  let admin: TokenClient;
  let campaignsService: CampaignService;
  let reevaluate: (id: string) => Promise<boolean>;
  const ids: Record<string, string> = {};

  const create = async (name: string, body: Json = {}) => {
    const response = await t.scim.post('/Users').send(body.userName ? body : employee(name, 'Engineering'));
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return String(response.body.id);
  };
  const scimUser = async (id: string) => (await t.scim.get(`/Users/${id}`)).body as Json;
  const grantsOf = async (id: string) => ((await t.storage.users.get(TENANT, id))?.lifecycle?.grants ?? []).map((grant) => `${grant.source}:${grant.name}`).sort();
  const eventsOf = async (id: string) => (await t.storage.events.forSubject(TENANT, id)).map((event) => event.type);

  async function reviewerClient(reviewer: string): Promise<TokenClient> {
    const minted = await admin.post('/campaigns/reviewer-tokens', { reviewer, expiresIn: '30d' });
    assert.equal(minted.status, 201, JSON.stringify(minted.body));
    assert.deepEqual(minted.body.scopes, ['campaigns:review']);
    assert.equal(minted.body.reviewer, reviewer);
    return clientFor(t.app, String(minted.body.token), '/admin');
  }

  async function openCampaign(body: Json): Promise<{ id: string; items: Item[] }> {
    const created = await admin.post('/campaigns', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.state, 'draft');
    const activated = await admin.post(`/campaigns/${created.body.id}/activate`);
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    assert.equal(activated.body.state, 'active');
    const read = await admin.get(`/campaigns/${created.body.id}`);
    return { id: String(created.body.id), items: read.body.itemList as Item[] };
  }

  before(async () => {
    t = await startTestApp('governance-campaigns');
    admin = clientFor(t.app, await issueToken(t.storage.credentials, TENANT, 'campaign-admin', ['campaigns:manage']), '/admin');
    const services = createServices({ storage: t.storage, policy: examplePolicy(), webhooksFor: () => [], log: () => undefined });
    campaignsService = services.campaigns;
    reevaluate = (id) => services.users.reevaluate({ tenant: TENANT, actor: 'cli:policy', requestId: 'test-reevaluate' }, id, 'reevaluate');
    ids['mia'] = await create('mia@example.com', employee('mia@example.com', 'Management'));
    ids['max'] = await create('max@example.com', employee('max@example.com', 'Management'));
    ids['alice'] = await create('alice', employee('alice@example.com', 'Engineering', ids['mia'], { roles: [{ value: 'oncall' }] }));
    ids['bob'] = await create('bob', employee('bob@example.com', 'Engineering', ids['mia']));
    ids['carol'] = await create('carol', employee('carol@example.com', 'Engineering', ids['max']));
    ids['dave'] = await create('dave', employee('dave@example.com', 'Engineering', ids['max']));
    ids['erin'] = await create('erin', employee('erin@example.com', 'Finance'));
  });

  after(() => t.close());

  describe('a campaign over a department, reviewed by managers', () => {
    let campaign: { id: string; items: Item[] };
    let mia: TokenClient;
    let max: TokenClient;
    const itemOf = (userId: string, name: string) => campaign.items.find((item) => item.userId === userId && item.grant.name === name) as Item;

    before(async () => {
      campaign = await openCampaign({ name: 'Engineering Q4', scope: { kind: 'department', department: 'engineering' }, reviewers: { kind: 'manager' }, dueAt: inDays(7), undecided: 'keep' });
      mia = await reviewerClient(ids['mia'] as string);
      max = await reviewerClient(ids['max'] as string);
    });

    it('activation snapshots one item per grant of every user in scope, each reviewed by the user\'s manager', () => {
      const rows = campaign.items.map((item) => `${item.userName} ${item.grant.source}:${item.grant.name} ${item.grant.kind}`).sort();
      assert.deepEqual(rows, [
        'alice@example.com direct:oncall role',
        'alice@example.com policy:employee-baseline role',
        'bob@example.com policy:employee-baseline role',
        'carol@example.com policy:employee-baseline role',
        'dave@example.com policy:employee-baseline role',
      ]);
      for (const item of campaign.items) assert.deepEqual((item as unknown as { reviewers: string[] }).reviewers, [[ids['alice'], ids['bob']].includes(item.userId) ? ids['mia'] : ids['max']]);
    });

    it('a reviewer sees only their own items', async () => {
      const seen = await mia.get('/reviews');
      assert.equal(seen.status, 200);
      assert.equal(seen.body.reviewer, ids['mia']);
      assert.deepEqual((seen.body.items as Item[]).map((item) => item.userName).sort(), ['alice@example.com', 'alice@example.com', 'bob@example.com']);
      assert.ok((seen.body.items as Json[]).every((item) => item['campaignName'] === 'Engineering Q4'));
      const other = await max.get('/reviews');
      assert.deepEqual((other.body.items as Item[]).map((item) => item.userName).sort(), ['carol@example.com', 'dave@example.com']);
    });

    it("another reviewer's item is 404, and the item stays undecided", async () => {
      const item = itemOf(ids['alice'] as string, 'oncall');
      assertScimError(await max.post(`/reviews/${item.id}`, { decision: 'revoke', comment: 'not mine' }), 404);
      assertScimError(await mia.post('/reviews/no-such-item', { decision: 'keep' }), 404);
      const read = await admin.get(`/campaigns/${campaign.id}`);
      assert.equal((read.body.itemList as Item[]).find((row) => row.id === item.id)?.decision, null);
    });

    it('revoking a direct grant removes it from the user, audited and announced', async () => {
      const item = itemOf(ids['alice'] as string, 'oncall');
      const decided = await mia.post(`/reviews/${item.id}`, { decision: 'revoke', comment: 'left the rota' });
      assert.equal(decided.status, 200, JSON.stringify(decided.body));
      assert.equal(decided.body.decision, 'revoke');
      assert.equal(decided.body.decidedBy, ids['mia']);
      assert.equal((await scimUser(ids['alice'] as string))['roles'], undefined);
      assert.deepEqual(await grantsOf(ids['alice'] as string), ['policy:employee-baseline']);
      const events = await t.storage.events.forSubject(TENANT, ids['alice'] as string);
      const announced = events.find((event) => event.type === 'access.revoked_by_review');
      assert.ok(announced, JSON.stringify(events.map((event) => event.type)));
      assert.deepEqual(announced.data['grant'], { kind: 'role', name: 'oncall', source: 'direct' });
      assert.equal(announced.data['campaignId'], campaign.id);
      assert.equal(announced.data['comment'], 'left the rota');
      assert.ok(events.some((event) => event.type === 'user.roles_changed' && event.requestId === announced.requestId));
      const [entry] = await t.storage.audit.query({ tenant: TENANT, resourceId: ids['alice'], operation: 'review', limit: 10 });
      assert.ok(entry);
      assert.deepEqual(entry.grantsRevoked.map((grant) => grant.name), ['oncall']);
      assert.equal(entry.actor, `reviewer:${ids['mia']}`);
      assert.deepEqual(entry.events, ['user.roles_changed', 'access.revoked_by_review']);
    });

    it('revoking a policy grant records an exception, so neither an IdP update nor policy re-evaluation grants it back', async () => {
      const item = itemOf(ids['alice'] as string, 'employee-baseline');
      const decided = await mia.post(`/reviews/${item.id}`, { decision: 'revoke', comment: 'no longer needs mail' });
      assert.equal(decided.status, 200, JSON.stringify(decided.body));
      assert.deepEqual(await grantsOf(ids['alice'] as string), []);
      const [exception] = await t.storage.policyExceptions.list(TENANT);
      assert.equal(exception?.userId, ids['alice']);
      assert.equal(exception?.role, 'employee-baseline');
      assert.equal(exception?.reason, 'no longer needs mail');
      assert.equal(exception?.createdBy, ids['mia']);
      assert.equal(exception?.expiresAt, undefined);
      assert.ok((await eventsOf(ids['alice'] as string)).filter((type) => type === 'access.revoked_by_review').length === 2);
      const replaced = await t.scim.put(`/Users/${ids['alice']}`).send(employee('alice@example.com', 'Engineering', ids['mia'], { title: 'Engineer' }));
      assert.equal(replaced.status, 200);
      assert.deepEqual(await grantsOf(ids['alice'] as string), []);
      assert.equal(await reevaluate(ids['alice'] as string), false);
      assert.deepEqual(await grantsOf(ids['alice'] as string), []);
    });

    it('the access review counts a withheld role as expected, not as drift', async () => {
      const auditor = clientFor(t.app, await issueToken(t.storage.credentials, TENANT, 'auditor', ['audit:read']), '/admin');
      const review = await auditor.get('/access-review');
      assert.equal(review.status, 200);
      assert.deepEqual((review.body.drift as Json[]).filter((row) => row['userId'] === ids['alice']), []);
    });

    it('an exception with an expiry stops applying once it has expired', async () => {
      const item = itemOf(ids['carol'] as string, 'employee-baseline');
      const expiresAt = new Date(Date.now() + 1500).toISOString();
      const decided = await max.post(`/reviews/${item.id}`, { decision: 'revoke', comment: 'on leave', exceptionExpiresAt: expiresAt });
      assert.equal(decided.status, 200, JSON.stringify(decided.body));
      assert.equal(decided.body.exceptionExpiresAt, expiresAt);
      assert.deepEqual(await grantsOf(ids['carol'] as string), []);
      assert.equal(await reevaluate(ids['carol'] as string), false);
      await sleep(1600);
      assert.equal(await reevaluate(ids['carol'] as string), true);
      assert.deepEqual(await grantsOf(ids['carol'] as string), ['policy:employee-baseline']);
    });

    it('an auditor lists the exceptions by user and role, an expired one as no longer in force', async () => {
      const auditor = clientFor(t.app, await issueToken(t.storage.credentials, TENANT, 'exception-auditor', ['audit:read']), '/admin');
      const listed = await auditor.get('/policy/exceptions');
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const rows = (listed.body.exceptions as Json[]).map((row) => `${row['userId']} ${row['role']} inForce=${row['inForce']}`);
      assert.deepEqual(rows, [`${ids['alice']} employee-baseline inForce=true`, `${ids['carol']} employee-baseline inForce=false`].sort());
      const alice = await auditor.get(`/policy/exceptions?userId=${ids['alice']}`);
      assert.equal(alice.status, 200);
      const [exception] = alice.body.exceptions as Json[];
      assert.equal((alice.body.exceptions as Json[]).length, 1);
      assert.ok(exception && !Number.isNaN(Date.parse(String(exception['createdAt']))));
      assert.deepEqual({ ...exception, createdAt: undefined }, {
        userId: ids['alice'],
        role: 'employee-baseline',
        reason: 'no longer needs mail',
        expiresAt: null,
        inForce: true,
        createdBy: ids['mia'],
        createdAt: undefined,
        campaignId: campaign.id,
        itemId: itemOf(ids['alice'] as string, 'employee-baseline').id,
      });
      assert.deepEqual((await auditor.get(`/policy/exceptions?userId=${ids['bob']}`)).body, { exceptions: [] });
      for (const query of ['user=alice', 'userId=', `userId=${ids['alice']}&userId=${ids['carol']}`, `userId=${'x'.repeat(300)}`]) {
        assertScimError(await auditor.get(`/policy/exceptions?${query}`), 400, 'invalidValue');
      }
    });

    it('keeping changes nothing on the user', async () => {
      const before = await t.storage.users.get(TENANT, ids['bob'] as string);
      const decided = await mia.post(`/reviews/${itemOf(ids['bob'] as string, 'employee-baseline').id}`, { decision: 'keep', comment: 'needs it' });
      assert.equal(decided.status, 200);
      assert.equal(decided.body.decision, 'keep');
      assert.equal((await t.storage.users.get(TENANT, ids['bob'] as string))?.version, before?.version);
    });

    it('an item is decided once', async () => {
      assertScimError(await mia.post(`/reviews/${itemOf(ids['bob'] as string, 'employee-baseline').id}`, { decision: 'revoke', comment: 'changed my mind' }), 409, 'mutability');
    });

    it('the close keeps what nobody decided (the campaign says keep); the campaign then refuses decisions and transitions', async () => {
      const closed = await admin.post(`/campaigns/${campaign.id}/close`);
      assert.equal(closed.status, 200, JSON.stringify(closed.body));
      assert.equal(closed.body.state, 'closed');
      const dave = (await admin.get(`/campaigns/${campaign.id}`)).body.itemList.find((item: Item) => item.userId === ids['dave']) as Item;
      assert.equal(dave.decision, 'keep');
      assert.equal(dave.decidedBy, 'campaign');
      assert.deepEqual(await grantsOf(ids['dave'] as string), ['policy:employee-baseline']);
      assertScimError(await max.post(`/reviews/${dave.id}`, { decision: 'revoke', comment: 'too late' }), 409, 'mutability');
      assertScimError(await admin.post(`/campaigns/${campaign.id}/activate`), 409, 'mutability');
      assertScimError(await admin.post(`/campaigns/${campaign.id}/close`), 409, 'mutability');
      assert.deepEqual((await max.get('/reviews')).body.items, []);
      const audit = await t.storage.audit.query({ tenant: TENANT, resourceId: campaign.id, limit: 10 });
      assert.deepEqual(audit.map((entry) => entry.operation), ['create', 'activate', 'close']);
      assert.deepEqual([audit[2]?.after?.['undecidedKept'], audit[2]?.after?.['undecidedRevoked']], [1, 0], 'dave\'s item was the only one left');
    });

    it('the report lists every item with its decision, reviewer, comment and time', async () => {
      const response = await admin.get(`/campaigns/${campaign.id}/report`);
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^text\/csv/);
      assert.match(String(response.headers['content-disposition']), /attachment; filename="campaign-.*\.csv"/);
      const rows = parse(response.text, { columns: true }) as Record<string, string>[];
      assert.equal(rows.length, 5);
      const summary = rows.map((row) => `${row['userName']} ${row['source']}:${row['grant']} ${row['decision']} ${row['decidedBy'] === ids['mia'] ? 'mia' : row['decidedBy'] === ids['max'] ? 'max' : row['decidedBy']} ${row['comment']}`).sort();
      assert.deepEqual(summary, [
        'alice@example.com direct:oncall revoke mia left the rota',
        'alice@example.com policy:employee-baseline revoke mia no longer needs mail',
        'bob@example.com policy:employee-baseline keep mia needs it',
        'carol@example.com policy:employee-baseline revoke max on leave',
        'dave@example.com policy:employee-baseline keep campaign undecided at the close: the campaign\'s setting is "keep"',
      ]);
      assert.ok(rows.every((row) => !Number.isNaN(Date.parse(row['decidedAt'] ?? ''))));
    });
  });

  describe('concurrent administrators', () => {
    it('two activations of one draft at once: one succeeds, the other is 409, and every item is stored once', async () => {
      const created = await admin.post('/campaigns', { name: 'Twice', scope: { kind: 'all' }, reviewers: { kind: 'named', users: [ids['mia']] }, dueAt: inDays(7) });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const answers = await Promise.all([admin.post(`/campaigns/${created.body.id}/activate`), admin.post(`/campaigns/${created.body.id}/activate`)]);
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 409], JSON.stringify(answers.map((answer) => answer.body)));
      assertScimError(answers.find((answer) => answer.status === 409) as (typeof answers)[number], 409, 'mutability');
      const read = await admin.get(`/campaigns/${created.body.id}`);
      const itemIds = (read.body.itemList as Item[]).map((item) => item.id);
      assert.ok(itemIds.length > 0);
      assert.equal(new Set(itemIds).size, itemIds.length);
      assert.equal(read.body.items, itemIds.length);
    });
  });

  describe('the due date (the sweep)', () => {
    it('closes a due campaign and revokes what nobody decided when the campaign says revoke', async () => {
      const made = await t.scim.post('/Groups').send(group('Payroll reviewers', [ids['erin'] as string]));
      const campaign = await openCampaign({ name: 'Payroll group', scope: { kind: 'group', groupId: made.body.id }, reviewers: { kind: 'named', users: [ids['max']] }, dueAt: new Date(Date.now() + 1000).toISOString(), undecided: 'revoke' });
      assert.equal(campaign.items.length, 1);
      await campaignsService.sweep(new Date(Date.now() + 2000));
      const read = await admin.get(`/campaigns/${campaign.id}`);
      assert.equal(read.body.state, 'closed');
      assert.equal(read.body.itemList[0].decision, 'revoke');
      assert.deepEqual(await grantsOf(ids['erin'] as string), []);
      assert.ok((await eventsOf(ids['erin'] as string)).includes('access.revoked_by_review'));
      assert.equal(await reevaluate(ids['erin'] as string), false);
    });

    it('finishes a revocation whose decision was stored but not carried out (a crash in between)', async () => {
      const campaign = await openCampaign({ name: 'Interrupted', scope: { kind: 'role', role: 'employee-baseline' }, reviewers: { kind: 'named', users: [ids['mia']] }, dueAt: inDays(7) });
      const bob = campaign.items.find((item) => item.userId === ids['bob']) as Item;
      // What POST /admin/reviews/{id} stores first; the process stops before the user's write.
      await t.storage.campaigns.decide(TENANT, bob.id, { decision: 'revoke', decidedBy: ids['mia'] as string, decidedAt: new Date(), comment: 'moved to sales' });
      assert.deepEqual(await grantsOf(ids['bob'] as string), ['policy:employee-baseline']);
      await campaignsService.sweep(new Date());
      assert.deepEqual(await grantsOf(ids['bob'] as string), []);
      assert.deepEqual(await t.storage.campaigns.unapplied(10), []);
      const announced = (await t.storage.events.forSubject(TENANT, ids['bob'] as string)).filter((event) => event.type === 'access.revoked_by_review');
      assert.deepEqual(announced.map((event) => [event.data['itemId'], event.data['comment']]), [[bob.id, 'moved to sales']]);
      assert.equal((await admin.post(`/campaigns/${campaign.id}/close`)).status, 200);
    });

    it('reminds reviewers with pending items at most once a day', async () => {
      const campaign = await openCampaign({ name: 'Everyone', scope: { kind: 'role', role: 'employee-baseline' }, reviewers: { kind: 'named', users: [ids['max'], ids['mia']] }, dueAt: inDays(7) });
      assert.ok(campaign.items.length > 0);
      const reminders = async (reviewer: string) => (await t.storage.events.forSubject(TENANT, reviewer)).filter((event) => event.type === 'campaign.reminder' && event.data['campaignId'] === campaign.id);
      await campaignsService.sweep(new Date(Date.now() + DAY_MS / 2));
      assert.equal((await reminders(ids['max'] as string)).length, 0);
      await campaignsService.sweep(new Date(Date.now() + DAY_MS + 60_000));
      const [first] = await reminders(ids['max'] as string);
      assert.equal(first?.data['campaignName'], 'Everyone');
      // Max is in scope too: his own item goes to Mia only, so each reviews all items but their own.
      assert.equal(first?.data['pendingItems'], campaign.items.filter((item) => item.userId !== ids['max']).length);
      assert.equal((await reminders(ids['mia'] as string)).length, 1);
      await campaignsService.sweep(new Date(Date.now() + DAY_MS + 120_000));
      assert.equal((await reminders(ids['max'] as string)).length, 1);
      await campaignsService.sweep(new Date(Date.now() + 2 * DAY_MS + 120_000));
      assert.equal((await reminders(ids['max'] as string)).length, 2);
      assert.equal((await admin.post(`/campaigns/${campaign.id}/close`)).status, 200);
    });
  });

  describe('bad input', () => {
    const valid = () => ({ name: 'Bad', scope: { kind: 'all' }, reviewers: { kind: 'named', users: [ids['max']] }, dueAt: inDays(3) });
    const cases: [string, () => Json][] = [
      ['an unknown scope kind', () => ({ ...valid(), scope: { kind: 'everyone' } })],
      ['a role the policy does not define', () => ({ ...valid(), scope: { kind: 'role', role: 'astronaut' } })],
      ['a group that does not exist', () => ({ ...valid(), scope: { kind: 'group', groupId: 'no-such-group' } })],
      ['an empty department', () => ({ ...valid(), scope: { kind: 'department', department: '' } })],
      ['a due date in the past', () => ({ ...valid(), dueAt: '2020-01-01T00:00:00Z' })],
      ['a due date without a time zone', () => ({ ...valid(), dueAt: '2099-01-01T00:00:00' })],
      ['an unknown reviewer', () => ({ ...valid(), reviewers: { kind: 'named', users: ['no-such-user'] } })],
      ['an unknown fallback reviewer', () => ({ ...valid(), reviewers: { kind: 'manager', fallback: ['no-such-user'] } })],
      ['no named reviewers', () => ({ ...valid(), reviewers: { kind: 'named', users: [] } })],
      ['an unknown reviewers kind', () => ({ ...valid(), reviewers: { kind: 'hr' } })],
      ['an undecided setting that is neither keep nor revoke', () => ({ ...valid(), undecided: 'ask' })],
      ['no name', () => ({ ...valid(), name: undefined })],
      ['an unknown member', () => ({ ...valid(), owner: 'me' })],
    ];
    for (const [label, body] of cases) {
      it(`refuses ${label} (400 invalidValue), storing nothing`, async () => {
        const before = (await admin.get('/campaigns')).body.campaigns.length;
        assertScimError(await admin.post('/campaigns', body()), 400, 'invalidValue');
        assert.equal((await admin.get('/campaigns')).body.campaigns.length, before);
      });
    }

    it('refuses bad decisions, leaving the item undecided', async () => {
      const campaign = await openCampaign({ ...valid(), name: 'Decisions' });
      const item = campaign.items.find((row) => row.userId !== ids['max']) as Item;
      const max = await reviewerClient(ids['max'] as string);
      for (const body of [{ decision: 'maybe' }, { decision: 'revoke' }, { decision: 'revoke', comment: '' }, { decision: 'keep', exceptionExpiresAt: inDays(1) }, { decision: 'revoke', comment: 'x', exceptionExpiresAt: '2020-01-01T00:00:00Z' }, { decision: 'keep', extra: 1 }]) {
        assertScimError(await max.post(`/reviews/${item.id}`, body), 400, 'invalidValue');
      }
      assert.equal((await admin.get(`/campaigns/${campaign.id}`)).body.itemList.find((row: Item) => row.id === item.id).decision, null);
      assert.equal((await admin.post(`/campaigns/${campaign.id}/close`)).status, 200);
    });

    it('an unknown campaign is 404; a reviewer token for an unknown user is refused', async () => {
      assertScimError(await admin.get('/campaigns/no-such-campaign'), 404);
      assertScimError(await admin.post('/campaigns/no-such-campaign/activate'), 404);
      assertScimError(await admin.get('/campaigns/no-such-campaign/report'), 404);
      assertScimError(await admin.post('/campaigns/reviewer-tokens', { reviewer: 'no-such-user' }), 400, 'invalidValue');
    });
  });

  describe('scopes', () => {
    it('campaigns need campaigns:manage, reviews campaigns:review; the admin alias holds neither', async () => {
      const adminAlias = clientFor(t.app, await issueToken(t.storage.credentials, TENANT, 'old-admin', ['audit:read', 'tokens:manage']), '/admin');
      const reviewer = await reviewerClient(ids['mia'] as string);
      for (const response of [await adminAlias.get('/campaigns'), await adminAlias.get('/reviews'), await reviewer.get('/campaigns'), await reviewer.post('/campaigns/reviewer-tokens', { reviewer: ids['max'] }), await admin.get('/reviews')]) {
        assertScimError(response, 403);
      }
      assertScimError(await clientFor(t.app, await issueToken(t.storage.credentials, TENANT, 'unbound-reviewer', ['campaigns:review']), '/admin').get('/reviews'), 403);
    });

    it('a tokens:manage credential cannot mint a campaigns:review credential through /admin/tokens', async () => {
      const manager = clientFor(t.app, await issueToken(t.storage.credentials, TENANT, 'token-manager', ['tokens:manage']), '/admin');
      assertScimError(await manager.post('/tokens', { name: 'sneaky', scopes: ['campaigns:review'] }), 403);
    });

    it('another tenant sees none of the campaigns, and cannot name this tenant\'s users as reviewers', async () => {
      const acme = clientFor(t.app, await issueToken(t.storage.credentials, 'acme', 'acme-campaigns', ['campaigns:manage']), '/admin');
      const [campaign] = (await admin.get('/campaigns')).body.campaigns as { id: string }[];
      assert.deepEqual((await acme.get('/campaigns')).body.campaigns, []);
      assertScimError(await acme.get(`/campaigns/${campaign?.id}`), 404);
      assertScimError(await acme.post(`/campaigns/${campaign?.id}/close`), 404);
      assertScimError(await acme.get(`/campaigns/${campaign?.id}/report`), 404);
      assertScimError(await acme.post('/campaigns/reviewer-tokens', { reviewer: ids['mia'] }), 400, 'invalidValue');
      assertScimError(await acme.post('/campaigns', { name: 'Cross', scope: { kind: 'all' }, reviewers: { kind: 'named', users: [ids['mia']] }, dueAt: inDays(1) }), 400, 'invalidValue');
    });

    it('issuing a reviewer credential again replaces the old token', async () => {
      const first = await admin.post('/campaigns/reviewer-tokens', { reviewer: ids['bob'] });
      const second = await admin.post('/campaigns/reviewer-tokens', { reviewer: ids['bob'] });
      assert.equal(second.status, 201);
      assertScimError(await clientFor(t.app, String(first.body.token), '/admin').get('/reviews'), 401);
      assert.equal((await clientFor(t.app, String(second.body.token), '/admin').get('/reviews')).status, 200);
    });
  });
});
