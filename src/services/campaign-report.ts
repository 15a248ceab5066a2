import type { CampaignItemRecord, CampaignRecord } from '../store/contract.js';
import { csvLine } from './csv.js';

const COLUMNS = ['campaignId', 'campaign', 'itemId', 'userId', 'userName', 'grantKind', 'grant', 'source', 'reviewers', 'decision', 'decidedBy', 'comment', 'decidedAt', 'exceptionExpiresAt'];

/**
 * A campaign's report (GET /admin/campaigns/{id}/report, the console's download): one CSV line per
 * item, decided or not, written as the items are read.
 */
export async function* campaignReportCsv(campaign: CampaignRecord, items: AsyncIterable<readonly CampaignItemRecord[]>): AsyncGenerator<string> {
  yield csvLine(COLUMNS);
  for await (const batch of items) {
    yield batch
      .map((item) =>
        csvLine([campaign.id, campaign.name, item.id, item.userId, item.userName, item.grant.kind, item.grant.name, item.grant.source, item.reviewers, item.decision, item.decidedBy, item.comment, item.decidedAt?.toISOString(), item.exceptionExpiresAt?.toISOString()]),
      )
      .join('');
  }
}
