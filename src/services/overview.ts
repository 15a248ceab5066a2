import type { Policy } from '../lifecycle/policy/types.js';
import type { AuditEntry } from '../lifecycle/types.js';
import type { Census, Storage } from '../store/contract.js';
import type { DeliveryHealth, DeliveryHealthReader } from './delivery-health.js';

/**
 * The state of one tenant's directory at a glance (the console's Overview): every figure is an
 * index count or an indexed read of a few items, so it costs the same at 1,000 users as at
 * 100,000 (bench/console.ts). The access review has the rows behind the figures.
 */
export interface DirectoryOverview {
  generatedAt: Date;
  policyFingerprint: string;
  staleDays: number;
  users: Census & { active: number };
  groups: number;
  delivery: DeliveryHealth;
  /** The latest lifecycle changes of users and groups (audit entries, token changes left out), newest first. */
  latest: AuditEntry[];
}

export const OVERVIEW_STALE_DAYS = 90;
const LATEST = 10;
const DAY_MS = 86_400_000;

/** Two indexed reads (users', groups' entries), merged. */
async function latestLifecycleChanges(storage: Storage, tenant: string): Promise<AuditEntry[]> {
  const [users, groups] = await Promise.all((['User', 'Group'] as const).map((resourceType) => storage.audit.query({ tenant, resourceType, order: 'newest', limit: LATEST })));
  return [...(users ?? []), ...(groups ?? [])].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1)).slice(0, LATEST);
}

export async function directoryOverview(storage: Storage, policy: Policy, health: DeliveryHealthReader, tenant: string, now = new Date()): Promise<DirectoryOverview> {
  const query = { policyFingerprint: policy.fingerprint, staleBefore: new Date(now.getTime() - OVERVIEW_STALE_DAYS * DAY_MS) };
  const [users, groups, delivery, latest] = await Promise.all([
    storage.users.census(tenant, query),
    storage.groups.census(tenant, query),
    health.read(),
    latestLifecycleChanges(storage, tenant),
  ]);
  return { generatedAt: now, policyFingerprint: policy.fingerprint, staleDays: OVERVIEW_STALE_DAYS, users: { ...users, active: users.total - users.inactive }, groups: groups.total, delivery, latest };
}
