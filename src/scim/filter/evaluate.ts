import { ScimError } from '../../errors/scim-error.js';
import type { CompareNode, FilterNode } from './ast.js';
import { findAttribute, type AttributeSchema } from '../schema-registry.js';

/**
 * In-memory evaluation of a value filter (the `[...]` of a PATCH path) against one element of a
 * multi-valued complex attribute. Comparison follows each sub-attribute's type and caseExact, as the
 * MongoDB translation does for stored data, so PATCH selects what a GET filter would.
 */

type Comparable = string | number | boolean;

export function matchesFilter(node: FilterNode, element: Record<string, unknown>, subAttributes: readonly AttributeSchema[]): boolean {
  switch (node.kind) {
    case 'and':
      return node.operands.every((operand) => matchesFilter(operand, element, subAttributes));
    case 'or':
      return node.operands.some((operand) => matchesFilter(operand, element, subAttributes));
    case 'not':
      return !matchesFilter(node.operand, element, subAttributes);
    case 'valuePath':
      throw new ScimError('invalidFilter', `Brackets cannot be nested inside a value filter ('${node.path}[...]')`);
    case 'present':
      return isPresent(read(element, subAttribute(subAttributes, node.path).name));
    case 'compare': {
      const attribute = subAttribute(subAttributes, node.path);
      return compare(node, attribute, read(element, attribute.name));
    }
  }
}

/** Equality of two values of one attribute: case-insensitive unless caseExact, "True" equals true, instants for dateTime. */
export function valuesEqual(attribute: AttributeSchema, left: unknown, right: unknown): boolean {
  const normalisedLeft = normalise(attribute, left);
  return normalisedLeft !== undefined && normalisedLeft === normalise(attribute, right);
}

/** RFC 7644 §3.4.2.2 pr: a non-empty value. */
export function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function subAttribute(subAttributes: readonly AttributeSchema[], name: string): AttributeSchema {
  const attribute = findAttribute(subAttributes, name);
  if (!attribute) throw new ScimError('invalidFilter', `Unknown sub-attribute '${name}' in a value filter`);
  return attribute;
}

function read(element: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  return Object.entries(element).find(([key]) => key.toLowerCase() === lower)?.[1];
}

function compare(node: CompareNode, attribute: AttributeSchema, actual: unknown): boolean {
  if (node.value.kind === 'null') return compareNull(node, actual);
  if (node.op === 'ne') return !compare({ ...node, op: 'eq' }, attribute, actual);
  const expected = operand(node, attribute);
  const value = normalise(attribute, actual);
  if (value === undefined) return false;
  switch (node.op) {
    case 'eq':
      return value === expected;
    case 'co':
    case 'sw':
    case 'ew':
      return substring(node, attribute, String(value), String(expected));
    default:
      return ordered(node, attribute, value, expected);
  }
}

function compareNull(node: CompareNode, actual: unknown): boolean {
  if (node.op === 'eq') return !isPresent(actual);
  if (node.op === 'ne') return isPresent(actual);
  throw new ScimError('invalidFilter', `Operator '${node.op}' cannot be used with null on '${node.path}'; only eq and ne can`);
}

function substring(node: CompareNode, attribute: AttributeSchema, value: string, expected: string): boolean {
  if (!isText(attribute)) {
    throw new ScimError('invalidFilter', `Operator '${node.op}' cannot be used with the ${attribute.type} sub-attribute '${node.path}'`);
  }
  if (node.op === 'sw') return value.startsWith(expected);
  if (node.op === 'ew') return value.endsWith(expected);
  return value.includes(expected);
}

function ordered(node: CompareNode, attribute: AttributeSchema, value: Comparable, expected: Comparable): boolean {
  if (attribute.type === 'boolean') {
    throw new ScimError('invalidFilter', `Operator '${node.op}' cannot be used with the boolean sub-attribute '${node.path}'`);
  }
  if (node.op === 'gt') return value > expected;
  if (node.op === 'ge') return value >= expected;
  if (node.op === 'lt') return value < expected;
  return value <= expected;
}

/** Unquoted numbers compared with a string sub-attribute keep the text the client typed (e.g. "007"). */
function operand(node: CompareNode, attribute: AttributeSchema): Comparable {
  const { value } = node;
  const raw = value.kind === 'number' && isText(attribute) ? value.text : value.kind === 'null' ? null : value.value;
  const expected = normalise(attribute, raw);
  if (expected === undefined) {
    const operandText = JSON.stringify(raw);
    throw new ScimError('invalidFilter', `The ${attribute.type} sub-attribute '${node.path}' cannot be compared with ${operandText}`);
  }
  return expected;
}

function normalise(attribute: AttributeSchema, value: unknown): Comparable | undefined {
  switch (attribute.type) {
    case 'boolean':
      return toBoolean(value);
    case 'integer':
    case 'decimal':
      return toNumber(value);
    case 'dateTime':
      return toInstant(value);
    default:
      return toText(attribute, value);
  }
}

/** Entra sends booleans as "True"/"False". */
function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const lower = typeof value === 'string' ? value.toLowerCase() : '';
  return lower === 'true' || lower === 'false' ? lower === 'true' : undefined;
}

function toNumber(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
}

function toInstant(value: unknown): number | undefined {
  const instant = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(instant) ? undefined : instant;
}

function toText(attribute: AttributeSchema, value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  return text !== undefined && !attribute.caseExact ? text.toLowerCase() : text;
}

function isText(attribute: AttributeSchema): boolean {
  return attribute.type === 'string' || attribute.type === 'reference' || attribute.type === 'binary';
}
