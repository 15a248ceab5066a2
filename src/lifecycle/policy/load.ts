import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../../repository-root.js';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ScimError } from '../../errors/scim-error.js';
import { valuesEqual } from '../../scim/filter/evaluate.js';
import type { AttributeSchema } from '../../scim/schema-registry.js';
import { resolvePolicyAttribute } from './evaluate.js';
import type { Policy, PolicyRule, RoleDefinition, SodConflict } from './types.js';

/**
 * Loads the access policy at start-up: JSON syntax, then schemas/policy.schema.json, then what the
 * schema cannot express (granted roles exist, attribute paths name User attributes, unique rule
 * names, separation-of-duties conflicts that name at least two known members). Every problem is reported at once, each naming file, rule and JSON pointer, so that an
 * operator fixes the file in one pass rather than one restart per mistake.
 */

/** One line per problem, each starting with the file name. */
export class PolicyError extends Error {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    const lines = problems.map((problem) => `${source}: ${problem}`);
    super(lines.join('\n'));
    this.name = 'PolicyError';
    this.problems = lines;
  }
}

/** Resolved from the repository root so that a build output anywhere below it finds the same file. */
export const POLICY_SCHEMA_FILE = path.join(REPOSITORY_ROOT, 'schemas', 'policy.schema.json');
/** The shipped example (a fictional company's roles): for the quick start, tests and benchmarks, never a default. */
export const EXAMPLE_POLICY_FILE = path.join(REPOSITORY_ROOT, 'schemas', 'policy.example.json');

export function loadPolicy(file: string): Policy {
  return parsePolicy(readPolicyText(readText(file), file), file);
}

/** A policy's JSON text, read as a file's is (a byte-order mark allowed); a syntax error names line and column. */
export function readPolicyText(text: string, source: string): unknown {
  // Editors on Windows may save a byte-order mark, which JSON.parse rejects.
  return parseJson(text.replace(/^\uFEFF/, ''), source);
}

/**
 * The policy POLICY_FILE names, or without one the empty policy: no roles, no rules, so no role is
 * granted (entitlements the IdP sends are still granted directly). The shipped example
 * (schemas/policy.example.json) is only ever used when named: its roles are a fictional company's.
 */
export function loadConfiguredPolicy(file: string | undefined): Policy {
  return file === undefined ? parsePolicy({ roles: {}, rules: [] }, 'the empty policy') : loadPolicy(file);
}

/** For start-up lines: which policy a process runs with. */
export function describePolicy(file: string | undefined, policy: Policy): string {
  if (file === undefined) return 'POLICY_FILE is not set: running with the empty access policy (no roles granted; schemas/policy.example.json is an example)';
  return `access policy ${file}: ${Object.keys(policy.roles).length} roles, ${policy.rules.length} rules`;
}

export function parsePolicy(json: unknown, source: string): Policy {
  const problems = collectProblems(json);
  if (problems.length > 0) throw new PolicyError(source, problems.map((problem) => describeProblem(json, problem)));
  // Validated above: the schema and the semantic checks guarantee this shape.
  const file = json as PolicyFile;
  return {
    roles: structuredClone(file.roles),
    rules: structuredClone(file.rules),
    conflicts: structuredClone(file.conflicts ?? []),
    deactivation: { memberships: file.deactivation?.memberships ?? 'remove' },
    fingerprint: createHash('sha256').update(canonicalJson(json)).digest('hex'),
  };
}

interface PolicyFile {
  roles: Record<string, RoleDefinition>;
  rules: PolicyRule[];
  conflicts?: SodConflict[];
  deactivation?: { memberships: 'remove' | 'retain' };
}

interface Problem {
  pointer: string;
  message: string;
}

// ---- Reading and JSON syntax ----

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = errorCode(error) === 'ENOENT' ? 'the file does not exist' : String(error);
    throw new PolicyError(file, [`cannot read the policy file: ${reason}`]);
  }
}

