import { ScimError } from '../../errors/scim-error.js';
import { GROUP_SCHEMA, USER_SCHEMA } from '../../scim/schema-registry.js';
import type { ResourceKeys } from '../../services/matching.js';

export type Kind = 'User' | 'Group';

/** A record of the input file, classified, with the keys an upsert matches it by. */
export interface ImportRecord {
  line: number;
  kind: Kind;
  body: Record<string, unknown>;
  keys: ResourceKeys;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** A Group names the Group schema; anything else is a User (a line without `schemas` too, as POST /Users accepts). */
function kindOf(body: Record<string, unknown>): Kind {
  const schemas = Array.isArray(body['schemas']) ? body['schemas'].filter((urn): urn is string => typeof urn === 'string').map((urn) => urn.toLowerCase()) : [];
  const group = schemas.includes(GROUP_SCHEMA.toLowerCase());
  if (group && schemas.includes(USER_SCHEMA.toLowerCase())) throw new ScimError('invalidSyntax', '"schemas" names both the User and the Group schema');
  return group ? 'Group' : 'User';
}

export function classify(line: number, body: unknown): ImportRecord {
  if (!isObject(body)) throw new ScimError('invalidSyntax', 'the line must be a JSON object (a SCIM User or Group)');
  const kind = kindOf(body);
  return { line, kind, body, keys: { externalId: text(body['externalId']), name: text(kind === 'User' ? body['userName'] : body['displayName']) } };
}

/** How a rejected record is named in reports: its userName or displayName, else its externalId. */
export const recordKey = (record: ImportRecord) => record.keys.name ?? record.keys.externalId;
