import type { Db, Filter } from 'mongodb';
import type { CampaignItemRecord, CampaignRecord, CampaignStore } from '../contract.js';
import { insertNew } from './insert-new.js';
import { keysetFilter } from './keyset.js';
import { hasEntries, loadPending, storePending, type StoredPending } from './pending-entries.js';

interface CampaignDocument extends Omit<CampaignRecord, 'pending'> {
  _id: string;
  pending?: StoredPending;
  /** True while `pending` holds anything: the relay's sweep finds such campaigns by it. */
  hasPending?: boolean;
}

interface ItemDocument extends CampaignItemRecord {
  _id: string;
}

function toCampaign({ _id: _key, pending, hasPending: _flag, ...rest }: CampaignDocument): CampaignRecord {
  const entries = loadPending(pending);
  return { ...rest, ...(hasEntries(entries) ? { pending: entries } : {}) };
}

function toItem({ _id: _key, ...rest }: ItemDocument): CampaignItemRecord {
  return rest;
}

function toCampaignDocument({ pending, ...rest }: CampaignRecord): CampaignDocument {
  const carrying = pending && hasEntries(pending) ? { pending: storePending(pending), hasPending: true } : {};
  return { ...rest, _id: rest.id, ...carrying };
}

const INSERT_BATCH = 1000;
/** Items the close decides per write. */
const DECIDE_BATCH = 1000;

/** A campaign's items in the order of the index `scalar_tenant_campaignId_userName_id`. */
export const ITEM_ORDER = { userName: 1, _id: 1 } as const;

/** The items of the campaign after `after` (from the start without it), in ITEM_ORDER. */
export function itemPageFilter(tenant: string, campaignId: string, after?: { userName: string; _id: string }): Filter<ItemDocument> {
  const position = after ? keysetFilter('userName', false, { sortValue: after.userName, id: after._id, direction: 'after' }, true) : {};
  return { tenant, campaignId, ...position } as Filter<ItemDocument>;
}

/**
 * Collections `campaigns` and `campaign_items`. Index names promise the embedded engine the fields'
 * types (src/store/mongo/documents.ts): strings, dates and booleans (`hasPending`, `unapplied`: true
 * or absent) under `scalar_`, the reviewers' ids (an array of strings) under `elements_`.
 */
