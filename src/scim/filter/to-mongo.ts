import { ScimError } from '../../errors/scim-error.js';
import type { CompareNode, ComparisonOperator, FilterNode, FilterValue, ValuePathNode } from './ast.js';
import { parseDateTime } from '../date-time.js';
import { isAttributePath } from './parse.js';
import type { AttributeInfo, AttributeResolver, ScimType } from './resolver.js';

/**
 * Translates a parsed filter into a MongoDB query. The query uses only operators that FerretDB 1.24
 * also implements ($and $or $nor $eq $ne $gt $gte $lt $lte $in $nin $exists $regex). FerretDB's
 * `$elemMatch` matches nothing or fails, so value paths whose conditions must hold for one element
 * ("correlated": `and`, `not`, or a trailing `.sub`) are resolved by the store beforehand into the
 * ids of matching resources; the others translate exactly to dotted paths (any element matches).
 * Field names only ever come from the resolver and user values only ever appear as operands, so a
 * filter cannot inject operators or fields.
 */

export type MongoQuery = Record<string, unknown>;

type EqualityOrOrdering = Exclude<ComparisonOperator, SubstringOperator>;
type SubstringOperator = 'co' | 'sw' | 'ew';

const MONGO_OPERATOR: Readonly<Record<EqualityOrOrdering, string>> = {
  eq: '$eq',
  ne: '$ne',
  gt: '$gt',
  ge: '$gte',
  lt: '$lt',
  le: '$lte',
};

/** RE2 (FerretDB), PCRE (MongoDB) and JS all accept a backslash before these. */
const REGEX_SPECIAL = /[\\^$.|?*+()[\]{}\-/]/g;
const NUMERIC_STRING = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Where paths are resolved: the whole resource, or the elements of one multi-valued attribute. */
interface Scope {
  resolver: AttributeResolver;
  correlated: CorrelatedMatches;
  /** Prepended to paths before resolving, e.g. "emails." inside emails[...]. */
  pathPrefix: string;
  /** Stripped from resolved fields so they are relative to the $elemMatch element, e.g. "data.emails.". */
  fieldPrefix: string;
}

interface Target {
  path: string;
  info: AttributeInfo;
}

/**
 * Ids of the resources matching conditions the store resolves itself: correlated value paths, and
 * a Group's `members` conditions (answered from the members' documents, member-filters.ts).
 */
export type CorrelatedMatches = ReadonlyMap<FilterNode, readonly string[]>;

export function filterToMongo(node: FilterNode, resolver: AttributeResolver, correlated: CorrelatedMatches = new Map()): MongoQuery {
  return translate(node, { resolver, pathPrefix: '', fieldPrefix: '', correlated });
}

/** True when the value path's conditions must be met by one and the same element. */
export function needsCorrelation(node: ValuePathNode): boolean {
  return node.subAttribute !== undefined || containsAndOrNot(node.filter);
}

function containsAndOrNot(node: FilterNode): boolean {
  if (node.kind === 'and' || node.kind === 'not') return true;
  return node.kind === 'or' && node.operands.some(containsAndOrNot);
}

/** Every correlated value path in a filter, for the caller to resolve. */
export function correlatedValuePaths(node: FilterNode): ValuePathNode[] {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.operands.flatMap(correlatedValuePaths);
    case 'not':
      return correlatedValuePaths(node.operand);
    case 'valuePath':
      return needsCorrelation(node) ? [node] : [];
    default:
      return [];
  }
}

/**
 * A query matching at least every resource the value path matches, without correlation: each
 * condition met by some element. `not` cannot be widened that way, so it is dropped (widens further).
 */
export function valuePathSuperset(node: ValuePathNode, resolver: AttributeResolver): MongoQuery {
  const scope = dottedScope(node, { resolver, pathPrefix: '', fieldPrefix: '', correlated: new Map() });
  const conditions = [withoutNot(node.filter), ...(node.subAttribute ? [node.subAttribute] : [])].flatMap((part) => (part ? [translate(part, scope)] : []));
  return conditions.length === 0 ? { [lookup(node.path, scope.parent).info.field]: { $exists: true } } : { $and: conditions };
}

