import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { registerExtensions, type AttributeSchema, type AttributeType } from './schema-registry.js';

/**
 * Reads the schema extension files of SCHEMA_EXTENSIONS_DIR (docs/extensions.md): every `*.json`
 * there is one extension, an RFC 7643 §7 schema wrapped with the resource type it extends:
 *
 *   { "resourceType": "User", "required": false, "schema": { "id": "urn:…", "name": "…", "attributes": [ … ] } }
 *
 * Every problem of every file is reported at once, each naming the file, the attribute and the
 * problem, so that an operator fixes them in one pass; the server does not start with any.
 */

export class ExtensionError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid schema extensions:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
    this.name = 'ExtensionError';
    this.problems = problems;
  }
}

/** An attribute as declared: the registry's metadata plus what only /Schemas and the validator need. */
export interface DeclaredAttribute extends AttributeSchema {
  description: string;
  referenceTypes?: string[];
  subAttributes?: DeclaredAttribute[];
}

export interface ExtensionDeclaration {
  /** The file it came from, for messages. */
  file: string;
  resourceType: 'User' | 'Group';
  required: boolean;
  urn: string;
  name: string;
  description: string;
  attributes: DeclaredAttribute[];
}

const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/**
 * scimmy, which validates request bodies, accepts only URNs in the IETF SCIM namespace. Segments
 * hold no characters that a PATCH path or filter could read as syntax.
 */
const EXTENSION_URN = /^urn:ietf:params:scim:schemas:extension(?::[A-Za-z0-9][A-Za-z0-9._-]*)+$/;

/** URNs whose attributes the server already defines: an extension may neither reuse nor nest under them. */
export const RESERVED_URNS: readonly string[] = [
  'urn:ietf:params:scim:schemas:core:2.0:User',
  'urn:ietf:params:scim:schemas:core:2.0:Group',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  'urn:scim-identity-server:schemas:extension:lifecycle:1.0:User',
];

/** RFC 7643 §2.1 ATTRNAME. */
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

const TYPES: readonly AttributeType[] = ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary', 'complex'];
const TEXT_TYPES: readonly AttributeType[] = ['string', 'reference', 'binary'];
const WRAPPER_FIELDS = ['resourceType', 'required', 'schema'];
const SCHEMA_FIELDS = ['schemas', 'id', 'name', 'description', 'attributes', 'meta'];
const ATTRIBUTE_FIELDS = ['name', 'type', 'multiValued', 'description', 'required', 'canonicalValues', 'caseExact', 'mutability', 'returned', 'uniqueness', 'referenceTypes', 'subAttributes'];

/**
 * RFC 7643 §2.2 characteristics the server can honour for client-provisioned data. The others are
 * valid SCIM but would be promises we do not keep: nothing derives a readOnly value, writeOnly and
 * returned "never"/"request" values would be returned, and uniqueness is not enforced.
 */
const SUPPORTED: Readonly<Record<'mutability' | 'returned' | 'uniqueness', { values: readonly string[]; others: readonly string[]; why: string }>> = {
  mutability: { values: ['readWrite', 'immutable'], others: ['readOnly', 'writeOnly'], why: 'nothing on the server sets readOnly values, and writeOnly values would be returned' },
  returned: { values: ['default', 'always'], others: ['never', 'request'], why: 'extension values are returned like core ones' },
  uniqueness: { values: ['none'], others: ['server', 'global'], why: 'uniqueness is not enforced for extension attributes' },
};

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quoted(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function quotedList(values: readonly string[]): string {
  return values.map(quoted).join(', ');
}

/** Loads the extensions of `dir` and registers them for this process (schema-registry.ts); call it before the app is built. */
export function registerExtensionDirectory(dir: string): ExtensionDeclaration[] {
  const declarations = loadExtensionFiles(dir);
  registerExtensions(declarations);
  return declarations;
}

/** Reads and validates every `*.json` file of `dir`, in name order. */
export function loadExtensionFiles(dir: string): ExtensionDeclaration[] {
  const problems: string[] = [];
  const declarations: ExtensionDeclaration[] = [];
  for (const file of jsonFiles(dir)) {
    const found = parseExtensionFile(file, readText(file));
    problems.push(...found.problems.map((problem) => `${file}: ${problem}`));
    if (found.declaration) declarations.push(found.declaration);
  }
  problems.push(...clashes(declarations));
  if (problems.length > 0) throw new ExtensionError(problems);
  return declarations;
}

function jsonFiles(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new ExtensionError([`${dir}: SCHEMA_EXTENSIONS_DIR is not a directory`]);
    names = readdirSync(dir);
  } catch (error) {
    if (error instanceof ExtensionError) throw error;
    throw new ExtensionError([`${dir}: cannot read SCHEMA_EXTENSIONS_DIR: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : String(error)}`]);
  }
  return names
    .filter((name) => name.toLowerCase().endsWith('.json'))
    .sort()
    .map((name) => path.join(dir, name));
}

