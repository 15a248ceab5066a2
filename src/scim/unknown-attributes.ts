import { ScimError } from '../errors/scim-error.js';
import { findAttribute, findExtension, type AttributeSchema, type ResourceTypeDefinition } from './schema-registry.js';
import { isWholeExtension, parsePatchPath, pathSchemas, UnknownAttributePath } from './patch/path.js';

/**
 * Finds what a request body or PATCH names that no registered schema defines, and returns the
 * request without it. The validator (scimmy) would drop such attributes silently: it copies only
 * declared attributes (SchemaDefinition#coerce) and swallows undeclared sub-attributes of complex
 * values (Attribute#coerce); our PATCH parser refused unknown paths. Callers then log and count
 * them, or refuse the request (UNKNOWN_ATTRIBUTES, src/http/unknown-attributes.ts). Only names are
 * reported, never values. Malformed input is left alone for the validators to report.
 */

export interface Screened {
  /** The request without the unknown attributes (unchanged when there are none). */
  value: unknown;
  /** Attribute paths no schema defines, as the client spelled them: `favouriteColour`, `name.shoeSize`, `urn:…:Thing`. */
  unknown: string[];
  /** URNs listed in `schemas` that no schema has: they carry no data (Entra lists an extra Microsoft group schema). */
  unknownSchemas: string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7643 §3.1 common attributes, which scimmy's attribute lists leave out. */
const COMMON = new Set(['id', 'externalid', 'meta', 'schemas']);

class Collector {
  readonly unknown: string[] = [];

