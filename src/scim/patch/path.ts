import { ScimError } from '../../errors/scim-error.js';
import type { FilterNode } from '../filter/ast.js';
import { parseFilter } from '../filter/parse.js';
import { extensionDefining, findAttribute, findExtension, type AttributeSchema, type ResourceTypeDefinition } from '../schema-registry.js';

/**
 * A parsed PATCH path (RFC 7644 §3.5.2): `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`,
 * each optionally prefixed by a schema URN, or a bare extension URN. Names are canonical. An
 * extension attribute named without its URN (Entra's legacy `manager`) resolves to the one
 * extension that defines it, when the core schema does not (extensionDefining).
 */
export interface PatchPath {
  /** Extension URN when the attribute belongs to an extension; undefined for core. */
  extension?: string;
  /** Canonical attribute name; '' when the path is the bare extension URN (the whole extension object). */
  attribute: string;
  /** For attr[filter]; paths inside are canonical sub-attribute names ("type", "value"). */
  filter?: FilterNode;
  /** Canonical sub-attribute name (e.g. "givenName", "value"). */
  subAttribute?: string;
}

/**
 * A well-formed path naming an attribute that no registered schema defines (as opposed to a
 * malformed one): src/scim/unknown-attributes.ts ignores or refuses these per UNKNOWN_ATTRIBUTES.
 */
export class UnknownAttributePath extends ScimError {
  /** The attribute path as the client spelled it, without any value filter. */
  readonly path: string;

  constructor(path: string, detail: string) {
    super('invalidPath', detail);
    this.path = path;
  }
}

export interface PathSchemas {
  attribute: AttributeSchema;
  subAttribute: AttributeSchema | undefined;
}

/** RFC 7643 ATTRNAME, plus the "$ref" sub-attribute name. */
const NAME = /^(?:\$ref|[A-Za-z][\w-]*)$/;

function common(
  name: string,
  type: AttributeSchema['type'],
  mutability: AttributeSchema['mutability'],
  multiValued = false,
): AttributeSchema {
  return { name, type, multiValued, required: false, caseExact: true, mutability, returned: 'default', uniqueness: 'none' };
}

/** Named so that a path such as `meta.lastModified` is reported as read-only rather than unknown. */
const META: AttributeSchema = {
  ...common('meta', 'complex', 'readOnly'),
  subAttributes: ['resourceType', 'created', 'lastModified', 'location', 'version'].map((name) => common(name, 'string', 'readOnly')),
};

/** RFC 7643 §3.1 common attributes, which scimmy's schema descriptions leave out. */
const COMMON_ATTRIBUTES: readonly AttributeSchema[] = [
  common('id', 'string', 'readOnly'),
  common('externalId', 'string', 'readWrite'),
  META,
  common('schemas', 'reference', 'readOnly', true),
];

/** The attributes a path may name: core plus common attributes, or one extension's. */
export function attributesFor(definition: ResourceTypeDefinition, extension: string | undefined): readonly AttributeSchema[] {
  if (extension === undefined) return [...COMMON_ATTRIBUTES, ...definition.attributes];
  return findExtension(definition, extension)?.attributes ?? [];
}

/** A bare extension URN path: it addresses the whole extension object. */
export type WholeExtensionPath = PatchPath & { extension: string; attribute: '' };

export function isWholeExtension(path: PatchPath): path is WholeExtensionPath {
  return path.extension !== undefined && path.attribute === '';
}

/** Schemas of a path returned by parsePatchPath (not a whole-extension path). */
export function pathSchemas(definition: ResourceTypeDefinition, path: PatchPath): PathSchemas {
  const attribute = findAttribute(attributesFor(definition, path.extension), path.attribute);
  if (!attribute) throw invalidPath(`Unknown attribute '${path.attribute}'`);
  const subAttribute = path.subAttribute === undefined ? undefined : findSub(attribute, path.subAttribute, path.extension ? `${path.extension}:` : '');
  return { attribute, subAttribute };
}

export function parsePatchPath(definition: ResourceTypeDefinition, text: string): PatchPath {
  const trimmed = text.trim();
  const { head, filterText, trailer } = splitBrackets(trimmed);
  const { extension: qualified, rest } = splitSchema(definition, head, trimmed);
  if (rest === undefined) {
    if (filterText !== undefined) throw invalidPath(`'${trimmed}' applies a filter to a whole extension`);
    return { extension: qualified, attribute: '' };
  }
  const [name = '', sub, ...extra] = rest.split('.');
  const extension = qualified ?? (head.includes(':') ? undefined : unqualifiedExtension(definition, name, trimmed));
  if (extra.length > 0 || (sub !== undefined && filterText !== undefined)) throw invalidPath(`'${trimmed}' is not a valid attribute path`);
  const prefix = extension ? `${extension}:` : '';
  const attribute = resolveName(attributesFor(definition, extension), name, trimmed, prefix);
  const path: PatchPath = { ...(extension ? { extension } : {}), attribute: attribute.name };
  if (filterText !== undefined) path.filter = parseValueFilter(attribute, filterText);
  const subName = trailer ?? sub;
  if (subName !== undefined) path.subAttribute = findSub(attribute, subName, prefix).name;
  return path;
}