function withoutNot(node: FilterNode): FilterNode | undefined {
  if (node.kind === 'not') return undefined;
  if (node.kind === 'and' || node.kind === 'or') {
    const operands = node.operands.map(withoutNot);
    if (node.kind === 'or' && operands.some((operand) => operand === undefined)) return undefined;
    const kept = operands.filter((operand): operand is FilterNode => operand !== undefined);
    return kept.length === 0 ? undefined : kept.length === 1 ? kept[0] : { kind: node.kind, operands: kept };
  }
  return node;
}

/** Returns the Mongo field to sort on for a sortBy attribute (RFC 7644 §3.4.2.3). */
export function sortToMongo(sortBy: string, resolver: AttributeResolver): string {
  const path = typeof sortBy === 'string' ? sortBy.trim() : '';
  if (!isAttributePath(path)) throw new ScimError('invalidValue', `sortBy '${shorten(path)}' is not a valid attribute path`);
  const info = resolver.resolve(path);
  if (!info) throw new ScimError('invalidValue', `sortBy names the unknown attribute '${path}'`);
  if (info.type === 'complex') {
    throw new ScimError('invalidValue', `sortBy cannot sort on the complex attribute '${path}'; name a sub-attribute such as '${path}.value'`);
  }
  if (info.sortKeyField) return info.sortKeyField;
  return usesLowercaseCopy(info) ? info.lowercaseField : info.field;
}

function translate(node: FilterNode, scope: Scope): MongoQuery {
  const resolved = scope.correlated.get(node);
  if (resolved) return { _id: { $in: [...resolved] } };
  switch (node.kind) {
    case 'and':
      return { $and: node.operands.map((operand) => translate(operand, scope)) };
    case 'or':
      return withIdListsMerged(node.operands.map((operand) => translate(operand, scope)));
    case 'not':
      return { $nor: [translate(node.operand, scope)] };
    case 'present':
      return { [lookup(node.path, scope).info.field]: { $exists: true, $nin: [null, '', []] } };
    case 'compare':
      return compare(node, scope);
    case 'valuePath':
      return valuePath(node, scope);
  }
}

/** `{_id: {$in: ids}}` alone: what a resolved correlated value path translates to. */
function idList(query: MongoQuery): string[] | undefined {
  const condition = query['_id'];
  if (Object.keys(query).length !== 1 || typeof condition !== 'object' || condition === null) return undefined;
  const ids = (condition as Record<string, unknown>)['$in'];
  return Object.keys(condition).length === 1 && Array.isArray(ids) ? (ids as string[]) : undefined;
}

/**
 * The `$or` of branches, with every branch that is an `_id` list merged into one list: a filter of
 * many correlated value paths becomes one `_id` condition, which the engine answers from its `_id`
 * index, instead of one branch per path that it evaluates for every document.
 */
function withIdListsMerged(branches: MongoQuery[]): MongoQuery {
  const lists = branches.map(idList);
  if (lists.filter((list) => list !== undefined).length < 2) return { $or: branches };
  const merged: MongoQuery = { _id: { $in: [...new Set(lists.flatMap((list) => list ?? []))] } };
  const others = branches.filter((_, index) => lists[index] === undefined);
  return others.length === 0 ? merged : { $or: [merged, ...others] };
}

function valuePath(node: ValuePathNode, scope: Scope): MongoQuery {
  const parent = lookup(node.path, scope);
  if (parent.info.type !== 'complex' || !parent.info.multiValued) {
    throw invalid(`'${parent.path}[...]' is not allowed: '${parent.path}' is not a multi-valued complex attribute`);
  }
  if (needsCorrelation(node)) {
    const ids = scope.correlated.get(node);
    if (!ids) throw new Error(`the value path '${parent.path}[...]' must be resolved before translation`);
    return { _id: { $in: [...ids] } };
  }
  return translate(node.filter, dottedScope(node, scope));
}

/** Sub-attributes of a value path resolved to full dotted fields (e.g. data.emails.type). */
function dottedScope(node: ValuePathNode, scope: Scope): Scope & { parent: Scope } {
  return { ...scope, pathPrefix: `${scope.pathPrefix}${node.path}.`, parent: scope };
}