function errorCode(error: unknown): unknown {
  return error instanceof Error && 'code' in error ? error.code : undefined;
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const offset = syntaxErrorOffset(text);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    const found = offset < text.length ? JSON.stringify(text.charAt(offset)) : 'end of file';
    throw new PolicyError(source, [`invalid JSON at line ${line}, column ${column} (offset ${offset}): unexpected ${found}`]);
  }
}

/**
 * V8 leaves the position out of some messages ("Unexpected token"), so find it: viable prefixes
 * (those some valid document starts with) are closed under shortening, and the error is at the end
 * of the longest one.
 */
function syntaxErrorOffset(text: string): number {
  if (isViablePrefix(text)) return text.length;
  let viable = 0;
  let broken = text.length;
  while (broken - viable > 1) {
    const middle = Math.floor((viable + broken) / 2);
    if (isViablePrefix(text.slice(0, middle))) viable = middle;
    else broken = middle;
  }
  return viable;
}

/** Parses, or fails only because the text stops early. */
function isViablePrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    return message.includes('Unexpected end of JSON input') || Number(/at position (\d+)/.exec(message)?.[1]) === prefix.length;
  }
}

// ---- Problems ----

function collectProblems(json: unknown): Problem[] {
  const schema = schemaProblems(json);
  const reported = new Set(schema.map((problem) => problem.pointer));
  // A value the schema already rejected would only be reported again, less clearly.
  const semantic = semanticProblems(json).filter((problem) => !reported.has(problem.pointer));
  // By pointer, numbers compared as numbers: each rule's problems together, rules in file order.
  return [...schema, ...semantic].sort((a, b) => a.pointer.localeCompare(b.pointer, 'en', { numeric: true }));
}

/** `rules[3] "sales-managers" /rules/3/when/all/1/attribute: ...`, `conflicts[0] "payroll" /conflicts/0/roles/1: ...` */
function describeProblem(json: unknown, problem: Problem): string {
  const [, list, index] = /^\/(rules|conflicts)\/(\d+)(?:\/|$)/.exec(problem.pointer) ?? [];
  const item = list === 'rules' || list === 'conflicts' ? itemLabel(json, list, Number(index)) : undefined;
  return `${item ? `${item} ` : ''}${problem.pointer || '(top level)'}: ${problem.message}`;
}

function itemLabel(json: unknown, list: 'rules' | 'conflicts', index: number): string {
  const items = isRecord(json) && Array.isArray(json[list]) ? (json[list] as unknown[]) : [];
  const item = items[index];
  const name = isRecord(item) && typeof item.name === 'string' ? ` ${JSON.stringify(item.name)}` : '';
  return `${list}[${index}]${name}`;
}

// ---- JSON Schema ----

let validator: ValidateFunction | undefined;

/** Compiled on first use, so that importing this module reads no file. */
function schemaValidator(): ValidateFunction {
  if (validator) return validator;
  // verbose: errors carry the failing data and schema, which the messages quote.
  const ajv = new Ajv2020({ allErrors: true, verbose: true, allowUnionTypes: true });
  validator = ajv.compile(JSON.parse(readFileSync(POLICY_SCHEMA_FILE, 'utf8')) as object);
  return validator;
}

function schemaProblems(json: unknown): Problem[] {
  const validate = schemaValidator();
  if (validate(json)) return [];
  const errors = validate.errors ?? [];
  const mistyped = new Set(errors.filter((error) => error.keyword === 'type').map((error) => error.instancePath));
  return errors.filter((error) => !isNoise(error, mistyped)).map(describeSchemaError);
}

/**
 * Left out: the failures of each oneOf branch (the oneOf error says it better), the "if"/"propertyNames"
 * wrappers around errors reported on their own, and anything else about a value of the wrong type.
 */