export function createCampaignStore(db: Db): CampaignStore & { ensureIndexes(): Promise<void> } {
  const campaigns = db.collection<CampaignDocument>('campaigns');
  const items = db.collection<ItemDocument>('campaign_items');
  return {
    async ensureIndexes() {
      await Promise.all([
        campaigns.createIndex({ tenant: 1, createdAt: -1 }, { name: 'scalar_tenant_createdAt' }),
        campaigns.createIndex({ state: 1 }, { name: 'scalar_state' }),
        campaigns.createIndex({ hasPending: 1 }, { name: 'scalar_hasPending' }),
        // A campaign's items in userName order (the report, GET /admin/campaigns/{id}), walked by keyset.
        items.createIndex({ tenant: 1, campaignId: 1, userName: 1, _id: 1 }, { name: 'scalar_tenant_campaignId_userName_id' }),
        items.createIndex({ tenant: 1, reviewers: 1 }, { name: 'elements_tenant_reviewers' }),
        items.createIndex({ unapplied: 1 }, { name: 'scalar_unapplied' }),
      ]);
    },
    async create(campaign) {
      await campaigns.insertOne(toCampaignDocument(campaign));
    },
    async get(tenant, id) {
      const doc = await campaigns.findOne({ _id: id, tenant });
      return doc ? toCampaign(doc) : null;
    },
    async list(tenant) {
      return (await campaigns.find({ tenant }).sort({ createdAt: -1, _id: 1 }).toArray()).map(toCampaign);
    },
    async update(next, expectedVersion) {
      const current = await campaigns.findOne({ _id: next.id, tenant: next.tenant, version: expectedVersion });
      if (!current) return 'conflict';
      // The entries of earlier writes not relayed yet stay with this write's.
      const held = loadPending(current.pending);
      const pending = { events: [...held.events, ...(next.pending?.events ?? [])], audit: [...held.audit, ...(next.pending?.audit ?? [])] };
      const doc = toCampaignDocument({ ...next, version: expectedVersion + 1, pending });
      const result = await campaigns.replaceOne({ _id: next.id, tenant: next.tenant, version: expectedVersion }, doc);
      return result.modifiedCount === 1 ? toCampaign(doc) : 'conflict';
    },
    async clearPending(tenant, id, version) {
      await campaigns.updateOne({ _id: id, tenant, version }, { $unset: { pending: '', hasPending: '' } });
    },
    async withPending() {
      return (await campaigns.find({ hasPending: true }).toArray()).map(toCampaign);
    },
    async active() {
      return (await campaigns.find({ state: 'active' }).toArray()).map(toCampaign);
    },
    async clearItems(tenant, campaignId) {
      await items.deleteMany({ tenant, campaignId, decision: { $exists: false } });
    },
    async addItems(list) {
      // Item ids are stable: an item another activation of the same draft stored already is the same item.
      for (let start = 0; start < list.length; start += INSERT_BATCH) {
        await insertNew(items, list.slice(start, start + INSERT_BATCH).map((item) => ({ ...item, _id: item.id })));
      }
    },
    async *walkItems(tenant, campaignId, batch) {
      let after: ItemDocument | undefined;
      for (;;) {
        const docs = await items.find(itemPageFilter(tenant, campaignId, after)).sort(ITEM_ORDER).limit(batch).toArray();
        if (docs.length > 0) yield docs.map(toItem);
        if (docs.length < batch) return;
        after = docs.at(-1);
      }
    },
    async decideUndecided(tenant, campaignId, { decision, decidedBy, decidedAt, comment }) {
      const set = { decision, decidedBy, decidedAt, comment, ...(decision === 'revoke' ? { unapplied: true } : {}) };
      // A page of items per write: the embedded engine locks the collection for a write, so one write
      // of a whole campaign would hold every reviewer's decision back for as long as it runs.
      let decided = 0;
      let after: ItemDocument | undefined;
      for (;;) {
        const page = await items.find(itemPageFilter(tenant, campaignId, after), { projection: { _id: 1, userName: 1 } }).sort(ITEM_ORDER).limit(DECIDE_BATCH).toArray();
        if (page.length === 0) return decided;
        decided += (await items.updateMany({ _id: { $in: page.map((doc) => doc._id) }, tenant, decision: { $exists: false } }, { $set: set })).modifiedCount;
        if (page.length < DECIDE_BATCH) return decided;
        after = page.at(-1);
      }
    },
    async itemsOf(tenant, reviewer, campaignIds) {
      if (campaignIds.length === 0) return [];
      return (await items.find({ tenant, reviewers: reviewer, campaignId: { $in: [...campaignIds] } }).sort({ campaignId: 1, userName: 1, _id: 1 }).toArray()).map(toItem);
    },
    async getItem(tenant, id) {
      const doc = await items.findOne({ _id: id, tenant });
      return doc ? toItem(doc) : null;
    },
    async decide(tenant, id, { decision, decidedBy, decidedAt, comment, exceptionExpiresAt }) {
      const set = { decision, decidedBy, decidedAt, ...(comment !== undefined ? { comment } : {}), ...(exceptionExpiresAt ? { exceptionExpiresAt } : {}), ...(decision === 'revoke' ? { unapplied: true } : {}) };
      const doc = await items.findOneAndUpdate({ _id: id, tenant, decision: { $exists: false } }, { $set: set }, { returnDocument: 'after' });
      return doc ? toItem(doc) : null;
    },
    async markApplied(tenant, id) {
      await items.updateOne({ _id: id, tenant }, { $unset: { unapplied: '' } });
    },
    async unapplied(limit, campaign) {
      return (await items.find({ unapplied: true, ...(campaign ? { tenant: campaign.tenant, campaignId: campaign.id } : {}) }).limit(limit).toArray()).map(toItem);
    },
  };
}
