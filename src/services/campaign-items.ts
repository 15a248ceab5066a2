import { createHash } from 'node:crypto';
import type { Grant } from '../lifecycle/types.js';
import { ENTERPRISE_USER_SCHEMA } from '../scim/schema-registry.js';
import type { CampaignItemRecord, CampaignRecord, ResourceRecord } from '../store/contract.js';

/**
 * What activation snapshots: one item per grant of each user in the campaign's scope (for a role
 * scope, that role's grants only), with the user's reviewers. Nobody reviews their own access: a
 * reviewer who is in scope is left off their own items.
 */

function enterprise(record: ResourceRecord): Record<string, unknown> {
  const value = record.attributes[ENTERPRISE_USER_SCHEMA];
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function managerOf(record: ResourceRecord): string | undefined {
  const manager = enterprise(record)['manager'] as { value?: unknown } | undefined;
  return typeof manager?.value === 'string' && manager.value !== '' ? manager.value : undefined;
}

function inScope(campaign: CampaignRecord, record: ResourceRecord): boolean {
  const { scope } = campaign;
  if (scope.kind === 'group') return record.groupIds.includes(scope.groupId);
  if (scope.kind === 'department') {
    const department = enterprise(record)['department'];
    return typeof department === 'string' && department.toLowerCase() === scope.department.toLowerCase();
  }
  return true;
}

function reviewersOf(campaign: CampaignRecord, record: ResourceRecord): string[] {
  const { reviewers } = campaign;
  const manager = reviewers.kind === 'manager' ? managerOf(record) : undefined;
  const chosen = reviewers.kind === 'named' ? reviewers.users : manager !== undefined ? [manager] : reviewers.fallback;
  return chosen.filter((reviewer) => reviewer !== record.id);
}

/** Stable, so an activation repeated after a crash writes the same items. */
function itemId(campaignId: string, userId: string, grant: Grant): string {
  return createHash('sha256').update(`${campaignId}\n${userId}\n${grant.kind}\n${grant.source}\n${grant.name}`).digest('base64url').slice(0, 22);
}

export function itemsFor(campaign: CampaignRecord, record: ResourceRecord): CampaignItemRecord[] {
  if (!inScope(campaign, record)) return [];
  const { scope } = campaign;
  const grants = (record.lifecycle?.grants ?? []).filter((grant) => scope.kind !== 'role' || (grant.kind === 'role' && grant.name === scope.role));
  const reviewers = reviewersOf(campaign, record);
  return grants.map((grant) => ({
    id: itemId(campaign.id, record.id, grant),
    tenant: campaign.tenant,
    campaignId: campaign.id,
    userId: record.id,
    userName: String(record.attributes['userName']),
    grant: { kind: grant.kind, name: grant.name, source: grant.source, ...(grant.rules ? { rules: grant.rules } : {}) },
    reviewers,
  }));
}
