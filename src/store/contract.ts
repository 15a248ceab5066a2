import type { Scope } from '../auth/scopes.js';
import type { ScimError } from '../errors/scim-error.js';
import type { AuditEntry, EventType, Grant, LifecycleEvent, LifecycleState, LifecycleStateName } from '../lifecycle/types.js';
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
  /** Users only: lifecycle state, written in the same single-document change as the attributes. */
  lifecycle?: LifecycleState | undefined;
  /**
   * Only on the records create and replace return: every entry the document holds for the relay
   * after that write (its own and any a crash left), so the relay need not read them again.
   */
  pending?: PendingEntries | undefined;
  /** True while the document holds entries not relayed yet (a write is relaying them, or one failed to). */
  unrelayed?: boolean | undefined;
}

/**
 * Events and the audit entry of a change, stored in the changed document itself (so they are
 * durable exactly when the change is) and then relayed to the event log and the audit trail.
 */
export interface PendingEntries {
  events: LifecycleEvent[];
  audit: AuditEntry[];
}

/** A document version whose pending entries are stored elsewhere now and may be cleared. */
export interface PendingTarget {
  kind: ResourceKind;
  tenant: string;
  id: string;
  version: number;
}

export interface NewResource {
  tenant: string;
  id: string;
  attributes: ResourceAttributes;
  passwordHash?: string | undefined;
  lifecycle?: LifecycleState | undefined;
  pending?: PendingEntries | undefined;
}

