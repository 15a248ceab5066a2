import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Db } from 'mongodb';
import { loadConfig } from '../../src/config.js';
import { registerExtensionDirectory } from '../../src/scim/extension-files.js';
import { parseResourceBody } from '../../src/scim/ingress.js';
import { USER_RESOURCE } from '../../src/scim/schema-registry.js';
import { toStoredFields, type ResourceDocument } from '../../src/store/mongo/documents.js';
import { externalIdKey } from '../../src/store/mongo/external-ids.js';
import { claimKey } from '../../src/store/mongo/name-claims.js';
import type { ScimClient } from './scim-client.js';
import { note, progress } from './progress.js';
import { userBody } from './users.js';

const INSERT_BATCH = 1_000;

/**
 * Seeding is not what these benchmarks measure, so users go straight into the database with
 * insertMany in exactly the shape the API stores: documents are built by the app's own ingress
 * validation and mapping, the fields that do not derive from SCIM attributes (lifecycle state, the
 * emptied pending queue) are copied from a user created through the API, and a check compares one
 * API-created user with its seeded twin before seeding. Name claims and externalId entries are inserted as the API would.
 * Not written: the audit and event entries of the seeded creations (append-only collections that no
 * measured operation reads).
 */
export interface Seeder {
  /** Inserts users `from`..`from+count-1` (ordinals); `groupIds(ordinal)` gives their memberships. Returns their ids in order. */
  users(from: number, count: number, groupIds?: (ordinal: number) => string[]): Promise<string[]>;
}

type Template = Partial<ResourceDocument>;

function documentFor(tenant: string, id: string, body: Record<string, unknown>, groupIds: string[], template: Template): ResourceDocument {
  const { attributes } = parseResourceBody(USER_RESOURCE, body);
  const now = new Date();
  // Each membership change is a write to the member (+1 version), as the API would leave it.
  return { ...template, _id: id, tenant, version: 1 + groupIds.length, created: now, lastModified: now, ...toStoredFields(USER_RESOURCE, 'userName', attributes), groupIds };
}

const comparable = (doc: Partial<ResourceDocument> | null): Partial<ResourceDocument> => {
  const { created: _created, lastModified: _lastModified, ...rest } = doc ?? {};
  return rest;
};

export async function createSeeder(db: Db, api: ScimClient, tenant: string): Promise<Seeder> {
  // The server stores sort keys for its schema extensions: the seeded documents must have the same.
  registerExtensionDirectory(loadConfig().schemaExtensionsDir);
  const probe = userBody(0, { prefix: 'shape-probe-' });
  const created = await api.json<{ id: string }>('POST', '/Users', probe, 201);
  const users = db.collection<ResourceDocument>('users');
  const apiDoc = await users.findOne({ _id: created.id });
  const bare = documentFor(tenant, created.id, probe, [], {});
  const template: Template = Object.fromEntries(Object.entries(apiDoc ?? {}).filter(([key]) => !(key in bare)));
  if (!apiDoc || !isDeepStrictEqual(comparable(apiDoc), comparable(documentFor(tenant, created.id, probe, [], template)))) {
    throw new Error(`seeded documents would differ from API-created ones:\nAPI: ${JSON.stringify(apiDoc)}\nseeded: ${JSON.stringify(documentFor(tenant, created.id, probe, [], template))}`);
  }
  await api.expect('DELETE', `/Users/${created.id}`, 204);
  note(`shape check passed: a seeded user equals an API-created one apart from timestamps (copied: ${Object.keys(template).join(', ') || 'nothing'})`);
  const claims = db.collection<{ _id: string; owner: string; at: Date }>('name_claims');
  const externalIds = db.collection<{ _id: string; owners: string[] }>('external_ids');

  return {
    async users(from, count, groupIds = () => []) {
      const bar = progress('seeding users', count);
      const ids: string[] = [];
      let batch: ResourceDocument[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        await users.insertMany(batch, { ordered: false });
        await claims.insertMany(batch.map((doc) => ({ _id: claimKey(tenant, 'User', doc.nameLc), owner: doc._id, at: new Date() })), { ordered: false });
        // Seeded externalIds are unique, so each entry has one owner, as the API would write it.
        const withExternalId = batch.filter((doc) => typeof doc.data['externalId'] === 'string');
        if (withExternalId.length > 0) {
          await externalIds.insertMany(withExternalId.map((doc) => ({ _id: externalIdKey(tenant, 'User', String(doc.data['externalId'])), owners: [doc._id] })), { ordered: false });
        }
        batch = [];
        bar.tick(ids.length);
      };
      for (let ordinal = from; ordinal < from + count; ordinal += 1) {
        const id = randomUUID();
        ids.push(id);
        batch.push(documentFor(tenant, id, userBody(ordinal), groupIds(ordinal), template));
        if (batch.length >= INSERT_BATCH) await flush();
      }
      await flush();
      bar.end();
      return ids;
    },
  };
}
