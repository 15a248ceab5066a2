import type { Collection } from 'mongodb';
import { ScimError } from '../../errors/scim-error.js';
import type { ResourceTypeDefinition } from '../../scim/schema-registry.js';
import type { NewResource, ResourceKind, ResourceRecord } from '../contract.js';
import { newDocument, type ResourceDocument } from './documents.js';
import { externalIdOf, type ExternalIds } from './external-ids.js';
import { claimKey, type NameClaims } from './name-claims.js';
import { outageOutcome } from '../outage.js';
import { maybeStored, notStored } from './engine-outage.js';

export interface BatchCreateOptions {
  kind: ResourceKind;
  collection: Collection<ResourceDocument>;
  definition: ResourceTypeDefinition;
  nameAttribute: string;
  claims: NameClaims;
  externalIds: ExternalIds;
  ownerHolds: (tenant: string, nameLc: string, owner: string) => Promise<boolean>;
  /** The record a create returns, pending entries included. */
  written: (doc: ResourceDocument) => ResourceRecord;
}

interface Planned {
  doc: ResourceDocument;
  key: string;
}

/**
 * Creates many resources with one insert per collection (name claims, new externalId entries,
 * documents) instead of one command each per resource: the same steps as a single create, in the
 * same order, so the same guarantees hold (a name is claimed before its document exists; an
 * externalId entry lists its owner before the owner holds it). A name already in use fails that
 * resource alone with `uniqueness`. When the engine fails, each resource gets what happened to it:
 * its record if it is stored, `unavailable` (503) saying whether it is not stored or may be, found
 * out by reading the batch's ids back once the insert's answer was lost (that read waits for the
 * engine as long as any command does). The claims a failure leaves are rechecked on the next claim
 * of their names, as after a failed single create. Any other error fails the whole batch.
 */
export function createBatchCreator({ kind, collection, definition, nameAttribute, claims, externalIds, ownerHolds, written }: BatchCreateOptions) {
  function plan(resource: NewResource, now: Date): Planned {
    const doc = newDocument(definition, nameAttribute, resource, now);
    return { doc, key: claimKey(doc.tenant, kind, doc.nameLc) };
  }

  async function abandonAll(planned: readonly Planned[]): Promise<void> {
    for (const { key, doc } of planned) await claims.abandon(key, doc._id, 'unknown');
  }

  async function claimNames(planned: readonly Planned[]): Promise<(ScimError | undefined)[]> {
    try {
      return await claims.claimMany(
        planned.map(({ key, doc }) => ({
          key,
          owner: doc._id,
          ownerHolds: (holder: string) => ownerHolds(doc.tenant, doc.nameLc, holder),
          description: `${nameAttribute} "${doc.nameLc}"`,
        })),
      );
    } catch (error) {
      await abandonAll(planned);
      throw error;
    }
  }

  /** Which of the batch's documents the engine holds, or undefined when it cannot be asked. */
  async function storedIds(claimed: readonly Planned[]): Promise<Set<string> | undefined> {
    try {
      const found = await collection.find({ _id: { $in: claimed.map(({ doc }) => doc._id) } }, { projection: { _id: 1 } }).toArray();
      return new Set(found.map((doc) => doc._id));
    } catch {
      return undefined;
    }
  }

  /** After the insert's answer was lost: each document is stored, not stored (its claim freed), or unknown. */
  async function settle(claimed: readonly Planned[]): Promise<(doc: ResourceDocument) => ResourceRecord | ScimError> {
    const found = await storedIds(claimed);
    if (!found) {
      await abandonAll(claimed);
      return maybeStored;
    }
    for (const { key, doc } of claimed) if (!found.has(doc._id)) await claims.abandon(key, doc._id, 'no');
    return (doc) => (found.has(doc._id) ? written(doc) : notStored());
  }

  /** Stores the claimed resources; returns each one's outcome. */
  async function store(claimed: readonly Planned[]): Promise<(doc: ResourceDocument) => ResourceRecord | ScimError> {
    try {
      const entries = claimed.flatMap(({ doc }) => {
        const externalId = externalIdOf(doc.data);
        return externalId === undefined ? [] : [{ tenant: doc.tenant, kind, externalId, owner: doc._id }];
      });
      await externalIds.addMany(entries);
      if (claimed.length > 0) await collection.insertMany(claimed.map(({ doc }) => doc), { ordered: false });
      return written;
    } catch (error) {
      const outcome = outageOutcome(error);
      if (outcome === 'unknown' && claimed.length > 0) return settle(claimed);
      await abandonAll(claimed);
      if (outcome === undefined) throw error;
      return notStored;
    }
  }

  return async function createMany(resources: readonly NewResource[]): Promise<(ResourceRecord | ScimError)[]> {
    const now = new Date();
    const planned = resources.map((resource) => plan(resource, now));
    let outcomes: (ScimError | undefined)[];
    try {
      outcomes = await claimNames(planned);
    } catch (error) {
      if (outageOutcome(error) === undefined) throw error;
      return planned.map(notStored);
    }
    const claimed = planned.filter((_, index) => outcomes[index] === undefined);
    const stored = await store(claimed);
    return planned.map(({ doc }, index) => outcomes[index] ?? stored(doc));
  };
}