function readText(file: string): string {
  // Editors on Windows may save a byte-order mark, which JSON.parse rejects.
  return readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
}

/** One file's declaration and problems; clashes with other files are checked by the caller. */
export function parseExtensionFile(file: string, text: string): { declaration?: ExtensionDeclaration; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problems: [`invalid JSON: ${(error as Error).message}`] };
  }
  if (!isRecord(json)) return { problems: ['must be a JSON object { "resourceType", "required", "schema" }'] };
  const problems = unknownFields(json, WRAPPER_FIELDS, 'the file');
  const resourceType = json['resourceType'];
  if (resourceType !== 'User' && resourceType !== 'Group') problems.push(`"resourceType" must be "User" or "Group", not ${quoted(resourceType)}`);
  const required = json['required'] ?? false;
  if (typeof required !== 'boolean') problems.push(`"required" must be true or false, not ${quoted(required)}`);
  const schema = json['schema'];
  if (!isRecord(schema)) return { problems: [...problems, '"schema" must be an RFC 7643 §7 schema object { "id", "name", "attributes" }'] };
  problems.push(...unknownFields(schema, SCHEMA_FIELDS, '"schema"'));
  const schemas = schema['schemas'];
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.length === 1 && schemas[0] === SCHEMA_SCHEMA)) {
    problems.push(`schema.schemas must be [${quoted(SCHEMA_SCHEMA)}] when present`);
  }
  const urn = schema['id'];
  if (typeof urn !== 'string' || !EXTENSION_URN.test(urn)) {
    problems.push(`schema.id: invalid URN ${quoted(urn)}; an extension's URN has the form urn:ietf:params:scim:schemas:extension:<organisation>:<version>:<resource>`);
  } else {
    problems.push(...reservedClash(urn));
  }
  const name = schema['name'];
  if (typeof name !== 'string' || name.trim() === '') problems.push(`schema.name must be a non-empty string, not ${quoted(name)}`);
  const description = schema['description'] ?? '';
  if (typeof description !== 'string') problems.push(`schema.description must be a string, not ${quoted(description)}`);
  const rawAttributes = schema['attributes'];
  if (!Array.isArray(rawAttributes) || rawAttributes.length === 0) {
    problems.push('schema.attributes must be a non-empty array of attribute definitions');
    return { problems };
  }
  const attributes = attributeList(rawAttributes, '', problems);
  if (problems.length > 0) return { problems };
  return {
    declaration: { file, resourceType: resourceType as 'User' | 'Group', required: required as boolean, urn: urn as string, name: name as string, description: description as string, attributes },
    problems,
  };
}

function unknownFields(object: Json, allowed: readonly string[], where: string): string[] {
  const unknown = Object.keys(object).filter((key) => !allowed.includes(key));
  return unknown.length === 0 ? [] : [`${where}: unknown field${unknown.length > 1 ? 's' : ''} ${quotedList(unknown)}; allowed: ${quotedList(allowed)}`];
}

/** A URN equal to one the server defines, or one of them followed by ":" (which a path could not tell apart). */
function reservedClash(urn: string): string[] {
  const lower = urn.toLowerCase();
  const clash = RESERVED_URNS.find((reserved) => related(lower, reserved.toLowerCase()));
  return clash ? [`schema.id: URN ${quoted(urn)} clashes with the server's schema ${clash}`] : [];
}

function related(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}:`) || b.startsWith(`${a}:`);
}

function clashes(declarations: readonly ExtensionDeclaration[]): string[] {
  const problems: string[] = [];
  declarations.forEach((declaration, index) => {
    const earlier = declarations.slice(0, index).find((other) => related(declaration.urn.toLowerCase(), other.urn.toLowerCase()));
    if (!earlier) return;
    const what = earlier.urn.toLowerCase() === declaration.urn.toLowerCase() ? 'duplicates' : 'clashes with';
    problems.push(`${declaration.file}: schema.id: URN ${quoted(declaration.urn)} ${what} ${quoted(earlier.urn)} of ${earlier.file}`);
  });
  return problems;
}

function attributeList(raw: unknown[], parent: string, problems: string[]): DeclaredAttribute[] {
  const attributes: DeclaredAttribute[] = [];
  const seen = new Map<string, string>();
  raw.forEach((item, index) => {
    const label = isRecord(item) && typeof item['name'] === 'string' ? `${parent}${item['name']}` : `${parent}#${index + 1}`;
    const attribute = declaredAttribute(item, label, parent !== '', problems);
    if (!attribute) return;
    const first = seen.get(attribute.name.toLowerCase());
    if (first !== undefined) problems.push(`attribute "${label}": duplicate name (also "${first}"; names are case-insensitive)`);
    else seen.set(attribute.name.toLowerCase(), label);
    attributes.push(attribute);
  });
  return attributes;
}

