import type { FilterNode } from '../scim/filter/ast.js';
import type { ResourceAttributes } from '../scim/ingress.js';

/**
 * The storage contract. Services and HTTP code depend only on these interfaces; the MongoDB
 * adapter (src/store/mongo/) is one implementation. Records carry domain data only: no `_id`,
 * no engine-specific fields, never a password hash.
 *
 * Errors: implementations throw ScimError('uniqueness') for a name conflict and return
 * 'conflict' when an expected version no longer matches. Anything else is an outage or a bug.
 */

export type ResourceKind = 'User' | 'Group';

export interface ResourceRecord {
  id: string;
  tenant: string;
  /** Incremented by every write, including membership changes that alter the representation. */
  version: number;
  created: Date;
  lastModified: Date;
  /** SCIM attributes as validated on ingress: core attributes plus extension objects under their URNs. */
  attributes: ResourceAttributes;
  /** Direct memberships: ids of the groups this resource is a member of. */
  groupIds: string[];
}

export interface NewResource {
  tenant: string;
  id: string;
  attributes: ResourceAttributes;
  passwordHash?: string | undefined;
}

export interface Replacement {
  attributes: ResourceAttributes;
  /** undefined keeps the stored hash: a PUT without a password must not erase it. */
  passwordHash?: string | undefined;
}

/** A sort value as a cursor can carry it. */
export type SortValue = string | number | boolean | Date | null;

/**
 * Keyset position for cursor paging (RFC 9865): the page continues strictly after (or before)
 * the resource with this sort value and id, so deletions between pages never shift it.
 */
export interface KeysetPosition {
  sortValue: SortValue;
  id: string;
  direction: 'after' | 'before';
}

export interface ListQuery {
  filter?: FilterNode | undefined;
  sortBy?: string | undefined;
  descending: boolean;
  /** 1-based; ignored when `keyset` is set. */
  startIndex: number;
  /** 0 asks for the total only. */
  count: number;
  /** Cursor paging: set (possibly `null` for the first page) instead of using startIndex. */
  keyset?: KeysetPosition | null | undefined;
}

export interface ListPage<R> {
  total: number;
  items: R[];
  /** Cursor paging only: each item's sort value, and whether more items lie beyond the page. */
  sortValues?: SortValue[];
  more?: boolean;
}

export interface ResourceStore {
  readonly kind: ResourceKind;
  create(resource: NewResource): Promise<ResourceRecord>;
  get(tenant: string, id: string): Promise<ResourceRecord | null>;
  getMany(tenant: string, ids: readonly string[]): Promise<ResourceRecord[]>;
  replace(tenant: string, id: string, expectedVersion: number, replacement: Replacement): Promise<ResourceRecord | 'conflict' | null>;
  /** With an expected version, deletes only that version ('conflict' otherwise). */
  delete(tenant: string, id: string, expectedVersion?: number): Promise<ResourceRecord | 'conflict' | null>;
  list(tenant: string, query: ListQuery): Promise<ListPage<ResourceRecord>>;
}

export interface MemberRef {
  id: string;
  kind: ResourceKind;
  display: string | undefined;
}

/**
 * Group membership is stored on the member (its `groupIds`), so adding or removing one member is a
 * single-document update of the member plus a version bump of the group: cost never depends on
 * the group's size, and concurrent changes to one group touch different documents.
 */
export interface MembershipStore {
  membersOf(tenant: string, groupId: string): Promise<MemberRef[]>;
  /** Ids among `memberIds` that are neither a user nor a group of this tenant. */
  missing(tenant: string, memberIds: readonly string[]): Promise<string[]>;
  add(tenant: string, groupId: string, memberIds: readonly string[]): Promise<void>;
  remove(tenant: string, groupId: string, memberIds: readonly string[]): Promise<void>;
  /** Makes the member list exactly `memberIds`; concurrent replacements never leave a mix. */
  replace(tenant: string, groupId: string, memberIds: readonly string[]): Promise<void>;
  /** After a group is deleted: no resource may still list it. */
  forgetGroup(tenant: string, groupId: string): Promise<void>;
  /** After a member is deleted: its former groups change version (their member list changed). */
  touchGroups(tenant: string, groupIds: readonly string[]): Promise<void>;
}

export interface CredentialRecord {
  /** SHA-256 of the token, hex. */
  hash: string;
  tenant: string;
  name: string;
  createdAt: Date;
}

export interface CredentialStore {
  findByHash(hash: string): Promise<CredentialRecord | null>;
  /** False when a credential with this name already exists for the tenant. */
  insertIfAbsent(record: CredentialRecord): Promise<boolean>;
  countForTenant(tenant: string): Promise<number>;
}

export interface Storage {
  users: ResourceStore;
  groups: ResourceStore;
  memberships: MembershipStore;
  credentials: CredentialStore;
  /** Throws when the engine is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
