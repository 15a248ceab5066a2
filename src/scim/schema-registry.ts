import { readFileSync } from 'node:fs';
import path from 'node:path';
import SCIMMY from 'scimmy';
import { REPOSITORY_ROOT } from '../repository-root.js';

/**
 * Declares our resource types with scimmy (whose schema definitions and validation we reuse) and
 * exposes their attribute metadata as plain data. scimmy's routers are not used: see
 * docs/decisions.md. Declaration is process-wide in scimmy, so it happens once, here.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
/** Server-derived lifecycle state (src/lifecycle/); its schema is schemas/lifecycle-extension.schema.json. */
export const LIFECYCLE_SCHEMA = 'urn:scim-identity-server:schemas:extension:lifecycle:1.0:User';
const LIFECYCLE_SCHEMA_DOCUMENT = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'schemas', 'lifecycle-extension.schema.json'), 'utf8')) as Record<string, unknown>;
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';

export interface AttributeSchema {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  subAttributes?: AttributeSchema[];
}

export interface SchemaExtension {
  urn: string;
  /** Field name used in storage: URNs contain dots, which MongoDB-compatible engines reject in keys. */
  storageKey: string;
  required: boolean;
  attributes: AttributeSchema[];
  /** Derived by the server (lifecycle): never accepted from clients, stored at `storagePath`. */
  readOnly?: { storagePath: string };
}

export interface ResourceTypeDefinition {
  name: 'User' | 'Group';
  endpoint: '/Users' | '/Groups';
  schema: string;
  attributes: AttributeSchema[];
  extensions: SchemaExtension[];
}

interface DescribedSchema {
  attributes: Partial<AttributeSchema>[];
}

function normaliseAttribute(raw: Partial<AttributeSchema> & { name?: string }): AttributeSchema {
  const attribute: AttributeSchema = {
    name: String(raw.name),
    type: raw.type ?? 'string',
    multiValued: raw.multiValued ?? false,
    required: raw.required ?? false,
    caseExact: raw.caseExact ?? false,
    mutability: raw.mutability ?? 'readWrite',
    returned: raw.returned ?? 'default',
    uniqueness: raw.uniqueness ?? 'none',
  };
  if (raw.canonicalValues?.length) attribute.canonicalValues = [...raw.canonicalValues];
  if (raw.subAttributes) attribute.subAttributes = raw.subAttributes.map(normaliseAttribute);
  return attribute;
}

/** describe() nests scimmy Attribute instances whose metadata only appears through toJSON. */
function attributesOf(definition: { describe(): unknown }): AttributeSchema[] {
  const described = JSON.parse(JSON.stringify(definition.describe())) as DescribedSchema;
  return described.attributes.map(normaliseAttribute);
}

SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false));
SCIMMY.Resources.declare(SCIMMY.Resources.Group);

/**
 * Group `members.display` is rendered from the member's current displayName (or a user's userName)
 * and what a client sends is ignored (memberships are stored on the member, decisions D4), so it is
 * readOnly here, not the `immutable` of scimmy and RFC 7643 §2.4 ("once set, SHALL NOT be
 * changed": ours follows renames). RFC 7643 §8.7.1's Group schema does not list it at all.
 */
function markServerDerived(attributes: { name?: unknown; mutability?: unknown; subAttributes?: unknown }[], name: string, subAttribute: string): void {
  const parent = attributes.find((attribute) => attribute.name === name);
  const child = (parent?.subAttributes as { name?: unknown; mutability?: unknown }[] | undefined)?.find((attribute) => attribute.name === subAttribute);
  if (child) child.mutability = 'readOnly';
}

