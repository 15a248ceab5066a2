import SCIMMY from 'scimmy';
import { ScimError } from '../errors/scim-error.js';
import { parseDateTime } from './date-time.js';
import { ENTERPRISE_USER_SCHEMA, findAttribute, findExtension, scimmySchemaFor, type AttributeSchema, type ResourceTypeDefinition } from './schema-registry.js';

/** A validated resource body: core attributes plus extension objects under their URNs. No id, meta, schemas or readOnly attributes. */
export type ResourceAttributes = Record<string, unknown>;

export interface IngressResult {
  attributes: ResourceAttributes;
  /** Present only when the client sent one; the caller hashes it and never stores it as given. */
  password: string | undefined;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7643 §2.5: null is the same as unassigned. Entra's legacy POSTs send `"title": null`. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== null).map(withoutNulls);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== null)
      .map(([key, item]) => [key, withoutNulls(item)]),
  );
}

/**
 * Values real IdPs send that are unambiguous but not literally valid: Entra's "True"/"False"
 * strings and capitalised canonical values such as "Work". dateTimes are checked strictly here
 * (scimmy's check lets V8's lenient Date parsing accept strings such as a UUID) and stored in UTC.
 */
function lenientScalar(attribute: AttributeSchema, value: unknown): unknown {
  if (attribute.type === 'dateTime' && typeof value === 'string') {
    const date = parseDateTime(value, 'utcIfAbsent');
    if (!date) throw new ScimError('invalidValue', `Attribute '${attribute.name}' must be an RFC 3339 date-time such as "2027-01-31T12:00:00Z"`);
    return date.toISOString();
  }
  if (attribute.type === 'boolean' && typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
  }
  if (attribute.canonicalValues && typeof value === 'string') {
    const canonical = attribute.canonicalValues.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
    if (canonical !== undefined) return canonical;
  }
  return value;
}

function lenientValue(attribute: AttributeSchema, value: unknown): unknown {
  if (attribute.multiValued && Array.isArray(value)) return value.map((item) => lenientSingle(attribute, item));
  return lenientSingle(attribute, value);
}

function lenientSingle(attribute: AttributeSchema, value: unknown): unknown {
  if (attribute.type === 'complex' && isObject(value) && attribute.subAttributes) {
    return lenientObject(attribute.subAttributes, value);
  }
  return lenientScalar(attribute, value);
}

function lenientObject(attributes: readonly AttributeSchema[], body: Json): Json {
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => {
      const attribute = findAttribute(attributes, key);
      return [key, attribute ? lenientValue(attribute, value) : value];
    }),
  );
}

/** Enterprise `manager` arrives as a bare id string from Entra; RFC 7643 §4.3 wants `{value}`. */
function lenientExtension(resource: ResourceTypeDefinition, urn: string, value: unknown): unknown {
  const extension = findExtension(resource, urn);
  if (!extension || !isObject(value)) return value;
  const lenient = lenientObject(extension.attributes, value);
  for (const [key, item] of Object.entries(lenient)) {
    if (key.toLowerCase() === 'manager' && typeof item === 'string') lenient[key] = { value: item };
  }
  return lenient;
}

/** A URN-prefixed flat key such as `urn:…:enterprise:2.0:User:manager`: the extension attribute's value. */
function lenientFlatKey(resource: ResourceTypeDefinition, key: string, value: unknown): unknown {
  const lower = key.toLowerCase();
  const extension = resource.extensions.find((candidate) => lower.startsWith(`${candidate.urn.toLowerCase()}:`));
  const attribute = extension && findAttribute(extension.attributes, key.slice(extension.urn.length + 1));
  return attribute ? lenientValue(attribute, value) : value;
}

/** `urn:…:core:2.0:User:userName` is the core attribute; the validator reads plain names only. */
function withoutCoreUrn(resource: ResourceTypeDefinition, body: Json): Json {
  const core = `${resource.schema.toLowerCase()}:`;
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [key.toLowerCase().startsWith(core) ? key.slice(core.length) : key, value]));
}

