import { Schema, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import type { ResourceTypeDefinition } from '../../scim/schema-registry.js';
import type { ResourceAttributes } from '../../scim/ingress.js';
import type { LifecycleState } from '../../lifecycle/types.js';
import type { NewResource, ResourceRecord } from '../contract.js';
import { hasEntries, storePending, type StoredPending } from './pending-entries.js';
import { sortKeys } from './sort-keys.js';
import { ATTRIBUTE_KEYS, attributeKeys, definedKeys, keyUpdate, rolesHeld, type DirectoryKeys } from './directory-keys.js';

/**
 * How a User or Group is stored. Every key is engine-safe: extension URNs (which contain dots) are
 * stored under their registry `storageKey`, and engine-internal names never leave this folder.
 *
 *   _id          the SCIM id (a UUID): every read and write by id uses the `_id` index
 *   tenant       every query is scoped by it
 *   version      +1 on every write; meta.version and optimistic concurrency
 *   nameLc       userName / displayName lower-cased: case-insensitive lookups and sorting
 *   data         core attributes as validated on ingress
 *   ext          extension objects keyed by storageKey
 *   groupIds     direct memberships of this resource (membership lives on the member)
 *   passwordHash never mapped back out
 *   deleting     set by the first step of a delete: the document is gone for every reader, and
 *                stays only until its delete is finished (it keeps hasPending until then)
 *   lifecycleState, policyFingerprint, holdsAccess, dxRoles
 *                users: a summary of `lifecycle` written with it (lifecycleSummary), top-level so
 *                that `scalar_` and `elements_` indexes count and find them (the console's
 *                overview, ResourceStore.census; a role's holders, DirectoryStore.roleHolders)
 *   dx…          users: the console's search keys (directory-keys.ts)
 */
export interface ResourceDocument extends DirectoryKeys {
  _id: string;
  tenant: string;
  version: number;
  created: Date;
  lastModified: Date;
  nameLc: string;
  data: Record<string, unknown>;
  ext: Record<string, unknown>;
  groupIds: string[];
  /** Sort keys (see sort-keys.ts), mirroring the stored paths: sk.data.name.familyName. */
  sk: Record<string, unknown>;
  passwordHash?: string;
  /** Users: lifecycle state (src/lifecycle/types.ts). */
  lifecycle?: LifecycleState;
  /** Events and audit entries of the last changes, until the relay has moved them out. */
  pending?: StoredPending;
  /** True while `pending` holds anything: the relay's sweep finds such documents by it. */
  hasPending?: boolean;
  /** Marked for deletion (see above); never queried on, only checked on the documents read. */
  deleting?: boolean;
  lifecycleState?: LifecycleState['state'];
  policyFingerprint?: string;
  /** Holds a grant or a permission. */
  holdsAccess?: boolean;
}

/** The top-level fields the census counts and the console finds a role's holders by, always written with `lifecycle`. */
export function lifecycleSummary(lifecycle: LifecycleState): Pick<ResourceDocument, 'lifecycleState' | 'policyFingerprint' | 'holdsAccess' | 'dxRoles'> {
  return { lifecycleState: lifecycle.state, policyFingerprint: lifecycle.policyFingerprint, holdsAccess: lifecycle.grants.length > 0 || lifecycle.permissions.length > 0, dxRoles: rolesHeld(lifecycle) };
}

export const resourceSchema = new Schema<ResourceDocument>(
  {
    _id: { type: String, required: true },
    tenant: { type: String, required: true },
    version: { type: Number, required: true },
    created: { type: Date, required: true },
    lastModified: { type: Date, required: true },
    nameLc: { type: String, required: true },
    data: { type: Schema.Types.Mixed, default: {} },
    ext: { type: Schema.Types.Mixed, default: {} },
    groupIds: { type: [String], default: [] },
    sk: { type: Schema.Types.Mixed, default: {} },
    passwordHash: { type: String },
    lifecycle: { type: Schema.Types.Mixed },
    pending: { type: Schema.Types.Mixed },
    hasPending: { type: Boolean },
    deleting: { type: Boolean },
    lifecycleState: { type: String },
    policyFingerprint: { type: String },
    holdsAccess: { type: Boolean },
  },
  { versionKey: false, minimize: false, autoIndex: false, autoCreate: false },
);

// Only plain compound indexes: FerretDB rejects partial, TTL and collation options.
// A `scalar_` name promises the embedded engine that each of the index's fields holds one type and
// never an array, so it may push equality, range, sort, skip and count down to SQLite (engine patch
// 0005); an `elements_` name, that its last field is an array of strings, whose elements it then
// finds in a side table (patch 0006). On MongoDB the names are only names.
resourceSchema.index({ tenant: 1, nameLc: 1 }, { name: 'scalar_tenant_nameLc' });
resourceSchema.index({ tenant: 1, 'data.externalId': 1 });
resourceSchema.index({ tenant: 1, created: 1, _id: 1 }, { name: 'scalar_tenant_created_id' });
resourceSchema.index({ tenant: 1, lastModified: 1, _id: 1 }, { name: 'scalar_tenant_lastModified_id' });
resourceSchema.index({ tenant: 1, groupIds: 1 }, { name: 'elements_tenant_groupIds' });
resourceSchema.index({ hasPending: 1 }, { name: 'scalar_hasPending' });
// The console's overview counts (ResourceStore.census): users by state, inactive ones holding
// access, active ones by the policy they were evaluated with. Groups have none of these fields.
resourceSchema.index({ tenant: 1, lifecycleState: 1, policyFingerprint: 1 }, { name: 'scalar_tenant_lifecycleState_policyFingerprint' });
resourceSchema.index({ tenant: 1, lifecycleState: 1, holdsAccess: 1 }, { name: 'scalar_tenant_lifecycleState_holdsAccess' });

/**
 * Users add the console's search indexes (directory-keys.ts): a prefix search, or a list of one
 * lifecycle state, reads its range of one index in page order; a role's holders are found through
 * `dxRoles`. Groups need none: their search is by displayName, which `nameLc` already indexes.
 */
export const userSchema = resourceSchema.clone();
userSchema.add({
  dxGiven: String,
  dxFamily: String,
  dxEmail: String,
  dxDepartment: String,
  dxExternalId: String,
  dxRoles: { type: [String], default: undefined },
});
for (const key of ATTRIBUTE_KEYS) userSchema.index({ tenant: 1, [key]: 1, _id: 1 }, { name: `scalar_tenant_${key}_id` });
userSchema.index({ tenant: 1, lifecycleState: 1, nameLc: 1 }, { name: 'scalar_tenant_lifecycleState_nameLc' });
userSchema.index({ tenant: 1, dxRoles: 1 }, { name: 'elements_tenant_dxRoles' });

/** Users carry directory keys; groups none. */
const keyed = (definition: ResourceTypeDefinition) => definition.name === 'User';

export interface StoredFields extends DirectoryKeys {
  nameLc: string;
  data: Record<string, unknown>;
  ext: Record<string, unknown>;
  sk: Record<string, unknown>;
}

/** Splits validated SCIM attributes into core data and safely-keyed extension objects. */
export function toStoredFields(definition: ResourceTypeDefinition, nameAttribute: string, attributes: ResourceAttributes): StoredFields {
  const data: Record<string, unknown> = {};
  const ext: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    const extension = definition.extensions.find((candidate) => candidate.urn === key);
    if (extension) ext[extension.storageKey] = value;
    else data[key] = value;
  }
  const keys = keyed(definition) ? definedKeys(attributeKeys(data, ext)) : {};
  return { nameLc: String(data[nameAttribute] ?? '').toLowerCase(), data, ext, sk: sortKeys(definition, data, ext), ...keys };
}