/** One attribute; undefined when it is too broken to describe. Problems name the attribute by its dotted path. */
function declaredAttribute(raw: unknown, label: string, isSub: boolean, problems: string[]): DeclaredAttribute | undefined {
  const at = (problem: string) => problems.push(`attribute "${label}": ${problem}`);
  if (!isRecord(raw)) {
    at('must be an attribute definition object');
    return undefined;
  }
  for (const problem of unknownFields(raw, ATTRIBUTE_FIELDS, 'the definition')) at(problem);
  const { name, type } = raw;
  if (typeof name !== 'string' || !ATTRIBUTE_NAME.test(name)) at(`name ${quoted(name)} is not an attribute name (a letter, then letters, digits, "-" or "_")`);
  if (!TYPES.includes(type as AttributeType)) at(`unknown type ${quoted(type)}; one of ${quotedList(TYPES)}`);
  for (const flag of ['multiValued', 'required', 'caseExact'] as const) {
    if (raw[flag] !== undefined && typeof raw[flag] !== 'boolean') at(`"${flag}" must be true or false, not ${quoted(raw[flag])}`);
  }
  if (raw['description'] !== undefined && typeof raw['description'] !== 'string') at(`"description" must be a string`);
  for (const characteristic of ['mutability', 'returned', 'uniqueness'] as const) checkCharacteristic(raw[characteristic], characteristic, at);
  const canonicalValues = stringList(raw['canonicalValues'], 'canonicalValues', at);
  if (canonicalValues && !TEXT_TYPES.includes(type as AttributeType)) at(`"canonicalValues" only applies to text attributes, not ${quoted(type)}`);
  const referenceTypes = stringList(raw['referenceTypes'], 'referenceTypes', at);
  if (referenceTypes && type !== 'reference') at(`"referenceTypes" only applies to reference attributes, not ${quoted(type)}`);
  if (type === 'binary' && raw['caseExact'] === false) at('binary attributes are always caseExact');
  const subAttributes = complexParts(raw, label, type, isSub, at, problems);
  if (typeof name !== 'string' || !TYPES.includes(type as AttributeType)) return undefined;
  const attribute: DeclaredAttribute = {
    name,
    type: type as AttributeType,
    multiValued: raw['multiValued'] === true,
    description: typeof raw['description'] === 'string' ? raw['description'] : '',
    required: raw['required'] === true,
    caseExact: type === 'binary' || raw['caseExact'] === true,
    mutability: (raw['mutability'] as AttributeSchema['mutability'] | undefined) ?? 'readWrite',
    returned: (raw['returned'] as AttributeSchema['returned'] | undefined) ?? 'default',
    uniqueness: 'none',
  };
  if (canonicalValues?.length) attribute.canonicalValues = canonicalValues;
  if (type === 'reference') attribute.referenceTypes = referenceTypes ?? ['external'];
  if (subAttributes) attribute.subAttributes = subAttributes;
  return attribute;
}

function checkCharacteristic(value: unknown, characteristic: keyof typeof SUPPORTED, at: (problem: string) => void): void {
  if (value === undefined) return;
  const { values, others, why } = SUPPORTED[characteristic];
  if (values.includes(value as string)) return;
  if (others.includes(value as string)) at(`${characteristic} ${quoted(value)} is not supported for extension attributes (${why}); use ${quotedList(values)}`);
  else at(`bad ${characteristic} ${quoted(value)}; one of ${quotedList(values)}`);
}

function stringList(value: unknown, field: string, at: (problem: string) => void): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string' && item !== '')) return value as string[];
  at(`"${field}" must be an array of non-empty strings`);
  return undefined;
}

/** RFC 7643 §2.3.8: a complex attribute has sub-attributes, and they are not complex themselves. */
function complexParts(raw: Json, label: string, type: unknown, isSub: boolean, at: (problem: string) => void, problems: string[]): DeclaredAttribute[] | undefined {
  const subAttributes = raw['subAttributes'];
  if (type !== 'complex') {
    if (subAttributes !== undefined) at(`has subAttributes but is of type ${quoted(type)}; only complex attributes have them`);
    return undefined;
  }
  if (isSub) {
    at('nested complex attribute: a sub-attribute cannot be complex (RFC 7643 §2.3.8)');
    return undefined;
  }
  if (!Array.isArray(subAttributes) || subAttributes.length === 0) {
    at('a complex attribute needs a non-empty "subAttributes" array');
    return undefined;
  }
  return attributeList(subAttributes, `${label}.`, problems);
}