function lenientBody(resource: ResourceTypeDefinition, body: Json): Json {
  const lenient = lenientObject(resource.attributes, withoutCoreUrn(resource, body));
  for (const [key, value] of Object.entries(lenient)) {
    if (!key.toLowerCase().startsWith('urn:')) continue;
    lenient[key] = findExtension(resource, key) ? lenientExtension(resource, key, value) : lenientFlatKey(resource, key, value);
  }
  return lenient;
}

/**
 * Server-derived extensions (lifecycle) are read-only: a client that echoes them back, as Okta
 * does with whole objects on PUT, has them ignored like id and meta.
 */
function withoutReadOnlyExtensions(resource: ResourceTypeDefinition, body: Json): Json {
  const readOnly = resource.extensions.filter((extension) => extension.readOnly).map((extension) => extension.urn.toLowerCase());
  if (readOnly.length === 0) return body;
  return Object.fromEntries(Object.entries(body).filter(([key]) => !readOnly.some((urn) => key.toLowerCase() === urn || key.toLowerCase().startsWith(`${urn}:`))));
}

/** Unknown URNs (e.g. Entra's extra Microsoft group schema) are dropped; a body that names schemas must name ours. */
function knownSchemas(resource: ResourceTypeDefinition, body: Json): Json {
  if (body['schemas'] === undefined) return body;
  if (!Array.isArray(body['schemas']) || !body['schemas'].every((urn) => typeof urn === 'string')) {
    throw new ScimError('invalidSyntax', '"schemas" must be an array of schema URNs');
  }
  const known = [resource.schema, ...resource.extensions.filter((extension) => !extension.readOnly).map((extension) => extension.urn)];
  // Compared case-insensitively, passed on in our spelling: the validator compares exactly.
  const schemas = body['schemas'].flatMap((urn: string) => known.find((candidate) => candidate.toLowerCase() === urn.toLowerCase()) ?? []);
  if (!schemas.includes(resource.schema)) {
    throw new ScimError('invalidSyntax', `"schemas" must include ${resource.schema}`);
  }
  return { ...body, schemas };
}

function extractPassword(body: Json): string | undefined {
  const entry = Object.entries(body).find(([key]) => key.toLowerCase() === 'password');
  if (!entry) return undefined;
  if (typeof entry[1] !== 'string') throw new ScimError('invalidValue', 'Attribute "password" must be a string');
  return entry[1];
}

export function toScimError(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  if (error instanceof SCIMMY.Types.Error) {
    const scimType = (error as { scimType?: string }).scimType;
    if (scimType === 'invalidSyntax') return new ScimError('invalidSyntax', error.message);
    if (scimType === 'mutability') return new ScimError('mutability', error.message);
    return new ScimError('invalidValue', error.message);
  }
  if (error instanceof TypeError) return new ScimError('invalidValue', error.message);
  throw error;
}

/** Validates a POST/PUT body against the resource's schemas (RFC 7643) and returns what may be stored. */
export function parseResourceBody(resource: ResourceTypeDefinition, raw: unknown): IngressResult {
  if (!isObject(raw)) throw new ScimError('invalidSyntax', 'The request body must be a JSON object');
  const body = knownSchemas(resource, withoutReadOnlyExtensions(resource, lenientBody(resource, withoutNulls(raw) as Json)));
  const password = resource.name === 'User' ? extractPassword(body) : undefined;
  let validated: Json;
  try {
    const Schema = scimmySchemaFor(resource);
    validated = JSON.parse(JSON.stringify(new Schema(body, 'in'))) as Json;
  } catch (error) {
    throw toScimError(error);
  }
  delete validated['schemas'];
  delete validated['meta'];
  // manager.$ref only repeats manager.value as a URI, and engines reject keys starting with "$".
  const enterprise = validated[ENTERPRISE_USER_SCHEMA];
  if (isObject(enterprise) && isObject(enterprise['manager'])) {
    delete enterprise['manager']['$ref'];
    if (Object.keys(enterprise['manager']).length === 0) delete enterprise['manager'];
    if (Object.keys(enterprise).length === 0) delete validated[ENTERPRISE_USER_SCHEMA];
  }
  // RFC 7643 §4.1.1: "Each User MUST include a non-empty userName value."
  if (resource.name === 'User' && typeof validated['userName'] === 'string' && validated['userName'].trim() === '') {
    throw new ScimError('invalidValue', 'Attribute "userName" must not be empty');
  }
  return { attributes: validated, password };
}