/**
 * What a replacement writes: core data and its sort keys whole, each registered extension's object
 * and sort keys under its own key (unset when the resource no longer has it). Values of an
 * extension that is no longer registered (its file taken out of SCHEMA_EXTENSIONS_DIR) are neither
 * returned nor touched, so they are back when the file is; and an extension's values never exist
 * without their sort keys (sort-key-backfill.ts relies on it).
 */
export function replacementFields(definition: ResourceTypeDefinition, fields: StoredFields): { set: Record<string, unknown>; unset: Record<string, ''> } {
  const sk = fields.sk as { data?: unknown; ext?: Record<string, unknown> };
  const keys = keyed(definition) ? keyUpdate(attributeKeys(fields.data, fields.ext)) : { set: {}, unset: {} };
  const set: Record<string, unknown> = { nameLc: fields.nameLc, data: fields.data, 'sk.data': sk.data, ...keys.set };
  const unset: Record<string, ''> = { ...keys.unset };
  for (const { storageKey, readOnly } of definition.extensions) {
    if (readOnly) continue;
    const value = fields.ext[storageKey];
    if (value === undefined) unset[`ext.${storageKey}`] = '';
    else set[`ext.${storageKey}`] = value;
    set[`sk.ext.${storageKey}`] = sk.ext?.[storageKey];
  }
  return { set, unset };
}

/** The document a create stores: version 1, no memberships, the write's entries pending. */
export function newDocument(definition: ResourceTypeDefinition, nameAttribute: string, resource: NewResource, now: Date): ResourceDocument {
  const { tenant, id, attributes, passwordHash, lifecycle, pending } = resource;
  const doc: ResourceDocument = { _id: id, tenant, version: 1, created: now, lastModified: now, ...toStoredFields(definition, nameAttribute, attributes), groupIds: [] };
  if (passwordHash) doc.passwordHash = passwordHash;
  if (lifecycle) Object.assign(doc, { lifecycle, ...lifecycleSummary(lifecycle) });
  if (pending && hasEntries(pending)) Object.assign(doc, { pending: storePending(pending), hasPending: true });
  return doc;
}

export function toRecord(definition: ResourceTypeDefinition, doc: ResourceDocument): ResourceRecord {
  const attributes: ResourceAttributes = { ...doc.data };
  for (const extension of definition.extensions) {
    const value = doc.ext?.[extension.storageKey];
    if (value !== undefined) attributes[extension.urn] = value;
  }
  return {
    id: doc._id,
    tenant: doc.tenant,
    version: doc.version,
    created: doc.created,
    lastModified: doc.lastModified,
    attributes,
    groupIds: doc.groupIds ?? [],
    ...(doc.lifecycle ? { lifecycle: doc.lifecycle } : {}),
    ...(doc.hasPending ? { unrelayed: true } : {}),
  };
}

/** A document marked deleting is gone for every reader: reads drop it from what they read. */
export function isLive(doc: Pick<ResourceDocument, 'deleting'>): boolean {
  return doc.deleting !== true;
}

/**
 * The driver collection behind a model, typed with our string `_id`. Writes go through it because
 * mongoose's findOneAndUpdate may add projections, which FerretDB rejects.
 */
export function nativeCollection(model: Model<ResourceDocument>): Collection<ResourceDocument> {
  return model.collection as unknown as Collection<ResourceDocument>;
}
