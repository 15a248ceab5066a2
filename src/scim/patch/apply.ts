import { ScimError } from '../../errors/scim-error.js';
import type { FilterNode } from '../filter/ast.js';
import type { ResourceAttributes } from '../ingress.js';
import { ENTERPRISE_USER_SCHEMA, findAttribute, type AttributeSchema, type ResourceTypeDefinition } from '../schema-registry.js';
import { isPresent, matchesFilter, valuesEqual } from '../filter/evaluate.js';
import type { PatchOpName, PatchOperation } from './operations.js';
import { canonicalKeys, isClear, isObject, type Json } from './values.js';
import { isWholeExtension, parsePatchPath, pathSchemas, type PatchPath, type PathSchemas, type WholeExtensionPath } from './path.js';

/**
 * RFC 7644 §3.5.2 PATCH applied in memory to stored attributes. Types are not checked here: the
 * caller re-validates the result with parseResourceBody, which also normalises "True"/"False" and
 * canonical-value case. Group membership is not applied here: see splitMembershipOperations.
 */

export interface ApplyOptions {
  /** The patched resource's id: Okta repeats it in path-less replace values. */
  resourceId?: string;
}

interface Context {
  definition: ResourceTypeDefinition;
  options: ApplyOptions;
}

/** Where a path points: the object holding the attribute (resource or extension object) and the schemas. */
interface Target extends PathSchemas {
  container: Json;
  path: PatchPath;
}

/** Returns a new attributes object; neither the attributes nor the operations are modified. */
export function applyPatch(
  definition: ResourceTypeDefinition,
  attributes: ResourceAttributes,
  operations: PatchOperation[],
  options: ApplyOptions = {},
): ResourceAttributes {
  const state = structuredClone(attributes);
  const context: Context = { definition, options };
  for (const operation of structuredClone(operations)) applyOperation(state, context, operation);
  return state;
}

function applyOperation(state: Json, context: Context, operation: PatchOperation): void {
  if (operation.path === undefined) return applyPathless(state, context, operation);
  applyAt(state, context, operation.op, parsePatchPath(context.definition, operation.path), operation.value);
}

/**
 * RFC 7644 §3.5.2.1/3 without a path: each key of the value is applied as if it were the path,
 * which also covers Entra's dotted ("name.givenName") and URN-prefixed keys.
 */
function applyPathless(state: Json, context: Context, operation: PatchOperation): void {
  const { op, value } = operation;
  if (op === 'remove') throw new ScimError('noTarget', '"remove" requires a "path"');
  if (!isObject(value)) throw new ScimError('invalidValue', `"${op}" without a "path" needs an object of attributes as its "value"`);
  for (const [key, item] of Object.entries(value)) {
    if (!isEchoedKey(context, key, item)) applyAt(state, context, op, parsePatchPath(context.definition, key), item);
  }
}

/** Okta's group rename repeats the resource's own id (and clients may echo schemas/meta); anything else reaches the mutability check. */
function isEchoedKey(context: Context, key: string, item: unknown): boolean {
  const lower = key.toLowerCase();
  const { resourceId } = context.options;
  return lower === 'schemas' || lower === 'meta' || (lower === 'id' && resourceId !== undefined && item === resourceId);
}

function applyAt(state: Json, context: Context, op: PatchOpName, path: PatchPath, value: unknown): void {
  if (isWholeExtension(path)) return applyToExtension(state, context, op, path, value);
  const schemas = pathSchemas(context.definition, path);
  requireWritable(path, schemas);
  withContainer(state, path.extension, (container) => applyToTarget({ container, path, ...schemas }, op, normaliseValue(path, value)));
}

/** Keys of an extension object are applied one by one, so replace leaves unnamed attributes unchanged (RFC 7644 §3.5.2.3). */
function applyToExtension(state: Json, context: Context, op: PatchOpName, path: WholeExtensionPath, value: unknown): void {
  const urn = path.extension;
  if (op === 'remove' || isClear(value)) {
    delete state[urn];
    return;
  }
  if (!isObject(value)) throw new ScimError('invalidValue', `The value for ${urn} must be an object of its attributes`);
  for (const [key, item] of Object.entries(value)) {
    // An extension object serialised on its own may carry its "schemas" (scim2-models does): not an attribute.
    if (key.toLowerCase() !== 'schemas') applyAt(state, context, op, parsePatchPath(context.definition, `${urn}:${key}`), item);
  }
}