function lookup(path: string, scope: Scope): Target {
  return resolveFull(scope.pathPrefix + path, scope);
}

function resolveFull(path: string, scope: Scope): Target {
  const info = scope.resolver.resolve(path);
  if (!info) throw invalid(`Unknown attribute '${path}' in filter`);
  return { path, info: relativeTo(scope.fieldPrefix, path, info) };
}

function relativeTo(prefix: string, path: string, info: AttributeInfo): AttributeInfo {
  if (prefix === '') return info;
  if (!info.field.startsWith(prefix)) throw invalid(`'${path}' cannot be used inside a value filter`);
  const { lowercaseField, ...rest } = info;
  const relative: AttributeInfo = { ...rest, field: info.field.slice(prefix.length) };
  if (lowercaseField?.startsWith(prefix)) relative.lowercaseField = lowercaseField.slice(prefix.length);
  return relative;
}

function compare(node: CompareNode, scope: Scope): MongoQuery {
  const target = comparable(lookup(node.path, scope), scope);
  const { op, value } = node;
  if (value.kind === 'null') return compareNull(target, op);
  switch (target.info.type) {
    case 'boolean':
      return compareBoolean(target, op, value);
    case 'integer':
    case 'decimal':
      return compareOrdered(target, op, toNumber(target, value));
    case 'dateTime': {
      const date = toDate(target, value);
      return compareOrdered(target, op, target.info.dateAsText ? date.toISOString() : date);
    }
    default:
      return compareString(target, op, toText(target, value));
  }
}

/** RFC 7644 §3.4.2.2: a multi-valued complex attribute compared directly means its "value" sub-attribute. */
function comparable(target: Target, scope: Scope): Target {
  if (target.info.type !== 'complex') return target;
  const value = target.info.multiValued ? resolveFull(`${target.path}.value`, scope) : undefined;
  if (!value || value.info.type === 'complex') {
    throw invalid(`The complex attribute '${target.path}' cannot be compared with a value; compare one of its sub-attributes`);
  }
  return value;
}

function compareNull(target: Target, op: ComparisonOperator): MongoQuery {
  // In MongoDB `{ field: null }` matches both a missing field and an explicit null.
  if (op === 'eq') return { [target.info.field]: null };
  if (op === 'ne') return { [target.info.field]: { $ne: null } };
  throw invalid(`Operator '${op}' cannot be used with null on '${target.path}'; only eq and ne can`);
}

function compareBoolean(target: Target, op: ComparisonOperator, value: FilterValue): MongoQuery {
  if (op !== 'eq' && op !== 'ne') {
    throw invalid(`Operator '${op}' cannot be used with the boolean attribute '${target.path}'; only eq, ne and pr can`);
  }
  return condition(target.info.field, op, toBoolean(target, value));
}

function compareOrdered(target: Target, op: ComparisonOperator, operand: number | Date | string): MongoQuery {
  if (isSubstring(op)) {
    throw invalid(`Operator '${op}' cannot be used with the ${target.info.type} attribute '${target.path}'`);
  }
  return condition(target.info.field, op, operand);
}

function compareString(target: Target, op: ComparisonOperator, text: string): MongoQuery {
  const { info } = target;
  if (info.type === 'binary' && !isSubstring(op) && op !== 'eq' && op !== 'ne') {
    throw invalid(`Operator '${op}' cannot be used with the binary attribute '${target.path}'`);
  }
  if (info.sortKeyField && isOrdering(op)) return sortKeyRange(info.sortKeyField, op, info.caseExact ? text : text.toLowerCase());
  if (usesLowercaseCopy(info)) return exactStringTest(info.lowercaseField, op, text.toLowerCase());
  if (info.caseExact) return exactStringTest(info.field, op, text);
  return caseInsensitiveStringTest(info.field, op, text);
}

function exactStringTest(field: string, op: ComparisonOperator, text: string): MongoQuery {
  return isSubstring(op) ? { [field]: { $regex: substringPattern(op, text) } } : condition(field, op, text);
}

/**
 * Without a stored lower-cased copy, equality falls back to an anchored case-insensitive regex, which
 * cannot use an index. Limitation: gt/ge/lt/le then compare the raw value, i.e. case-sensitively.
 */