interface Brackets {
  head: string;
  filterText?: string;
  /** The sub-attribute name after `].`. */
  trailer?: string;
}

/** Splits `head[filter].trailer`; brackets inside quoted filter values do not count. */
function splitBrackets(text: string): Brackets {
  const open = text.indexOf('[');
  if (open < 0) return { head: text };
  const close = closingBracket(text, open);
  const after = text.slice(close + 1);
  if (after !== '' && !after.startsWith('.')) throw invalidPath(`Unexpected '${after}' after the filter in '${text}'`);
  const brackets: Brackets = { head: text.slice(0, open), filterText: text.slice(open + 1, close) };
  if (after !== '') brackets.trailer = after.slice(1);
  return brackets;
}

function closingBracket(text: string, open: number): number {
  let inString = false;
  for (let index = open + 1; index < text.length; index += 1) {
    const ch = text.charAt(index);
    if (inString && ch === '\\') index += 1;
    else if (ch === '"') inString = !inString;
    else if (!inString && ch === ']') return index;
  }
  throw invalidPath(`The '[' in '${text}' is not closed`);
}

/** `rest` is undefined when the whole text is an extension URN. */
function splitSchema(definition: ResourceTypeDefinition, head: string, text: string): { extension?: string; rest?: string } {
  const lower = head.toLowerCase();
  const extension = definition.extensions.find((candidate) => {
    const urn = candidate.urn.toLowerCase();
    return lower === urn || lower.startsWith(`${urn}:`);
  });
  if (extension?.readOnly) throw new ScimError('mutability', `'${text}' is derived by the server and cannot be changed`);
  if (extension && lower.length === extension.urn.length) return { extension: extension.urn };
  if (extension) return { extension: extension.urn, rest: head.slice(extension.urn.length + 1) };
  const core = `${definition.schema.toLowerCase()}:`;
  if (lower.startsWith(core)) return { rest: head.slice(core.length) };
  if (head.includes(':')) throw new UnknownAttributePath(head, `'${text}' names an unknown schema`);
  return { rest: head };
}

function unqualifiedExtension(definition: ResourceTypeDefinition, name: string, text: string): string | undefined {
  const extension = NAME.test(name) ? extensionDefining(definition, name) : undefined;
  if (extension?.readOnly) throw new ScimError('mutability', `'${text}' is derived by the server and cannot be changed`);
  return extension?.urn;
}

function resolveName(attributes: readonly AttributeSchema[], name: string, text: string, prefix: string): AttributeSchema {
  if (!NAME.test(name)) throw invalidPath(`'${text}' is not a valid attribute path`);
  const attribute = findAttribute(attributes, name);
  if (!attribute) throw new UnknownAttributePath(`${prefix}${name}`, `'${text}' names an unknown attribute`);
  return attribute;
}

function findSub(attribute: AttributeSchema, name: string, prefix: string): AttributeSchema {
  if (!NAME.test(name)) throw invalidPath(`'${attribute.name}.${name}' is not a valid attribute path`);
  const sub = attribute.subAttributes ? findAttribute(attribute.subAttributes, name) : undefined;
  if (!sub) throw new UnknownAttributePath(`${prefix}${attribute.name}.${name}`, `'${attribute.name}' has no sub-attribute '${name}'`);
  return sub;
}

function parseValueFilter(attribute: AttributeSchema, text: string): FilterNode {
  if (!attribute.multiValued || !attribute.subAttributes) {
    throw invalidPath(`'${attribute.name}[...]' is not allowed: '${attribute.name}' is not a multi-valued complex attribute`);
  }
  return canonicalFilter(parseFilter(text), attribute.subAttributes, attribute.name);
}

/** Filter paths become canonical sub-attribute names so that evaluation and element creation can use them as keys. */
function canonicalFilter(node: FilterNode, subAttributes: readonly AttributeSchema[], parent: string): FilterNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, operands: node.operands.map((operand) => canonicalFilter(operand, subAttributes, parent)) };
    case 'not':
      return { kind: 'not', operand: canonicalFilter(node.operand, subAttributes, parent) };
    case 'valuePath':
      throw new ScimError('invalidFilter', `Brackets cannot be nested inside '${parent}[...]'`);
    default: {
      const sub = NAME.test(node.path) ? findAttribute(subAttributes, node.path) : undefined;
      if (!sub) throw new ScimError('invalidFilter', `'${parent}' has no sub-attribute '${node.path}'`);
      return { ...node, path: sub.name };
    }
  }
}

function invalidPath(detail: string): ScimError {
  return new ScimError('invalidPath', detail);
}