function requireWritable(path: PatchPath, { attribute, subAttribute }: PathSchemas): void {
  if (attribute.mutability === 'readOnly' || subAttribute?.mutability === 'readOnly') {
    const name = subAttribute ? `${attribute.name}.${subAttribute.name}` : attribute.name;
    throw new ScimError('mutability', `'${path.extension ? `${path.extension}:` : ''}${name}' is read-only`);
  }
}

/** Extension objects are created on demand and dropped once empty. */
function withContainer(state: Json, extension: string | undefined, change: (container: Json) => void): void {
  if (extension === undefined) return change(state);
  const existing = state[extension];
  const container = isObject(existing) ? existing : {};
  change(container);
  store(state, extension, container);
}

function applyToTarget(target: Target, op: PatchOpName, value: unknown): void {
  if (target.path.filter) return applyFiltered(target, target.path.filter, op, value);
  if (target.subAttribute) return applySubAttribute(target, target.subAttribute, op, value);
  const { container, attribute } = target;
  if (op === 'remove') return removeAttribute(target, value);
  if (isClear(value)) {
    delete container[attribute.name];
    return;
  }
  if (attribute.multiValued) {
    const base = op === 'add' ? listOf(container[attribute.name]) : [];
    return store(container, attribute.name, appendDistinct(attribute, base, elementsOf(attribute, value)));
  }
  if (attribute.type === 'complex') return setComplex(target, op, value);
  container[attribute.name] = value;
}

/** RFC 7644 §3.5.2.1: add merges into a complex attribute; replace (our choice) replaces it whole. */
function setComplex({ container, attribute }: Target, op: PatchOpName, value: unknown): void {
  const existing = container[attribute.name];
  const base = op === 'add' && isObject(existing) ? existing : {};
  store(container, attribute.name, merge(base, canonicalKeys(attribute, objectValue(attribute, value))));
}

/** `attr.sub`: on a multi-valued attribute it addresses that sub-attribute of every element. */
function applySubAttribute({ container, attribute }: Target, sub: AttributeSchema, op: PatchOpName, value: unknown): void {
  const clearing = op === 'remove' || isClear(value);
  const set = (element: Json): Json => merge(element, { [sub.name]: clearing ? null : value });
  const existing = container[attribute.name];
  if (!attribute.multiValued) return store(container, attribute.name, set(isObject(existing) ? existing : {}));
  const elements = listOf(existing);
  if (!clearing && elements.length === 0) {
    throw new ScimError('noTarget', `'${attribute.name}' has no values whose '${sub.name}' could be set`);
  }
  store(container, attribute.name, elements.map((element) => (isObject(element) ? set(element) : element)));
}

function applyFiltered(target: Target, filter: FilterNode, op: PatchOpName, value: unknown): void {
  const { container, attribute, subAttribute } = target;
  const subAttributes = attribute.subAttributes ?? [];
  const elements = listOf(container[attribute.name]);
  const matches = (element: unknown): element is Json => isObject(element) && matchesFilter(filter, element, subAttributes);
  if (op === 'remove' || isClear(value)) {
    // RFC 7644 §3.5.2.2 would answer noTarget; Okta removes members that may already be gone, so no match is a no-op.
    const remaining = subAttribute
      ? elements.map((element) => (matches(element) ? merge(element, { [subAttribute.name]: null }) : element))
      : elements.filter((element) => !matches(element));
    return store(container, attribute.name, remaining);
  }
  const changes = subAttribute ? { [subAttribute.name]: value } : canonicalKeys(attribute, objectValue(attribute, value));
  const replacesElement = op === 'replace' && !subAttribute;
  const updated = elements.some(matches)
    ? elements.map((element) => (matches(element) ? merge(replacesElement ? {} : element, changes) : element))
    : [...elements, merge(createdElement(target, filter), changes)];
  store(container, attribute.name, updated);
}

/**
 * Entra adds to `emails[type eq "work"].value` before any work email exists: an element built from
 * the filter's `eq` comparisons is created. Other filters cannot describe a new element.
 */
function createdElement({ attribute, path }: Target, filter: FilterNode): Json {
  const element: Json = {};
  if (!collectEqualities(filter, attribute.subAttributes ?? [], element)) {
    throw new ScimError('noTarget', `No value of '${path.attribute}' matches the filter, and the filter does not describe a new value`);
  }
  return element;
}

function collectEqualities(node: FilterNode, subAttributes: readonly AttributeSchema[], element: Json): boolean {
  if (node.kind === 'and') return node.operands.every((operand) => collectEqualities(operand, subAttributes, element));
  if (node.kind !== 'compare' || node.op !== 'eq' || node.value.kind === 'null' || node.path in element) return false;
  const { value } = node;
  const type = findAttribute(subAttributes, node.path)?.type;
  element[node.path] = value.kind === 'number' && type !== 'integer' && type !== 'decimal' ? value.text : value.value;
  return true;
}