export interface Replacement {
  attributes: ResourceAttributes;
  /** undefined keeps the stored hash: a PUT without a password must not erase it. */
  passwordHash?: string | undefined;
  lifecycle?: LifecycleState | undefined;
  pending?: PendingEntries | undefined;
  /** Set to leave every group in the same write (deactivation with memberships "remove"). */
  groupIds?: string[] | undefined;
  /** The record as read at the expected version, if the caller has it: spares the store reading it again. */
  basis?: ResourceRecord | undefined;
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

/**
 * What one request may spend on reading (docs/security.md, "Limits"). A store honours it in
 * list(): every query carries the time left (maxTimeMS) and stops being read once it is gone,
 * in-memory passes check it as they go, candidates read for in-memory filter checks are taken
 * from it, and a query the engine cannot answer from an index first takes an expensive-query slot.
 * The methods throw the ScimErrors the client gets.
 */
export interface ReadBudget {
  /** Milliseconds left before the deadline; at least 1 (a query given 0 would get no limit), or throws deadlineExceeded. */
  remainingMs(): number;
  /** Throws deadlineExceeded (503 + Retry-After) once the deadline has passed. */
  checkDeadline(): void;
  /** The error for a deadline the engine enforced (a query stopped at its maxTimeMS). */
  deadlineError(): ScimError;
  /** Candidates the request may still read for in-memory checks. */
  candidatesLeft(): number;
  /** Takes `count` candidates; throws tooMany (400) when the request has no more. */
  takeCandidates(count: number): void;
  /**
   * Before a query the engine answers by reading documents that no index selects: takes one of
   * the credential's expensive-query slots for the rest of the request (once per request), or
   * throws expensiveQueriesBusy (503 + Retry-After).
   */
  expensive(): void;
}

export interface ListQuery {
  /** Bounds the reads; absent for maintenance jobs and the CLI, which may take what they need. */
  budget?: ReadBudget | undefined;
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

export interface RelayBacklog {
  documents: number;
  /** The last write of the longest-waiting document; null when none waits. */
  oldestWrittenAt: Date | null;
}

/** What a document holds for the relay, taken by the sweep (or by a write that finds it left over). */
export interface TakenEntries {
  entries: PendingEntries;
  /** The document is marked deleting: its entries stay until the delete is finished and it is removed. */
  deleting: boolean;
  /** Clears exactly the entries taken (the document may have got more since). */
  clear: () => Promise<void>;
}

/**
 * Users and groups. A document marked deleting (markDeleting) is gone for every reader: get,
 * getMany and list never return it; only takePending, deleting and remove see it.
 */
export interface ResourceStore {
  readonly kind: ResourceKind;
  /** Moves the document's pending entries out (a document marked deleting included); null when it holds none. */
  takePending(tenant: string, id: string): Promise<TakenEntries | null>;
  /**
   * Empties the pending entries of each target still at its version, all in one command. A target
   * written again since keeps its entries (some already stored): the next relay stores them once.
   */
  clearPending(targets: readonly PendingTarget[]): Promise<void>;
  /** Ids of documents last written before `writtenBefore` that still hold pending entries (a crash left them), for the relay's sweep. */
  withPending(limit: number, writtenBefore: Date): Promise<{ tenant: string; id: string }[]>;
  /** For monitoring, from indexes only: how many documents hold entries not relayed yet, and when the oldest of them was written. */
  pendingBacklog(): Promise<RelayBacklog>;
  create(resource: NewResource): Promise<ResourceRecord>;
  /**
   * Many creates in a few commands; per resource its record, or the ScimError it failed with:
   * `uniqueness` for itself alone, or `unavailable` when the engine failed before it was stored (or
   * while it was, and could not be asked afterwards: the detail says which).
   */
  createMany(resources: readonly NewResource[]): Promise<(ResourceRecord | ScimError)[]>;
  get(tenant: string, id: string): Promise<ResourceRecord | null>;
  getMany(tenant: string, ids: readonly string[]): Promise<ResourceRecord[]>;
  replace(tenant: string, id: string, expectedVersion: number, replacement: Replacement): Promise<ResourceRecord | 'conflict' | null>;
  /**
   * A write that changes only the version, carrying entries: the representation changed through
   * other documents (a group's members). Returns what replace returns.
   */
  touch(tenant: string, id: string, expectedVersion: number, pending: PendingEntries): Promise<ResourceRecord | 'conflict' | null>;
  /**
   * The first step of a delete, one version-conditional write: the document is marked deleting and
   * carries the delete's entries. From then on it is gone for every reader; the relay stores the
   * entries and `remove` takes the document away. Returns what replace returns.
   */
  markDeleting(tenant: string, id: string, expectedVersion: number, pending: PendingEntries): Promise<ResourceRecord | 'conflict' | null>;
  /** A document marked deleting, for finishing its delete; null when there is none. */
  deleting(tenant: string, id: string): Promise<ResourceRecord | null>;
  /** Removes a document marked deleting and frees its name and externalId; false when there was none. */
  remove(tenant: string, id: string): Promise<boolean>;
  list(tenant: string, query: ListQuery): Promise<ListPage<ResourceRecord>>;
  /**
   * Every resource of the tenant in creation order, `batch` at a time, for reports that read them
   * all (the access review): no counts, and the next batch is read while the caller handles this one.
   */
  walk(tenant: string, batch: number): AsyncIterable<ResourceRecord[]>;
  /** Maintenance jobs: every tenant's resources with an id greater than `afterId`, ordered by id. */
  scan(afterId: string | undefined, limit: number): Promise<{ tenant: string; id: string }[]>;
  /** Maintenance jobs: how many resources there are in all tenants (a cheap count, for progress). */
  count(): Promise<number>;
  /**
   * Counts for the console's overview, each from an index (never a read of the documents): the
   * tenant's resources and, for users, their lifecycle figures. A delete in progress may be counted
   * for a moment.
   */
  census(tenant: string, query: CensusQuery): Promise<Census>;
  /**
   * Users: notes that the policy with this fingerprint was applied and changed nothing, without a
   * new version or lastModified (which policy evaluated a user is not part of its representation).
   * False when the user was written since `expectedVersion` (that write recorded its own policy).
   */
  notePolicyFingerprint(tenant: string, id: string, expectedVersion: number, fingerprint: string): Promise<boolean>;
}

export interface CensusQuery {
  /** The current policy's fingerprint: active users evaluated under another one are counted as `otherPolicy`. */
  policyFingerprint: string;
  /** Resources last modified before this instant are counted as `stale`. */
  staleBefore: Date;
}

export interface Census {
  total: number;
  /** Users only (0 for groups). */
  inactive: number;
  /** Inactive users still holding a grant or a permission: must be 0. */
  inactiveWithAccess: number;
  /** Active users whose grants were last evaluated under a policy other than the current one. */
  otherPolicy: number;
  stale: number;
}

export interface MemberRef {
  id: string;
  kind: ResourceKind;
  display: string | undefined;
}

/** The members whose membership really changed (a re-added member is in neither list). */
export interface MembershipChange {
  added: MemberRef[];
  removed: MemberRef[];
  /** The group as the change left it (its version bumped); absent when nothing changed. */
  group?: ResourceRecord | undefined;
}

/**
 * Group membership is stored on the member (its `groupIds`), so adding or removing one member is a
 * single-document update of the member plus a version bump of the group (ResourceStore.touch, which
 * carries the change's entries): cost never depends on the group's size, and concurrent changes to
 * one group touch different documents. Members marked deleting are no members for any reader.
 */
export interface MembershipStore {
  membersOf(tenant: string, groupId: string): Promise<MemberRef[]>;
  /** The members in no particular order, read in batches: memory does not grow with the group's size. */
  streamMembers(tenant: string, groupId: string): AsyncIterable<MemberRef>;
  /** Ids among `memberIds` that are neither a user nor a group of this tenant. */
  missing(tenant: string, memberIds: readonly string[]): Promise<string[]>;
  /**
   * Of `memberIds`, the resources whose membership in the group adding (or removing) would change:
   * existing ones not yet (or still) members. A read; nothing is written.
   */
  due(tenant: string, groupId: string, memberIds: readonly string[], adding: boolean): Promise<MemberRef[]>;
  /**
   * Writes a planned change to the member documents. Idempotent: applying it again changes nothing,
   * so whoever relays the change's entries can complete an interrupted one first.
   */
  apply(tenant: string, groupId: string, added: readonly MemberRef[], removed: readonly MemberRef[]): Promise<void>;
  /** Runs `work` as the only membership change of this group in this process: a replacement never interleaves with another change. */
  serialised<T>(groupId: string, work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` only if the group is still at `expectedVersion`, and as the only such guarded
   * change of this group at a time, so of several requests carrying one If-Match exactly one wins.
   * Null when the group does not exist (or is being deleted).
   */
  guarded<T>(tenant: string, groupId: string, expectedVersion: number, work: () => Promise<T>): Promise<T | 'conflict' | null>;
  /** While a group is deleted: no resource may still list it (each member's version changes). */
  forgetGroup(tenant: string, groupId: string): Promise<void>;
  /** When a member is deleted or leaves its groups: those groups change version (their member list changed). */
  touchGroups(tenant: string, groupIds: readonly string[]): Promise<void>;
}

export interface CredentialRecord {
  /** SHA-256 of the token, hex: the token itself is never stored. */
  hash: string;
  tenant: string;
  /** Unique per tenant; rotation keeps the name and replaces the token. */
  name: string;
  scopes: Scope[];
  createdAt: Date;
  expiresAt?: Date | undefined;
  revokedAt?: Date | undefined;
  /** Approximate: recorded at most once per LAST_USED_RESOLUTION_MS (see src/auth/authenticator.ts). */
  lastUsedAt?: Date | undefined;
  /** The event stream of its tenant this credential polls (RFC 8936); undefined: none. */
  stream?: string | undefined;
  /** A reviewer credential (campaigns:review): the user whose review items it sees; undefined: none. */
  reviewer?: string | undefined;
}

/**
 * API tokens. Each change carries its audit entry in the first credential document it writes (the
 * token created, the first token revoked, the new token of a rotation); `relayAudit` then moves it
 * to the audit trail, completing first whatever the change had left to write (the other tokens of
 * a revoked or rotated name), so no entry is stored for a change that is not, and no change is
 * stored without its entry.
 */
export interface CredentialStore {
  findByHash(hash: string): Promise<CredentialRecord | null>;
  /** False (and nothing stored) when a credential with this name already exists for the tenant. */
  insertIfAbsent(record: CredentialRecord, audit?: AuditEntry): Promise<boolean>;
  /** Every stored credential (old tokens of rotated names too), by tenant, name and creation. */
  list(tenant?: string): Promise<CredentialRecord[]>;
  /**
   * Revokes every token of the name created up to `at` that is not revoked yet; the first one
   * carries `audit` (none is written when every token was revoked already). Null when the name is unknown.
   */
  revoke(tenant: string, name: string, at: Date, audit?: AuditEntry): Promise<number | null>;
  /**
   * Stores `next` (carrying `audit`) under an existing name; the name's other tokens stay valid
   * until `oldValidUntil` (revoked at once when that is not in the future). Null when the name is unknown.
   */
  rotate(next: CredentialRecord, oldValidUntil: Date, audit?: AuditEntry): Promise<CredentialRecord[] | null>;
  markUsed(hash: string, at: Date): Promise<void>;
  /**
   * Moves the audit entries credentials hold to the audit trail (idempotent), each after completing
   * its change, and clears them. Token changes are rare, so this handles every credential holding
   * entries: the one just changed, or what a crash left (the relay's sweep). Returns how many there were.
   */
  relayAudit(): Promise<number>;
}

/** Newest first (what happened last) or oldest first (chronological). */
export type AuditOrder = 'newest' | 'oldest';

/** An entry's place in the trail's order: by `at`, then by `id` among entries of the same instant. */
export interface AuditPosition {
  at: Date;
  id: string;
}

/**
 * What to read from one tenant's trail. Every condition is optional and they combine with AND;
 * `resourceType` and `operation` are any strings (new kinds of entry need no change here).
 */
export interface AuditQuery {
  tenant: string;
  resourceId?: string | undefined;
  actor?: string | undefined;
  operation?: string | undefined;
  resourceType?: string | undefined;
  /** Entries at or after this instant. */
  since?: Date | undefined;
  /** Entries before this instant. */
  until?: Date | undefined;
  /** Default 'oldest'. */
  order?: AuditOrder | undefined;
  /** Keyset paging: only entries strictly beyond this one in `order`, so appends between pages never shift a walk. */
  after?: AuditPosition | undefined;
  /** At least 1. */
  limit: number;
}

/** Append-only: nothing in the SCIM API or the admin API updates or deletes an entry. */
export interface AuditStore {
  /** Idempotent: an entry whose id is already stored is skipped. */
  append(entries: readonly AuditEntry[]): Promise<void>;
  /**
   * Up to `limit` entries in order. Served by an index for each condition alone and for none, so
   * a page reads about `limit` entries however long the trail is (docs/decisions.md); combined
   * conditions read one condition's index range and check the others on it.
   */
  query(query: AuditQuery): Promise<AuditEntry[]>;
}

export interface Delivery {
  id: string;
  webhook: string;
  event: LifecycleEvent;
  attempts: number;
}

/**
 * The event log and per-webhook deliveries. Each subject's events are delivered in sequence order:
 * a delivery is claimable only when no earlier delivery of the same subject to the same webhook
 * is still pending. Claims are leases, so several processes can run workers.
 */
export interface EventStore {
  /**
   * Idempotent on event id; one delivery per event and webhook, and each event is queued in the
   * event streams of its tenant that take its type (StreamStore), as the same append.
   */
  append(events: readonly LifecycleEvent[], webhooks: readonly string[]): Promise<void>;
  claim(owner: string, now: Date, leaseMs: number, limit: number): Promise<Delivery[]>;
  markDelivered(id: string, owner: string, now: Date): Promise<void>;
  markFailed(id: string, owner: string, nextAttemptAt: Date, error: string): Promise<void>;
  /** Gives up this owner's leases at shutdown so another process can continue at once. */
  release(owner: string): Promise<void>;
  /** Events stored for a subject, oldest first (tests and the admin API). */
  forSubject(tenant: string, resourceId: string): Promise<LifecycleEvent[]>;
  /** For monitoring, from an index: what is still owed to one webhook. */
  webhookBacklog(webhook: string): Promise<WebhookBacklog>;
  /**
   * "Retry now": the webhook's deliveries backing off after failed attempts become due at `now`
   * (order per subject still holds: claim takes a queue's head only). Returns how many.
   */
  retryNow(webhook: string, now: Date): Promise<number>;
}

export interface WebhookBacklog {
  /** Deliveries not delivered yet (waiting, backing off after failures, or in flight). */
  pending: number;
  /** When the event of the oldest of them occurred; null when none is pending. */
  oldestOccurredAt: Date | null;
  /** Why the last attempt of that oldest delivery failed, as the worker recorded it; undefined when it has not failed. */
  oldestLastError: string | undefined;
  /** Of the pending deliveries, those whose attempts failed so far (backing off). */
  failing: number;
  /** Why the last attempt of the oldest of those failed; undefined when none has failed. */
  failingLastError: string | undefined;
}

/** A receiver's event stream (RFC 8936 poll): the events of its tenant it is sent. */
export interface StreamRecord {
  /** Unique per creation: a stream deleted and created again under its name starts empty. */
  id: string;
  tenant: string;
  /** Unique per tenant. */
  name: string;
  /** The event types it takes; undefined: every type. */
  events?: EventType[] | undefined;
  createdAt: Date;
  updatedAt: Date;
}

/** An event in a stream, waiting for the receiver to acknowledge it. */
export interface QueuedEvent {
  event: LifecycleEvent;
  /** When it entered the stream (its SET's `iat`, so every redelivery is the same token). */
  enqueuedAt: Date;
}

/** A receiver's report that it could not use an event (RFC 8936 `setErrs`). */
export interface StreamError {
  eventId: string;
  /** An RFC 8935 "Security Event Token Error Codes" value, as the receiver sent it. */
  err: string;
  description?: string | undefined;
  reportedAt: Date;
}

export interface StreamBacklog {
  stream: StreamRecord;
  /** Events not acknowledged yet: every poll returns them again until they are. */
  pending: number;
  /** When the oldest of them entered the stream; null when there is none. */
  oldestPendingAt: Date | null;
  /** Events the receiver reported as errors: kept (not sent again) until retention removes them. */
  failed: number;
}

/**
 * Event streams and what waits in them. Events enter a stream through EventStore.append; they
 * leave it when acknowledged or when `purge` removes them (retention). A stream's queue is read
 * oldest first without leases: a poll returns every unacknowledged event, so several processes
 * and concurrent polls need no coordination (a receiver deduplicates by `jti`).
 */
export interface StreamStore {
  /** False when the tenant already has a stream of that name. */
  create(stream: StreamRecord): Promise<boolean>;
  get(tenant: string, name: string): Promise<StreamRecord | null>;
  /** By tenant and name; every tenant's when `tenant` is undefined. */
  list(tenant?: string): Promise<StreamRecord[]>;
  /** Changes the event types it takes from now on; null when unknown. */
  setEvents(tenant: string, name: string, events: EventType[] | undefined, at: Date): Promise<StreamRecord | null>;
  /** Deletes the stream and everything queued in it; false when unknown. */
  remove(tenant: string, name: string): Promise<boolean>;
  /** The oldest unacknowledged events, oldest first, at most `limit`. */
  pending(stream: StreamRecord, limit: number): Promise<QueuedEvent[]>;
  /** Removes these events from the stream; ids that are not queued (any more) are ignored. */
  acknowledge(stream: StreamRecord, eventIds: readonly string[]): Promise<void>;
  /** Records each error on its event, which is not sent again; ids that are not queued are ignored. */
  reportErrors(stream: StreamRecord, errors: readonly StreamError[]): Promise<void>;
  /** The latest reported errors, newest first. */
  errors(stream: StreamRecord, limit: number): Promise<StreamError[]>;
  backlog(stream: StreamRecord): Promise<StreamBacklog>;
  /** Removes up to `limit` events that entered any stream before `enqueuedBefore`; returns how many. */
  purge(enqueuedBefore: Date, limit: number): Promise<number>;
}

/** A resumable maintenance job's checkpoint (e.g. policy re-evaluation). */
export interface JobRecord {
  id: string;
  /** What the job works towards (e.g. the policy fingerprint): a different one starts the job over. */
  fingerprint: string;
  /** The last resource id handled; undefined before the first. */
  lastId: string | undefined;
  processed: number;
  changed: number;
  startedAt: Date;
  finishedAt?: Date;
}

export interface JobStore {
  get(id: string): Promise<JobRecord | null>;
  /** Creates or replaces the record with this id. */
  save(job: JobRecord): Promise<void>;
}

/** Secrets of the deployment, shared by every process on the database (e.g. the cursor signing key). */
export interface SecretStore {
  /** The secret with this name: random bytes generated by the first process that asks, the same ever after. */
  get(name: string): Promise<Buffer>;
}

/** What the console searches users by: each a prefix of one indexed, lower-cased value (externalId as sent). */
export const USER_SEARCH_FIELDS = ['userName', 'givenName', 'familyName', 'email', 'department', 'externalId'] as const;
export type UserSearchField = (typeof USER_SEARCH_FIELDS)[number];

/** A place in a directory listing: strictly after the item with this sort value and id. */
export interface DirectoryPosition {
  value: string;
  id: string;
}

export interface DirectoryPage<R> {
  items: R[];
  /** Each item's position, for the cursor of the next page. */
  positions: DirectoryPosition[];
  more: boolean;
}

export interface UserSearch {
  tenant: string;
  field: UserSearchField;
  /** Values starting with this (case-insensitively, but for externalId); '' matches every user. */
  prefix: string;
  state?: LifecycleStateName | undefined;
  after?: DirectoryPosition | undefined;
  /** At least 1. */
  limit: number;
}

/** The console's summary figures, each an index range count (never a pass over the users). */
export interface DirectoryCounts {
  inactiveWithAccess: number;
  /** Active users whose grants were last evaluated with another policy than the current one (drift candidates). */
  otherPolicy: number;
  /** Users not written since `staleBefore`. */
  stale: number;
}

/**
 * The console's reads (issue 14): each page is one or a few index ranges read in page order, so a
 * page costs about the same at a thousand users as at a hundred thousand. Searches are by prefix
 * of one field; lists are keyset pages (`after` the last item of the page before).
 */
export interface DirectoryStore {
  searchUsers(search: UserSearch): Promise<DirectoryPage<ResourceRecord>>;
  /** Groups whose displayName starts with `prefix` (case-insensitively), by displayName. */
  searchGroups(tenant: string, prefix: string, after: DirectoryPosition | undefined, limit: number): Promise<DirectoryPage<ResourceRecord>>;
  /** A group's direct members of one kind, by userName (users) or displayName (groups). */
  members(tenant: string, groupId: string, kind: ResourceKind, after: DirectoryPosition | undefined, limit: number): Promise<DirectoryPage<MemberRef>>;
  /** Users holding a role (from policy or sent by the IdP), by userName. */
  roleHolders(tenant: string, role: string, after: DirectoryPosition | undefined, limit: number): Promise<DirectoryPage<ResourceRecord>>;
  /** Inactive users that still hold a grant or a permission (there must be none), by userName. */
  inactiveWithAccess(tenant: string, after: DirectoryPosition | undefined, limit: number): Promise<DirectoryPage<ResourceRecord>>;
  /** Users not written since `before`, least recently written first (position value: ISO time). */
  staleUsers(tenant: string, before: Date, after: DirectoryPosition | undefined, limit: number): Promise<DirectoryPage<ResourceRecord>>;
  counts(tenant: string, policyFingerprint: string, staleBefore: Date): Promise<DirectoryCounts>;
}

/**
 * A policy grant withheld from one user: an access review revoked it, so evaluation does not grant
 * the role again while the exception is in force (until `expiresAt`, or for good without one).
 */
export interface PolicyException {
  tenant: string;
  userId: string;
  role: string;
  reason: string;
  expiresAt?: Date | undefined;
  /** Who decided (the reviewer's user id, or the campaign for its undecided items). */
  createdBy: string;
  createdAt: Date;
  /** The campaign and item that decided it. */
  campaignId: string;
  itemId: string;
}

/** Policy exceptions, one per tenant, user and role (a later one for the same role replaces it). */
export interface PolicyExceptionStore {
  put(exception: PolicyException): Promise<void>;
  /** The user's exceptions in force at `at`. */
  inForce(tenant: string, userId: string, at: Date): Promise<PolicyException[]>;
  /** Every exception of the user, expired ones included, by role. */
  ofUser(tenant: string, userId: string): Promise<PolicyException[]>;
  /** Every exception of the tenant, by user and role. */
  list(tenant: string): Promise<PolicyException[]>;
}

export type CampaignState = 'draft' | 'active' | 'closed';

/** Whose access a campaign reviews. */
export type CampaignScope = { kind: 'all' } | { kind: 'role'; role: string } | { kind: 'group'; groupId: string } | { kind: 'department'; department: string };

/** Who reviews: each user's manager (enterprise `manager`; `fallback` reviews users without one), or the named users. */
export type CampaignReviewers = { kind: 'manager'; fallback: string[] } | { kind: 'named'; users: string[] };

export type ReviewDecision = 'keep' | 'revoke';

/** An access certification campaign. Its audit entries and events wait in `pending` until relayed. */
export interface CampaignRecord {
  id: string;
  tenant: string;
  name: string;
  scope: CampaignScope;
  reviewers: CampaignReviewers;
  dueAt: Date;
  /** What happens to items nobody decided by the close. */
  undecided: ReviewDecision;
  state: CampaignState;
  /** Incremented by every write: updates are conditional on it. */
  version: number;
  createdAt: Date;
  createdBy: string;
  activatedAt?: Date | undefined;
  closedAt?: Date | undefined;
  items?: number | undefined;
  /** When reviewers with pending items were last reminded. */
  remindedAt?: Date | undefined;
  pending?: PendingEntries | undefined;
}

/** One grant of one user under review, as activation found it. */
export interface CampaignItemRecord {
  id: string;
  tenant: string;
  campaignId: string;
  userId: string;
  userName: string;
  grant: Grant;
  /** User ids of those who may decide it (empty: nobody; the close decides). */
  reviewers: string[];
  decision?: ReviewDecision | undefined;
  /** The reviewer's user id, or "campaign" for an item the close decided. */
  decidedBy?: string | undefined;
  comment?: string | undefined;
  decidedAt?: Date | undefined;
  /** A revoked policy grant: when the exception recorded for it stops applying (none: for good). */
  exceptionExpiresAt?: Date | undefined;
  /** A revocation not carried out yet (the sweep finishes it); false for keep and undecided items. */
  unapplied?: boolean | undefined;
}

/**
 * Campaigns and their items. A campaign changes state by version-conditional writes that carry
 * their entries; an item is decided once, by a write conditional on its being undecided.
 */
export interface CampaignStore {
  create(campaign: CampaignRecord): Promise<void>;
  get(tenant: string, id: string): Promise<CampaignRecord | null>;
  /** Newest first. */
  list(tenant: string): Promise<CampaignRecord[]>;
  /** Stores `next` (its version one more than `expectedVersion`) with its pending entries appended; 'conflict' when the version moved. */
  update(next: CampaignRecord, expectedVersion: number): Promise<CampaignRecord | 'conflict'>;
  /** Clears the entries of that version once relayed. */
  clearPending(tenant: string, id: string, version: number): Promise<void>;
  /** Every campaign holding entries not relayed yet (a crash left them). */
  withPending(): Promise<CampaignRecord[]>;
  /** Active campaigns of every tenant, for the sweep (due closes, reminders). */
  active(): Promise<CampaignRecord[]>;
  /** Removes the campaign's undecided items (an activation interrupted before its state changed leaves some); a decided item is never removed. */
  clearItems(tenant: string, campaignId: string): Promise<void>;
  addItems(items: readonly CampaignItemRecord[]): Promise<void>;
  /** The campaign's items by userName (then id), `batch` at a time: index ranges, never the whole campaign in memory. */
  walkItems(tenant: string, campaignId: string, batch: number): AsyncGenerator<CampaignItemRecord[]>;
  /** Decides every undecided item of the campaign (the close), a page of items per write, each write conditional on the item being undecided; how many it decided. */
  decideUndecided(tenant: string, campaignId: string, decision: Required<Pick<CampaignItemRecord, 'decision' | 'decidedBy' | 'decidedAt' | 'comment'>>): Promise<number>;
  /** Items of active campaigns `reviewer` may decide, decided or not. */
  itemsOf(tenant: string, reviewer: string, campaignIds: readonly string[]): Promise<CampaignItemRecord[]>;
  getItem(tenant: string, id: string): Promise<CampaignItemRecord | null>;
  /** Records the decision if the item is still undecided; null when it is not (or does not exist). */
  decide(tenant: string, id: string, decision: Required<Pick<CampaignItemRecord, 'decision' | 'decidedBy' | 'decidedAt'>> & Pick<CampaignItemRecord, 'comment' | 'exceptionExpiresAt'>): Promise<CampaignItemRecord | null>;
  markApplied(tenant: string, id: string): Promise<void>;
  /** Revocations decided but not carried out (a crash between the decision and the user's write), of one campaign or of all. */
  unapplied(limit: number, campaign?: { tenant: string; id: string }): Promise<CampaignItemRecord[]>;
}

/**
 * A signed-in admin console session (src/console/sessions.ts). `id` is the SHA-256 of the cookie's
 * value, so the stored form cannot be replayed as a cookie.
 */
export interface ConsoleSessionRecord {
  id: string;
  tenant: string;
  credential: string;
  scopes: Scope[];
  /** The CSRF synchronizer token its forms carry. */
  csrfToken: string;
  /** The SHA-256 of the credential signed in with (a stored credential's key): revoking it ends the session. */
  credentialHash: string;
  /** When that credential expires, if it does: tokens minted in the session may not outlive it. */
  credentialExpiresAt?: Date | undefined;
  /** A reviewer credential's reviewer (user id): the review items the session sees. */
  reviewer?: string | undefined;
  createdAt: Date;
  lastSeenAt: Date;
  /** The absolute end: sign-in plus the absolute timeout, or the credential's own expiry if sooner. */
  expiresAt: Date;
}

/** Console sessions, shared by every server process on the database. */
export interface SessionStore {
  create(session: ConsoleSessionRecord): Promise<void>;
  get(id: string): Promise<ConsoleSessionRecord | null>;
  /** Records activity (the idle timeout counts from it). */
  touch(id: string, at: Date): Promise<void>;
  remove(id: string): Promise<void>;
  /** Removes sessions past their absolute end or idle since `idleBefore`; returns how many. */
  purge(now: Date, idleBefore: Date): Promise<number>;
}

export interface Storage {
  users: ResourceStore;
  directory: DirectoryStore;
  groups: ResourceStore;
  memberships: MembershipStore;
  credentials: CredentialStore;
  audit: AuditStore;
  events: EventStore;
  streams: StreamStore;
  jobs: JobStore;
  secrets: SecretStore;
  policyExceptions: PolicyExceptionStore;
  campaigns: CampaignStore;
  sessions: SessionStore;
  /** Throws when the engine is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
