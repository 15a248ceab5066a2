import assert from 'node:assert/strict';
import { MongoClient, type Db, type Document } from 'mongodb';
import type { CampaignItemRecord } from '../../src/store/contract.js';
import { createCampaignStore, ITEM_ORDER, itemPageFilter } from '../../src/store/mongo/campaign-store.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';

/**
 * A campaign over the whole directory holds one item per grant: its items are walked a page at a
 * time by keyset over (userName, _id), each page read from the index in order, so the report, the
 * item list and the reminders never hold the campaign in memory and never sort it.
 */

const GRANTS = ['employee-baseline', 'engineer', 'oncall'];

function item(campaignId: string, tenant: string, user: number, grant: string): CampaignItemRecord {
  return {
    id: `${campaignId}-${tenant}-${String(user).padStart(4, '0')}-${grant}`,
    tenant,
    campaignId,
    userId: `u${user}`,
    // Several users share a userName's start, and every user has several items: pages end inside a run of equal names.
    userName: `user${String(user % 97).padStart(2, '0')}.${user}@example.com`,
    grant: { kind: 'role', name: grant, source: 'policy' },
    reviewers: [`m${user % 7}`],
  };
}

describe('campaign items: walked by keyset from an index, decided at the close in one write', () => {
  let client: MongoClient;
  let db: Db;
  const store = () => createCampaignStore(db);
  const embedded = !process.env.MONGODB_URI;
  const USERS = 401;

  before(async () => {
    client = await new MongoClient(testDatabaseUri(uniqueDbName('campaign-item-plans'))).connect();
    db = client.db();
    await store().ensureIndexes();
    const items: CampaignItemRecord[] = [];
    for (let user = 0; user < USERS; user += 1) {
      for (const grant of GRANTS) items.push(item('c1', 'default', user, grant), item('c2', 'default', user, grant), item('c1', 'other', user, grant));
    }
    await store().addItems(items);
  });

  after(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('a walk returns every item of the campaign exactly once, by userName then id, whatever the batch', async () => {
    const expected = (await db.collection('campaign_items').find({ tenant: 'default', campaignId: 'c1' }).toArray())
      .sort((a, b) => (a['userName'] < b['userName'] ? -1 : a['userName'] > b['userName'] ? 1 : a['_id'] < b['_id'] ? -1 : 1))
      .map((doc) => String(doc['_id']));
    assert.equal(expected.length, USERS * GRANTS.length);
    for (const batch of [1, 2, 100, 500, 5000]) {
      const walked: string[] = [];
      for await (const page of store().walkItems('default', 'c1', batch)) {
        assert.ok(page.length > 0 && page.length <= batch, `batch ${batch}: a page of ${page.length}`);
        walked.push(...page.map((one) => one.id));
      }
      assert.deepEqual(walked, expected, `batch ${batch}`);
    }
  });

  it('each page is read from the index in order: no scan, no sort of the campaign', async () => {
    const [first] = await db.collection('campaign_items').find({ tenant: 'default', campaignId: 'c1' }).sort(ITEM_ORDER).skip(500).limit(1).toArray();
    for (const after of [undefined, { userName: String(first?.['userName']), _id: String(first?.['_id']) }]) {
      const label = after ? 'a later page' : 'the first page';
      const plan = (await db.command({ explain: { find: 'campaign_items', filter: itemPageFilter('default', 'c1', after), sort: ITEM_ORDER, limit: 500 } })) as Document;
      const text = JSON.stringify(plan['queryPlanner']);
      if (embedded) {
        assert.equal(plan['filterPushdown'], true, label);
        assert.equal(plan['sortPushdown'], true, label);
        assert.match(text, /SEARCH \S+ USING INDEX \S+_scalar_tenant_campaignId_userName_id /, `${label}: ${text}`);
        assert.doesNotMatch(text, /SCAN|TEMP B-TREE/, `${label}: ${text}`);
      } else {
        assert.match(text, /IXSCAN/, `${label}: ${text}`);
        assert.doesNotMatch(text, /COLLSCAN|"stage":"SORT"/, `${label}: ${text}`);
      }
    }
  });

  it('the close decides exactly the undecided items of its campaign, once', async () => {
    const decidedAt = new Date();
    const [one, two] = (await db.collection('campaign_items').find({ tenant: 'default', campaignId: 'c1' }).sort(ITEM_ORDER).limit(2).toArray()).map((doc) => String(doc['_id']));
    assert.ok(await store().decide('default', one as string, { decision: 'keep', decidedBy: 'm1', decidedAt, comment: 'needed' }));
    assert.ok(await store().decide('default', two as string, { decision: 'revoke', decidedBy: 'm1', decidedAt, comment: 'not needed' }));
    const closing = { decision: 'revoke' as const, decidedBy: 'campaign', decidedAt, comment: 'undecided at the close' };
    assert.equal(await store().decideUndecided('default', 'c1', closing), USERS * GRANTS.length - 2);
    assert.equal(await store().decideUndecided('default', 'c1', closing), 0, 'a second close finds nothing left');
    const items = db.collection('campaign_items');
    assert.equal(await items.countDocuments({ tenant: 'default', campaignId: 'c1', decidedBy: 'campaign', decision: 'revoke', unapplied: true }), USERS * GRANTS.length - 2);
    assert.deepEqual(
      (await items.find({ _id: { $in: [one, two] } } as Document).sort({ _id: 1 }).toArray()).map((doc) => [doc['decision'], doc['decidedBy'], doc['comment']]).sort(),
      [
        ['keep', 'm1', 'needed'],
        ['revoke', 'm1', 'not needed'],
      ],
    );
    assert.equal(await items.countDocuments({ decision: { $exists: true }, $or: [{ campaignId: 'c2' }, { tenant: 'other' }] }), 0, 'other campaigns and tenants untouched');
    assert.equal((await store().unapplied(10_000, { tenant: 'default', id: 'c1' })).length, USERS * GRANTS.length - 1);
    assert.equal((await store().unapplied(10_000, { tenant: 'other', id: 'c1' })).length, 0);
  });
});
