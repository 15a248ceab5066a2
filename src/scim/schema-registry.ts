import { readFileSync } from 'node:fs';
import path from 'node:path';
import SCIMMY from 'scimmy';
import { ScimError } from '../errors/scim-error.js';
import { REPOSITORY_ROOT } from '../repository-root.js';
import type { DeclaredAttribute, ExtensionDeclaration } from './extension-files.js';

/**
 * Declares our resource types with scimmy (whose schema definitions and validation we reuse) and
 * exposes their attribute metadata as plain data. scimmy's routers are not used: see
 * docs/decisions.md. Declaration is process-wide in scimmy, so it happens once, here; the custom
 * extensions of SCHEMA_EXTENSIONS_DIR join once per process, at start (registerExtensions).
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
  /** Built-in ones, then those of SCHEMA_EXTENSIONS_DIR once registered at start. */
  extensions: readonly SchemaExtension[];
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

/** A schema's RFC 7643 §7 representation, as /Schemas serves it: taken before validation is relaxed (acceptNonCanonical). */
function describedDocument(definition: { describe(): unknown }): Record<string, unknown> {
  // scimmy lists `canonicalValues: []` for roles.type and x509Certificates.type: an empty list suggests nothing.
  return JSON.parse(JSON.stringify(definition.describe()), (key, value: unknown) => (key === 'canonicalValues' && Array.isArray(value) && value.length === 0 ? undefined : value)) as Record<string, unknown>;
}

const SCHEMA_DOCUMENTS = [SCIMMY.Schemas.User.definition, SCIMMY.Schemas.EnterpriseUser.definition, SCIMMY.Schemas.Group.definition].map(describedDocument);
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

const userExtensions: SchemaExtension[] = [
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
];
const groupExtensions: SchemaExtension[] = [];