/** RFC 7643 §7 schema representations, as served by /Schemas: taken before validation is relaxed below. */
const SCHEMA_DOCUMENTS = [SCIMMY.Schemas.User.definition, SCIMMY.Schemas.EnterpriseUser.definition, SCIMMY.Schemas.Group.definition].map(
  // scimmy lists `canonicalValues: []` for roles.type and x509Certificates.type: an empty list suggests nothing.
  (definition) => JSON.parse(JSON.stringify(definition.describe()), (key, value: unknown) => (key === 'canonicalValues' && Array.isArray(value) && value.length === 0 ? undefined : value)) as Record<string, unknown>,
);
markServerDerived(SCHEMA_DOCUMENTS[2]?.['attributes'] as AttributeSchema[], 'members', 'display');

interface ScimmyAttribute {
  /** Absent on entries that are not attributes (an extension's definition nested in User's list). */
  config?: { canonicalValues: unknown };
  subAttributes?: ScimmyAttribute[];
}

/**
 * RFC 7643 §2.4 canonical values are suggestions ("e.g., 'work'"), yet scimmy rejects any other
 * value, and even every value where the list is empty (roles.type, x509Certificates.type). Ingress
 * normalises the case of a known value; other values are accepted as the RFC allows.
 */
function acceptNonCanonical(attributes: readonly ScimmyAttribute[]): void {
  for (const attribute of attributes) {
    if (attribute.config && Array.isArray(attribute.config.canonicalValues)) attribute.config.canonicalValues = false;
    acceptNonCanonical(attribute.subAttributes ?? []);
  }
}

export const USER_RESOURCE: ResourceTypeDefinition = Object.freeze({
  name: 'User',
  endpoint: '/Users',
  schema: USER_SCHEMA,
  attributes: attributesOf(SCIMMY.Schemas.User.definition),
  extensions: [
    {
      urn: ENTERPRISE_USER_SCHEMA,
      storageKey: 'enterprise',
      required: false,
      attributes: attributesOf(SCIMMY.Schemas.EnterpriseUser.definition),
    },
    {
      urn: LIFECYCLE_SCHEMA,
      storageKey: 'lifecycle',
      required: false,
      attributes: (LIFECYCLE_SCHEMA_DOCUMENT['attributes'] as Partial<AttributeSchema>[]).map(normaliseAttribute),
      readOnly: { storagePath: 'lifecycle' },
    },
  ],
});

function groupAttributes(): AttributeSchema[] {
  const attributes = attributesOf(SCIMMY.Schemas.Group.definition);
  markServerDerived(attributes, 'members', 'display');
  return attributes;
}

export const GROUP_RESOURCE: ResourceTypeDefinition = Object.freeze({
  name: 'Group',
  endpoint: '/Groups',
  schema: GROUP_SCHEMA,
  attributes: groupAttributes(),
  extensions: [],
});

export const RESOURCE_TYPES: readonly ResourceTypeDefinition[] = [USER_RESOURCE, GROUP_RESOURCE];

for (const definition of [SCIMMY.Schemas.User.definition, SCIMMY.Schemas.EnterpriseUser.definition, SCIMMY.Schemas.Group.definition]) {
  acceptNonCanonical((definition as unknown as { attributes: ScimmyAttribute[] }).attributes);
}

export function findAttribute(attributes: readonly AttributeSchema[], name: string): AttributeSchema | undefined {
  const lower = name.toLowerCase();
  return attributes.find((attribute) => attribute.name.toLowerCase() === lower);
}

export function findExtension(resource: ResourceTypeDefinition, urn: string): SchemaExtension | undefined {
  const lower = urn.toLowerCase();
  return resource.extensions.find((extension) => extension.urn.toLowerCase() === lower);
}

/** The scimmy schema class that validates request bodies for a resource type. */
export function scimmySchemaFor(resource: ResourceTypeDefinition): typeof SCIMMY.Schemas.User | typeof SCIMMY.Schemas.Group {
  return resource.name === 'User' ? SCIMMY.Schemas.User : SCIMMY.Schemas.Group;
}

/** RFC 7643 §7 schema representations, as served by /Schemas. */
export function describeSchemas(): Record<string, unknown>[] {
  const [user, enterprise, group] = SCHEMA_DOCUMENTS as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
  return [user, enterprise, LIFECYCLE_SCHEMA_DOCUMENT, group];
}
