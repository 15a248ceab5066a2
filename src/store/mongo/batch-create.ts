import type { Collection } from 'mongodb';
import { ScimError } from '../../errors/scim-error.js';
import type { ResourceTypeDefinition } from '../../scim/schema-registry.js';
import type { NewResource, ResourceKind, ResourceRecord } from '../contract.js';
import { newDocument, type ResourceDocument } from './documents.js';
import { externalIdOf, type ExternalIds } from './external-ids.js';
import { claimKey, type NameClaims } from './name-claims.js';

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
 * resource alone with `uniqueness`; an engine failure fails the whole batch, and the claims it
 * leaves are rechecked on the next claim of their names, as after a failed single create.
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

  async function store(claimed: readonly Planned[]): Promise<void> {
    try {
      const entries = claimed.flatMap(({ doc }) => {
        const externalId = externalIdOf(doc.data);
        return externalId === undefined ? [] : [{ tenant: doc.tenant, kind, externalId, owner: doc._id }];
      });
      await externalIds.addMany(entries);
      if (claimed.length > 0) await collection.insertMany(claimed.map(({ doc }) => doc), { ordered: false });
    } catch (error) {
      await abandonAll(claimed);
      throw error;
    }
  }

  return async function createMany(resources: readonly NewResource[]): Promise<(ResourceRecord | ScimError)[]> {
    const now = new Date();
    const planned = resources.map((resource) => plan(resource, now));
    const outcomes = await claimNames(planned);
    const claimed = planned.filter((_, index) => outcomes[index] === undefined);
    await store(claimed);
    return planned.map(({ doc }, index) => outcomes[index] ?? written(doc));
  };
}