export const USER_RESOURCE: ResourceTypeDefinition = Object.freeze({
  name: 'User',
  endpoint: '/Users',
  schema: USER_SCHEMA,
  attributes: attributesOf(SCIMMY.Schemas.User.definition),
  extensions: userExtensions,
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
  extensions: groupExtensions,
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

/** RFC 7643 §7 schema representations, as served by /Schemas: core, built-in and registered extensions. */
export function describeSchemas(): Record<string, unknown>[] {
  const [user, enterprise, group] = SCHEMA_DOCUMENTS as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
  const documents = (resourceType: 'User' | 'Group') => registered.filter((entry) => entry.resourceType === resourceType).map((entry) => entry.document);
  return [user, enterprise, LIFECYCLE_SCHEMA_DOCUMENT, ...documents('User'), group, ...documents('Group')];
}

/** RFC 7643 §3.1 common attributes: part of every resource, so an unqualified name never means an extension's. */
const COMMON_NAMES: ReadonlySet<string> = new Set(['id', 'externalid', 'meta', 'schemas']);

/**
 * The extension that defines an unqualified attribute name (Entra's legacy `manager`, a bare
 * `badgeNumber`), when the core schema does not: RFC 7644 §3.10 lets clients leave out the URN of
 * extension attributes, which is unambiguous only while exactly one extension has the name.
 * Undefined when the core schema defines it or no extension does; 400 invalidPath when several do.
 */
export function extensionDefining(definition: ResourceTypeDefinition, name: string): SchemaExtension | undefined {
  if (COMMON_NAMES.has(name.toLowerCase()) || findAttribute(definition.attributes, name)) return undefined;
  const candidates = definition.extensions.filter((extension) => findAttribute(extension.attributes, name));
  if (candidates.length > 1) {
    const urns = candidates.map((extension) => extension.urn);
    throw new ScimError('invalidPath', `'${name}' is defined by several schema extensions (${urns.join(', ')}); qualify it with its schema URN, e.g. '${urns[0]}:${name}'`);
  }
  return candidates[0];
}

/** An attribute path resolved to its schemas: the extension holding it (undefined for core), the attribute and sub-attribute. */
export interface ResolvedPath {
  extension: SchemaExtension | undefined;
  attribute: AttributeSchema;
  subAttribute: AttributeSchema | undefined;
}

/** Resolves `attr`, `attr.sub`, either prefixed by a schema URN or unqualified (see extensionDefining). */
export function resolveAttributePath(definition: ResourceTypeDefinition, path: string): ResolvedPath | undefined {
  const lower = path.toLowerCase();
  const core = `${definition.schema.toLowerCase()}:`;
  const qualified = definition.extensions.find((candidate) => lower.startsWith(`${candidate.urn.toLowerCase()}:`));
  const rest = lower.startsWith(core) ? path.slice(core.length) : qualified ? path.slice(qualified.urn.length + 1) : path;
  const [name = '', subName, ...extra] = rest.split('.');
  if (extra.length > 0) return undefined;
  const extension = qualified ?? (lower.startsWith(core) ? undefined : extensionDefining(definition, name));
  const attribute = findAttribute(extension?.attributes ?? definition.attributes, name);
  if (!attribute) return undefined;
  if (subName === undefined) return { extension, attribute, subAttribute: undefined };
  const subAttribute = findAttribute(attribute.subAttributes ?? [], subName);
  return subAttribute ? { extension, attribute, subAttribute } : undefined;
}

// ---- Extensions declared in SCHEMA_EXTENSIONS_DIR ----

/**
 * The engine-safe, stable field name an extension's values are stored under: its URN lower-cased
 * (URNs compare case-insensitively, so a re-cased file keeps its data) with ".", "$" and "%"
 * percent-encoded (engines reject dots and a leading "$" in field names). The encoding is
 * reversible, so two URNs never share a key, and a URN key never equals a built-in one
 * ("enterprise", "lifecycle").
 */
export function storageKeyOf(urn: string): string {
  return urn.toLowerCase().replace(/[%.$]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

interface RegisteredExtension {
  resourceType: 'User' | 'Group';
  document: Record<string, unknown>;
}

const registered: RegisteredExtension[] = [];
let registeredFingerprint: string | undefined;

/** What makes two declarations the same for the registry (the file a declaration came from does not). */
function fingerprintOf(declarations: readonly ExtensionDeclaration[]): string {
  return JSON.stringify(declarations.map(({ file: _file, ...declaration }) => declaration));
}

function scimmyAttribute(attribute: DeclaredAttribute): SCIMMY.Types.Attribute {
  return new SCIMMY.Types.Attribute(
    attribute.type,
    attribute.name,
    {
      multiValued: attribute.multiValued,
      description: attribute.description,
      required: attribute.required,
      caseExact: attribute.caseExact,
      canonicalValues: attribute.canonicalValues ?? false,
      // scimmy reads `true` as readWrite and refuses to set any other value twice within one body.
      mutable: attribute.mutability === 'readWrite' ? true : attribute.mutability,
      returned: attribute.returned,
      uniqueness: attribute.uniqueness,
      referenceTypes: attribute.referenceTypes ?? false,
    },
    (attribute.subAttributes ?? []).map(scimmyAttribute),
  );
}

/**
 * Adds validated extensions (src/scim/extension-files.ts) to User and Group: scimmy validates
 * their values, /Schemas and /ResourceTypes list them, and every attribute-path consumer (filters,
 * PATCH, projection, sorting, storage, policy) sees them through `extensions`. scimmy's schemas
 * are process-wide, so this happens once per process, before the app is built; registering the
 * same declarations again is a no-op and different ones are refused.
 */
export function registerExtensions(declarations: readonly ExtensionDeclaration[]): void {
  const fingerprint = fingerprintOf(declarations);
  if (registeredFingerprint !== undefined) {
    if (fingerprint === registeredFingerprint) return;
    throw new Error('schema extensions are registered once per process: a different set was already registered');
  }
  registeredFingerprint = fingerprint;
  for (const declaration of declarations) {
    const definition = new SCIMMY.Types.SchemaDefinition(declaration.name, declaration.urn, declaration.description, declaration.attributes.map(scimmyAttribute));
    registered.push({ resourceType: declaration.resourceType, document: describedDocument(definition) });
    // scimmy accepts a SchemaDefinition here (types.js Schema.extend); its typings list only Schema classes.
    scimmySchemaFor(declaration.resourceType === 'User' ? USER_RESOURCE : GROUP_RESOURCE).extend(definition as unknown as SCIMMY.Types.Schema, declaration.required);
    acceptNonCanonical(definition.attributes as unknown as ScimmyAttribute[]);
    const extensions = declaration.resourceType === 'User' ? userExtensions : groupExtensions;
    extensions.push({ urn: declaration.urn, storageKey: storageKeyOf(declaration.urn), required: declaration.required, attributes: declaration.attributes.map(normaliseAttribute) });
  }
}