function isNoise(error: ErrorObject, mistyped: ReadonlySet<string>): boolean {
  if (/\/oneOf\/\d+\//.test(error.schemaPath)) return true;
  if (error.keyword === 'if' || error.keyword === 'propertyNames') return true;
  return error.keyword !== 'type' && mistyped.has(error.instancePath);
}

function describeSchemaError(error: ErrorObject): Problem {
  const params: Record<string, unknown> = error.params;
  const at = (key: unknown): string => `${error.instancePath}/${escapePointer(String(key))}`;
  switch (error.keyword) {
    case 'required':
      return { pointer: at(params.missingProperty), message: 'is required but missing' };
    case 'additionalProperties': {
      const allowed = Object.keys(error.parentSchema?.properties ?? {});
      return { pointer: at(params.additionalProperty), message: `is not allowed here; allowed: ${quoteList(allowed)}` };
    }
    case 'dependentRequired':
      return { pointer: at(params.property), message: `can only be used together with ${JSON.stringify(params.missingProperty)}` };
    case 'pattern':
      return describePattern(error);
    case 'uniqueItems':
      return describeDuplicate(error, Number(params.i), Number(params.j));
    default:
      return { pointer: error.instancePath, message: describeValueError(error, params) };
  }
}

function describeValueError(error: ErrorObject, params: Record<string, unknown>): string {
  switch (error.keyword) {
    case 'type':
      return `must be ${listOf(String(params.type).split(',').map(withArticle), 'or')}, not ${withArticle(jsonType(error.data))}`;
    case 'minItems':
    case 'minLength':
      return 'must not be empty';
    case 'enum':
      return `must be one of ${quoteList(params.allowedValues)}, not ${JSON.stringify(error.data)}`;
    case 'oneOf':
      return describeOneOf(error, params);
    default:
      return error.message ?? `fails the schema keyword "${error.keyword}"`;
  }
}

/** The schema's oneOf lists are of the form [{ "required": [key] }, ...]: exactly one key of several. */
function describeOneOf(error: ErrorObject, params: Record<string, unknown>): string {
  const branches = error.schema as { required?: string[] }[];
  const keys = branches.map((branch) => JSON.stringify(branch.required?.[0]));
  // passingSchemas is null when no branch matched, else the indices of those that did.
  const passing = Array.isArray(params.passingSchemas) ? (params.passingSchemas as unknown[]).map((index) => keys[Number(index)] ?? '?') : [];
  return `must have exactly one of ${keys.join(', ')}; it has ${passing.length > 0 ? listOf(passing, 'and') : 'none'}`;
}

/** Patterns are unreadable; the schema describes each patterned definition in words. */
function describePattern(error: ErrorObject): Problem {
  const what = String(error.parentSchema?.description ?? `a value matching ${String(error.params.pattern)}`);
  const name = error.propertyName;
  if (name !== undefined) {
    return { pointer: `${error.instancePath}/${escapePointer(name)}`, message: `the name ${JSON.stringify(name)} is not ${what}` };
  }
  return { pointer: error.instancePath, message: `${JSON.stringify(error.data)} is not ${what}` };
}

/** Points at the later of the two equal items, whichever of i and j ajv made it. */
function describeDuplicate(error: ErrorObject, i: number, j: number): Problem {
  const [first, later] = [Math.min(i, j), Math.max(i, j)];
  const item: unknown = Array.isArray(error.data) ? (error.data as unknown[])[later] : undefined;
  return { pointer: `${error.instancePath}/${later}`, message: `repeats ${JSON.stringify(item)}, already at index ${first}` };
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function withArticle(type: string): string {
  return type === 'null' ? 'null' : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function quoteList(values: unknown): string {
  return Array.isArray(values) ? (values as unknown[]).map((value) => JSON.stringify(value)).join(', ') : '';
}

/** "a, b or c" */
function listOf(items: readonly string[], conjunction: 'and' | 'or'): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1) ?? ''}` : (items[0] ?? '');
}

/** RFC 6901. */
function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

// ---- Semantic checks (on possibly schema-invalid input, so every access is guarded) ----

function semanticProblems(json: unknown): Problem[] {
  if (!isRecord(json)) return [];
  const roles = isRecord(json.roles) ? json.roles : undefined;
  const rules = Array.isArray(json.rules) ? (json.rules as unknown[]) : [];
  const conflicts = Array.isArray(json.conflicts) ? (json.conflicts as unknown[]) : [];
  return [
    ...duplicateNames(rules, 'rules', 'rule'),
    ...rules.flatMap((rule, index) => ruleProblems(rule, `/rules/${index}`, roles)),
    ...duplicateNames(conflicts, 'conflicts', 'conflict'),
    ...conflicts.flatMap((conflict, index) => conflictProblems(conflict, `/conflicts/${index}`, roles)),
  ];
}

/** Rule and conflict names explain grants and conflicts in the access review and events, so two that differ only in case would mislead. */
function duplicateNames(items: unknown[], list: 'rules' | 'conflicts', noun: string): Problem[] {
  const firstIndex = new Map<string, number>();
  return items.flatMap((item, index): Problem[] => {
    if (!isRecord(item) || typeof item.name !== 'string') return [];
    const key = item.name.toLowerCase();
    const earlier = firstIndex.get(key);
    if (earlier === undefined) firstIndex.set(key, index);
    const message = `repeats the name of ${list}[${String(earlier)}]; ${noun} names must be unique (ignoring case)`;
    return earlier === undefined ? [] : [{ pointer: `/${list}/${index}/name`, message }];
  });
}

const stringsOf = (value: unknown): string[] => (Array.isArray(value) ? (value as unknown[]).filter((item): item is string => typeof item === 'string') : []);

/**
 * A conflict names at least two members, each a defined role or a permission some role grants (a
 * typo would otherwise never match, and the conflict would silently protect nothing), and no role
 * alone holds them all (that role would be a conflict with itself).
 */
function conflictProblems(conflict: unknown, pointer: string, roles: Record<string, unknown> | undefined): Problem[] {
  if (!isRecord(conflict) || !roles) return [];
  const permissionsOf = (role: string) => stringsOf(isRecord(roles[role]) ? roles[role].permissions : undefined);
  const granted = new Set(Object.keys(roles).flatMap(permissionsOf));
  const [memberRoles, memberPermissions] = [stringsOf(conflict.roles), stringsOf(conflict.permissions)];
  const unknown: Problem[] = [
    ...memberRoles.flatMap((role, index) => (Object.hasOwn(roles, role) ? [] : [{ pointer: `${pointer}/roles/${index}`, message: `names the role ${JSON.stringify(role)}, which is not defined under "roles"` }])),
    ...memberPermissions.flatMap((permission, index) => (granted.has(permission) ? [] : [{ pointer: `${pointer}/permissions/${index}`, message: `names the permission ${JSON.stringify(permission)}, which no role grants` }])),
  ];
  const members = [...memberRoles, ...memberPermissions];
  // A repeated member is the schema's to report; counting would only say it again, less clearly.
  if (new Set(members).size !== members.length) return unknown;
  const count = members.length;
  if (count < 2) return [...unknown, { pointer, message: `names ${count === 0 ? 'no member' : 'one member'}: a conflict needs at least two (under "roles", "permissions" or both)` }];
  if (unknown.length > 0) return unknown;
  const alone = Object.keys(roles).find((role) => memberRoles.every((member) => member === role) && memberPermissions.every((permission) => permissionsOf(role).includes(permission)));
  return alone === undefined ? [] : [{ pointer, message: `the role ${JSON.stringify(alone)} alone holds every member: a conflict names what one person must not hold together` }];
}

function ruleProblems(rule: unknown, pointer: string, roles: Record<string, unknown> | undefined): Problem[] {
  if (!isRecord(rule)) return [];
  return [...grantProblems(rule.grant, `${pointer}/grant`, roles), ...conditionProblems(rule.when, `${pointer}/when`)];
}

/** Without a usable "roles" object every grant would be reported; the schema error about "roles" suffices. */
function grantProblems(grant: unknown, pointer: string, roles: Record<string, unknown> | undefined): Problem[] {
  if (!roles || !Array.isArray(grant)) return [];
  return (grant as unknown[]).flatMap((role, index) =>
    typeof role === 'string' && !Object.hasOwn(roles, role)
      ? [{ pointer: `${pointer}/${index}`, message: `grants the role ${JSON.stringify(role)}, which is not defined under "roles"` }]
      : [],
  );
}

function conditionProblems(condition: unknown, pointer: string): Problem[] {
  if (!isRecord(condition)) return [];
  const nested = (['all', 'any'] as const).flatMap((key) => {
    const operands = condition[key];
    if (!Array.isArray(operands)) return [];
    return (operands as unknown[]).flatMap((operand, index) => conditionProblems(operand, `${pointer}/${key}/${index}`));
  });
  return [...nested, ...conditionProblems(condition.not, `${pointer}/not`), ...attributeProblems(condition, pointer)];
}

const TEXT_TYPES: ReadonlySet<string> = new Set(['string', 'reference', 'binary']);

function attributeProblems(condition: Record<string, unknown>, pointer: string): Problem[] {
  const path = condition.attribute;
  if (typeof path !== 'string') return [];
  const quoted = JSON.stringify(path);
  const at = `${pointer}/attribute`;
  let target: ReturnType<typeof resolvePolicyAttribute>;
  try {
    target = resolvePolicyAttribute(path);
  } catch (error) {
    // A bare name that several schema extensions define.
    if (error instanceof ScimError) return [{ pointer: at, message: error.message }];
    throw error;
  }
  if (!target) {
    const hint = 'use a core name ("title", "name.familyName"), an extension name ("department", "manager.value") or a full URN path';
    return [{ pointer: at, message: `${quoted} is not a User attribute; ${hint}` }];
  }
  // "present" can test anything, including a whole complex or multi-valued attribute.
  if (condition.present !== undefined) return [];
  const { attribute, subAttribute } = target;
  if (attribute.multiValued) return [{ pointer: at, message: `${quoted} is multi-valued: only "present" can test it` }];
  if (!subAttribute && attribute.subAttributes) {
    const example = JSON.stringify(`${path}.${attribute.subAttributes[0]?.name ?? 'value'}`);
    return [{ pointer: at, message: `${quoted} is a complex attribute: name one of its sub-attributes, e.g. ${example}` }];
  }
  return operandProblems(condition, pointer, path, subAttribute ?? attribute);
}

/** Operands that could never match are mistakes: "equals": "yes" on a boolean, "startsWith" on a number. */
function operandProblems(condition: Record<string, unknown>, pointer: string, path: string, schema: AttributeSchema): Problem[] {
  if (condition.startsWith !== undefined && !TEXT_TYPES.has(schema.type)) {
    return [{ pointer: `${pointer}/startsWith`, message: `only applies to text, but ${JSON.stringify(path)} is a ${schema.type} attribute` }];
  }
  const operands: [string, unknown][] = Array.isArray(condition.in)
    ? (condition.in as unknown[]).map((value, index) => [`${pointer}/in/${index}`, value])
    : [[`${pointer}/equals`, condition.equals]];
  // valuesEqual(x, x) is false exactly when x cannot be read as a value of the attribute's type.
  return operands
    .filter(([, value]) => value !== undefined && !valuesEqual(schema, value, value))
    .map(([at, value]) => ({ pointer: at, message: `${JSON.stringify(value)} can never equal the ${schema.type} attribute ${JSON.stringify(path)}` }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted at every level, so that reformatting the file keeps its fingerprint. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${(value as unknown[]).map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const entries = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