/** Entra removes values of a multi-valued attribute by listing them: `{"op":"Remove","path":"members","value":[{"value":"u1"}]}`. */
function removeAttribute({ container, attribute }: Target, value: unknown): void {
  if (!attribute.multiValued || value === undefined || isClear(value)) {
    delete container[attribute.name];
    return;
  }
  const patterns = elementsOf(attribute, value).map((element) => removalPattern(attribute, element));
  const remaining = listOf(container[attribute.name]).filter((element) => !patterns.some((pattern) => covers(attribute, element, pattern)));
  store(container, attribute.name, remaining);
}

/** An element to remove is identified by its "value" when it has one, else by all the sub-attributes given. */
function removalPattern(attribute: AttributeSchema, element: unknown): Json {
  if (!isObject(element) || !isPresent(element)) {
    throw new ScimError('invalidValue', `Values to remove from '${attribute.name}' must be objects such as {"value": "…"}`);
  }
  return 'value' in element ? { value: element['value'] } : element;
}

/** Re-adding an equal value is a no-op (RFC 7644 §3.5.2.1), never a duplicate. */
function appendDistinct(attribute: AttributeSchema, base: unknown[], additions: unknown[]): unknown[] {
  const list = [...base];
  for (const addition of additions) {
    if (!list.some((existing) => covers(attribute, existing, addition) && covers(attribute, addition, existing))) list.push(addition);
  }
  return list;
}

/** Every sub-attribute given in `pattern` has an equal value in `element`. */
function covers(attribute: AttributeSchema, element: unknown, pattern: unknown): boolean {
  if (!isObject(element) || !isObject(pattern)) return JSON.stringify(element) === JSON.stringify(pattern);
  return Object.entries(pattern).every(([key, expected]) => !isPresent(expected) || sameValue(attribute, key, element[key], expected));
}

function sameValue(attribute: AttributeSchema, key: string, actual: unknown, expected: unknown): boolean {
  const sub = findAttribute(attribute.subAttributes ?? [], key);
  return (sub !== undefined && valuesEqual(sub, actual, expected)) || JSON.stringify(actual) === JSON.stringify(expected);
}

/** One value or an array of them; object elements get canonical sub-attribute names and lose cleared sub-attributes. */
function elementsOf(attribute: AttributeSchema, value: unknown): unknown[] {
  const elements = Array.isArray(value) ? value : [value];
  return elements
    .filter((element) => !isClear(element))
    .map((element) => (isObject(element) ? merge({}, canonicalKeys(attribute, element)) : element));
}

/**
 * Entra sends the enterprise manager as an id, `{value}`, `{"$ref": null, value}` or a one-element
 * array of those; RFC 7643 §4.3 stores `{value}` (null sub-attributes are dropped on merge).
 */
function normaliseValue(path: PatchPath, value: unknown): unknown {
  const isManager = path.extension === ENTERPRISE_USER_SCHEMA && path.attribute === 'manager' && path.subAttribute === undefined;
  return isManager ? normaliseManager(value) : value;
}

function normaliseManager(value: unknown): unknown {
  if (typeof value === 'string' && value !== '') return { value };
  if (!Array.isArray(value)) return value;
  if (value.length > 1) throw new ScimError('invalidValue', 'An enterprise user has at most one manager');
  return value.length === 0 ? null : normaliseManager(value[0]);
}

function objectValue(attribute: AttributeSchema, value: unknown): Json {
  if (!isObject(value)) throw new ScimError('invalidValue', `The value for '${attribute.name}' must be an object of its sub-attributes`);
  return value;
}

/**
 * A copy of `base` with `changes` applied; a null or "" change removes that key. Built through a Map
 * because assigning a client's "__proto__" key to an object would replace its prototype.
 */
function merge(base: Json, changes: Json): Json {
  const merged = new Map(Object.entries(base));
  for (const [key, value] of Object.entries(changes)) {
    if (isClear(value)) merged.delete(key);
    else merged.set(key, value);
  }
  return Object.fromEntries(merged);
}

/** Sub-attribute names as the schema spells them, so that merging `{GivenName}` replaces `givenName`. */

/** Empty objects, elements and lists are not stored: RFC 7643 §2.5 treats them as unassigned. */
function store(container: Json, name: string, value: unknown): void {
  const cleaned = Array.isArray(value) ? value.filter(isPresent) : value;
  if (isPresent(cleaned)) container[name] = cleaned;
  else delete container[name];
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? [...value] : [];
}
