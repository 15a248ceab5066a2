import { randomUUID } from 'node:crypto';
import type { AuditEntry, AuditOperation } from '../lifecycle/types.js';
import type { CredentialRecord } from '../store/contract.js';

/** Who changes a token, for its audit entry: the admin credential's name and request id, the CLI (`cli:tokens`) or the server itself. */
export interface TokenActor {
  actor: string;
  requestId: string;
}

/** What an audit entry says about a token: its name, scopes and expiry, never the token or its hash. */
export function describeToken(record: CredentialRecord): Record<string, unknown> {
  return { name: record.name, scopes: record.scopes, expiresAt: record.expiresAt?.toISOString() ?? null, ...(record.reviewer ? { reviewer: record.reviewer } : {}) };
}

/** A token change's audit entry; `resourceId` is the token's name (unique per tenant). */
export function tokenAudit(by: TokenActor, operation: AuditOperation, tenant: string, name: string, at: Date, before: Record<string, unknown> | null, after: Record<string, unknown> | null): AuditEntry {
  return { id: randomUUID(), at, tenant, actor: by.actor, requestId: by.requestId, operation, resourceType: 'Token', resourceId: name, before, after, grantsAdded: [], grantsRevoked: [], events: [] };
}
