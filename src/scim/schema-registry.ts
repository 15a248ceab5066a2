import SCIMMY from 'scimmy';

/**
 * Declares our resource types with scimmy (whose schema definitions and validation we reuse) and
 * exposes their attribute metadata as plain data. scimmy's routers are not used: see
 * docs/decisions.md. Declaration is process-wide in scimmy, so it happens once, here.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
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

// scimmy declares roles.type and x509Certificates.type with `canonicalValues: []` (as printed in
// RFC 7643 §8.7.1) and then rejects every value as non-canonical; an empty list suggests nothing.
for (const path of ['roles.type', 'x509Certificates.type']) {
  const { config } = SCIMMY.Schemas.User.definition.attribute(path) as unknown as { config: { canonicalValues: unknown } };
  if (Array.isArray(config.canonicalValues) && config.canonicalValues.length === 0) config.canonicalValues = false;
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
  ],
});

export const GROUP_RESOURCE: ResourceTypeDefinition = Object.freeze({
  name: 'Group',
  endpoint: '/Groups',
  schema: GROUP_SCHEMA,
  attributes: attributesOf(SCIMMY.Schemas.Group.definition),
  extensions: [],
});

export const RESOURCE_TYPES: readonly ResourceTypeDefinition[] = [USER_RESOURCE, GROUP_RESOURCE];

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
  return [
    SCIMMY.Schemas.User.definition.describe(),
    SCIMMY.Schemas.EnterpriseUser.definition.describe(),
    SCIMMY.Schemas.Group.definition.describe(),
  ] as Record<string, unknown>[];
}
