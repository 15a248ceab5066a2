import mongoose from 'mongoose';
import type { Storage } from '../contract.js';
import { GROUP_RESOURCE, USER_RESOURCE } from '../../scim/schema-registry.js';
import { nativeCollection, resourceSchema, userSchema, type ResourceDocument } from './documents.js';
import { backfillDirectoryKeys } from './directory-keys-backfill.js';
import { createDirectoryStore } from './directory-store.js';
import { backfillExternalIds } from './external-id-backfill.js';
import { backfillExtensionSortKeys } from './sort-key-backfill.js';
import { backfillLifecycleSummary } from './lifecycle-summary-backfill.js';
import { createNameClaims } from './name-claims.js';
import { createExternalIds } from './external-ids.js';
import { createDocumentLocks } from './document-locks.js';
import { createAuditStore } from './audit-store.js';
import { createResourceStore } from './resource-store.js';
import { createMembershipStore } from './membership-store.js';
import { createCredentialStore } from './credential-store.js';
import { createEventStore } from './event-store.js';
import { createStreamStore } from './stream-store.js';
import { createJobStore } from './job-store.js';
import { createSecretStore } from './secret-store.js';
import { createPolicyExceptionStore } from './policy-exception-store.js';
import { createCampaignStore } from './campaign-store.js';
import { createSessionStore } from './session-store.js';
import { createNamedIndexes } from './index-names.js';
import { groupsOfMembers } from './member-filters.js';

export interface MongoStorageOptions {
  uri: string;
  /** Overrides the database named in the URI (each test file uses its own). */
  dbName?: string;
}

/** Opens a dedicated mongoose connection and returns the storage contract implemented on it. */
export async function createMongoStorage({ uri, dbName }: MongoStorageOptions): Promise<Storage> {
  const connection = mongoose.createConnection(uri, {
    ...(dbName ? { dbName } : {}),
    // With the engine down a request fails within 5 s as 503 (Retry-After) instead of hanging; the
    // driver keeps monitoring and the next request after the engine returns succeeds, no restart needed.
    serverSelectionTimeoutMS: 5_000,
    // An engine that hangs without closing the socket: an operation in flight gives up (503) after this.
    socketTimeoutMS: 60_000,
    autoIndex: false,
    autoCreate: false,
  });
  await connection.asPromise();
  const db = connection.db;
  if (!db) throw new Error('the MongoDB connection has no database');
  const users = connection.model<ResourceDocument>('User', userSchema, 'users');
  const groups = connection.model<ResourceDocument>('Group', resourceSchema, 'groups');
  await Promise.all([createNamedIndexes(users), createNamedIndexes(groups)]);
  const claims = createNameClaims(db.collection('name_claims'));
  const locks = createDocumentLocks();
  const externalIds = createExternalIds(db.collection('external_ids'), locks);
  await backfillExternalIds(db, { User: nativeCollection(users), Group: nativeCollection(groups) }, externalIds);
  await backfillLifecycleSummary(db, nativeCollection(users));
  await backfillExtensionSortKeys(db, [
    [nativeCollection(users), USER_RESOURCE],
    [nativeCollection(groups), GROUP_RESOURCE],
  ]);
  await backfillDirectoryKeys(db, nativeCollection(users));
  const audit = createAuditStore(db);
  await audit.ensureIndexes();
  const credentials = createCredentialStore(db.collection('credentials'), db.collection('credential_names'), audit);
  await credentials.ensureIndexes();
  const streams = createStreamStore(db);
  const policyExceptions = createPolicyExceptionStore(db);
  const campaigns = createCampaignStore(db);
  await Promise.all([policyExceptions.ensureIndexes(), campaigns.ensureIndexes()]);

  return {
    users: createResourceStore({ kind: 'User', model: users, definition: USER_RESOURCE, nameAttribute: 'userName', claims, externalIds, locks }),
    groups: createResourceStore({
      kind: 'Group',
      model: groups,
      definition: GROUP_RESOURCE,
      nameAttribute: 'displayName',
      claims,
      externalIds,
      locks,
      groupsOfMembers: groupsOfMembers([nativeCollection(users), nativeCollection(groups)]),
    }),
    memberships: createMembershipStore(users, groups, locks),
    directory: createDirectoryStore({ User: nativeCollection(users), Group: nativeCollection(groups) }, { User: USER_RESOURCE, Group: GROUP_RESOURCE }),
    credentials,
    events: createEventStore(db, streams),
    streams,
    audit,
    jobs: createJobStore(db),
    secrets: createSecretStore(db.collection('secrets')),
    policyExceptions,
    campaigns,
    sessions: createSessionStore(db.collection('console_sessions')),
    async ping() {
      await db.admin().ping();
    },
    close: () => connection.close(),
  };
}