function caseInsensitiveStringTest(field: string, op: ComparisonOperator, text: string): MongoQuery {
  if (isSubstring(op)) return { [field]: { $regex: substringPattern(op, text), $options: 'i' } };
  const equal = { [field]: { $regex: `^${escapeRegex(text)}$`, $options: 'i' } };
  if (op === 'eq') return equal;
  if (op === 'ne') return { $nor: [equal] };
  return condition(field, op, text);
}

function condition(field: string, op: EqualityOrOrdering, operand: string | number | boolean | Date): MongoQuery {
  return { [field]: { [MONGO_OPERATOR[op]]: operand } };
}

function substringPattern(op: SubstringOperator, text: string): string {
  const escaped = escapeRegex(text);
  if (op === 'sw') return `^${escaped}`;
  if (op === 'ew') return `${escaped}$`;
  return escaped;
}

/** BSON stores regex patterns as C strings, so a NUL must be written as an escape, not raw. */
function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&').replace(/\0/g, '\\x00');
}

function isSubstring(op: ComparisonOperator): op is SubstringOperator {
  return op === 'co' || op === 'sw' || op === 'ew';
}

function isOrdering(op: ComparisonOperator): op is 'gt' | 'ge' | 'lt' | 'le' {
  return op === 'gt' || op === 'ge' || op === 'lt' || op === 'le';
}

/** Sort keys are "1" + value when present and "2" when absent; a range must stay among the present. */
function sortKeyRange(field: string, op: 'gt' | 'ge' | 'lt' | 'le', text: string): MongoQuery {
  const key = `1${text}`;
  if (op === 'gt' || op === 'ge') return { [field]: { [MONGO_OPERATOR[op]]: key, $lt: '2' } };
  return { [field]: { [MONGO_OPERATOR[op]]: key, $gte: '1' } };
}

function usesLowercaseCopy(info: AttributeInfo): info is AttributeInfo & { lowercaseField: string } {
  return isStringType(info.type) && !info.caseExact && info.lowercaseField !== undefined;
}

function isStringType(type: ScimType): boolean {
  return type === 'string' || type === 'reference' || type === 'binary';
}

/** Unquoted legacy values such as `externalId eq 00123` arrive as words; numbers keep their text. */
function toText(target: Target, value: FilterValue): string {
  if (value.kind === 'string') return value.value;
  if (value.kind === 'number') return value.text;
  throw invalid(`The ${target.info.type} attribute '${target.path}' must be compared with a string, not ${describeValue(value)}`);
}

/** Entra sends booleans as the strings "True"/"False". */
function toBoolean(target: Target, value: FilterValue): boolean {
  if (value.kind === 'boolean') return value.value;
  const lower = value.kind === 'string' ? value.value.toLowerCase() : '';
  if (lower === 'true' || lower === 'false') return lower === 'true';
  throw invalid(`The boolean attribute '${target.path}' must be compared with true or false, not ${describeValue(value)}`);
}

function toNumber(target: Target, value: FilterValue): number {
  if (value.kind === 'number') return value.value;
  const number = value.kind === 'string' && NUMERIC_STRING.test(value.value) ? Number(value.value) : NaN;
  if (Number.isFinite(number)) return number;
  throw invalid(`The ${target.info.type} attribute '${target.path}' must be compared with a number, not ${describeValue(value)}`);
}

function toDate(target: Target, value: FilterValue): Date {
  const date = value.kind === 'string' ? parseDateTime(value.value) : undefined;
  if (date) return date;
  throw invalid(
    `The dateTime attribute '${target.path}' must be compared with an RFC 3339 date-time such as "2026-01-31T12:00:00Z", not ${describeValue(value)}`,
  );
}

function describeValue(value: FilterValue): string {
  switch (value.kind) {
    case 'string':
      return JSON.stringify(shorten(value.value));
    case 'number':
      return value.text;
    case 'boolean':
      return String(value.value);
    case 'null':
      return 'null';
  }
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function invalid(detail: string): ScimError {
  return new ScimError('invalidFilter', detail);
}