  add(path: string): void {
    if (!this.unknown.includes(path)) this.unknown.push(path);
  }
}

/** A complex value (or each element of a multi-valued one) without sub-attributes the schema lacks. */
function screenValue(attribute: AttributeSchema, value: unknown, path: string, found: Collector): unknown {
  if (attribute.type !== 'complex' || !attribute.subAttributes) return value;
  if (Array.isArray(value)) return value.map((element) => screenElement(attribute, element, path, found));
  return screenElement(attribute, value, path, found);
}

function screenElement(attribute: AttributeSchema, value: unknown, path: string, found: Collector): unknown {
  if (!isObject(value)) return value;
  const subAttributes = attribute.subAttributes ?? [];
  return Object.fromEntries(
    Object.entries(value).filter(([key]) => {
      const known = findAttribute(subAttributes, key) !== undefined;
      if (!known) found.add(`${path}.${key}`);
      return known;
    }),
  );
}

/** An object of attributes (a resource or an extension object); `prefix` is "" or "<urn>:". */
function screenAttributes(attributes: readonly AttributeSchema[], object: Json, prefix: string, found: Collector, keep: (key: string) => boolean = () => false): Json {
  const kept = new Map<string, unknown>();
  for (const [key, value] of Object.entries(object)) {
    const attribute = findAttribute(attributes, key);
    if (attribute) kept.set(key, screenValue(attribute, value, `${prefix}${key}`, found));
    else if (keep(key)) kept.set(key, value);
    else found.add(`${prefix}${key}`);
  }
  return Object.fromEntries(kept);
}

/** A POST or PUT body (RFC 7644 §3.3, §3.5.1), Bulk data included. */
export function screenResourceBody(definition: ResourceTypeDefinition, body: unknown): Screened {
  if (!isObject(body)) return { value: body, unknown: [], unknownSchemas: [] };
  const found = new Collector();
  const kept = new Map<string, unknown>();
  for (const [key, value] of Object.entries(body)) {
    const screened = screenTopLevel(definition, key, value, found);
    if (screened !== undefined) kept.set(key, screened.value);
  }
  // A URN both listed and carrying data is reported once, as the unknown attribute it is.
  const reported = new Set(found.unknown.map((path) => path.toLowerCase()));
  const schemas = unknownSchemas(definition, body['schemas']).filter((urn) => !reported.has(urn.toLowerCase()));
  return { value: Object.fromEntries(kept), unknown: found.unknown, unknownSchemas: schemas };
}

/** The value to keep under `key`, or undefined when the key is unknown. */
function screenTopLevel(definition: ResourceTypeDefinition, key: string, value: unknown, found: Collector): { value: unknown } | undefined {
  const lower = key.toLowerCase();
  if (COMMON.has(lower)) return { value };
  const attribute = findAttribute(definition.attributes, key);
  if (attribute) return { value: screenValue(attribute, value, key, found) };
  if (!lower.startsWith('urn:')) {
    found.add(key);
    return undefined;
  }
  const core = `${definition.schema.toLowerCase()}:`;
  if (lower.startsWith(core)) return screenTopLevel(definition, key.slice(core.length), value, found);
  const extension = findExtension(definition, key);
  if (extension) return { value: isObject(value) ? screenAttributes(extension.attributes, value, `${key}:`, found) : value };
  // `urn:…:enterprise:2.0:User:department` (scimmy reads these flat keys too, also `…:manager.value`).
  const owner = definition.extensions.find((candidate) => lower.startsWith(`${candidate.urn.toLowerCase()}:`));
  const [name = '', sub, ...extra] = owner ? key.slice(owner.urn.length + 1).split('.') : [];
  const flat = owner && extra.length === 0 ? findAttribute(owner.attributes, name) : undefined;
  if (flat && (sub === undefined || findAttribute(flat.subAttributes ?? [], sub))) return { value: sub === undefined ? screenValue(flat, value, key, found) : value };
  found.add(key);
  return undefined;
}

function unknownSchemas(definition: ResourceTypeDefinition, schemas: unknown): string[] {
  if (!Array.isArray(schemas)) return [];
  const known = [definition.schema, ...definition.extensions.map((extension) => extension.urn)].map((urn) => urn.toLowerCase());
  return [...new Set(schemas.filter((urn): urn is string => typeof urn === 'string' && !known.includes(urn.toLowerCase())))];
}

/**
 * A PATCH body (RFC 7644 §3.5.2): operations whose path names an unknown attribute become no-ops,
 * and unknown keys of path-less values or of complex values are left out. Anything malformed is
 * passed on unchanged for the PATCH parser to report.
 */
export function screenPatchBody(definition: ResourceTypeDefinition, body: unknown): Screened {
  if (!isObject(body)) return { value: body, unknown: [], unknownSchemas: [] };
  const entry = Object.entries(body).find(([key]) => key.toLowerCase() === 'operations');
  if (!entry || !Array.isArray(entry[1])) return { value: body, unknown: [], unknownSchemas: [] };
  const found = new Collector();
  const operations = entry[1].map((operation: unknown) => screenOperation(definition, operation, found));
  return { value: { ...body, [entry[0]]: operations }, unknown: found.unknown, unknownSchemas: [] };
}

/** A path-less add of nothing: a valid operation that changes nothing, so Operations never becomes empty. */
const NO_OP = Object.freeze({ op: 'add', value: {} });

function screenOperation(definition: ResourceTypeDefinition, operation: unknown, found: Collector): unknown {
  if (!isObject(operation)) return operation;
  const member = (name: string) => Object.entries(operation).find(([key]) => key.toLowerCase() === name);
  const op = member('op')?.[1];
  if (typeof op !== 'string' || !['add', 'remove', 'replace'].includes(op.toLowerCase())) return operation;
  const [, path] = member('path') ?? [];
  const [valueKey, value] = member('value') ?? [];
  if (typeof path === 'string' && path.trim() !== '') {
    const screened = screenPath(definition, path, value, found);
    if (screened === undefined) return NO_OP;
    return valueKey === undefined ? operation : { ...operation, [valueKey]: screened.value };
  }
  if (path !== undefined && path !== null && typeof path !== 'string') return operation;
  if (!isObject(value) || valueKey === undefined) return operation;
  const kept = new Map<string, unknown>();
  for (const [key, item] of Object.entries(value)) {
    // Echoed keys (Okta repeats id; clients echo schemas and meta) reach the applier, which decides.
    if (COMMON.has(key.toLowerCase())) kept.set(key, item);
    else {
      const screened = screenPath(definition, key, item, found);
      if (screened !== undefined) kept.set(key, screened.value);
    }
  }
  return { ...operation, [valueKey]: Object.fromEntries(kept) };
}

/** The value to apply at a known path, or undefined when the path names an unknown attribute. */
function screenPath(definition: ResourceTypeDefinition, text: string, value: unknown, found: Collector): { value: unknown } | undefined {
  let path;
  try {
    path = parsePatchPath(definition, text);
  } catch (error) {
    if (!(error instanceof UnknownAttributePath)) return { value };
    found.add(error.path);
    return undefined;
  }
  if (isWholeExtension(path)) {
    const extension = findExtension(definition, path.extension);
    if (!extension || !isObject(value)) return { value };
    // An extension object serialised on its own may carry its "schemas" (see apply.ts).
    return { value: screenAttributes(extension.attributes, value, `${path.extension}:`, found, (key) => key.toLowerCase() === 'schemas') };
  }
  const { attribute, subAttribute } = pathSchemas(definition, path);
  if (subAttribute) return { value };
  const name = `${path.extension ? `${path.extension}:` : ''}${attribute.name}`;
  // `attr[filter]` with a value: one element's sub-attributes.
  if (path.filter) return { value: attribute.multiValued ? screenElement(attribute, value, name, found) : value };
  return { value: screenValue(attribute, value, name, found) };
}

/** UNKNOWN_ATTRIBUTES=reject: the 400 naming what is unknown. */
export function unknownAttributesError(code: 'invalidSyntax' | 'invalidPath', resource: string, paths: readonly string[]): ScimError {
  const listed = paths.slice(0, 5).map((path) => `'${path}'`).join(', ');
  const more = paths.length > 5 ? ` and ${paths.length - 5} more` : '';
  const noun = paths.length === 1 ? 'attribute' : 'attributes';
  return new ScimError(code, `Unknown ${noun} ${listed}${more}: no schema of ${resource} defines ${paths.length === 1 ? 'it' : 'them'} (UNKNOWN_ATTRIBUTES=reject)`);
}
