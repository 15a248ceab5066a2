import { ScimError } from '../../errors/scim-error.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchOpName = 'add' | 'remove' | 'replace';

/** One validated entry of a PatchOp's "Operations" (RFC 7644 §3.5.2). */
export interface PatchOperation {
  op: PatchOpName;
  /** Absent when the client sent none, null or a blank string: the target is then the resource itself. */
  path?: string;
  /** Always present for add/replace, where null and "" mean "clear the target"; optional for remove. */
  value?: unknown;
}

type Json = Record<string, unknown>;

const OP_NAMES: readonly PatchOpName[] = ['add', 'remove', 'replace'];

/**
 * Checks the PatchOp envelope and each operation's shape; paths and values are checked when applied.
 * Size limits are the HTTP layer's (src/http/request-limits.ts), from configuration.
 */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw new ScimError('invalidSyntax', 'The PATCH body must be a JSON object');
  requirePatchSchema(memberOf(body, 'schemas'));
  const operations = memberOf(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimError('invalidSyntax', '"Operations" must be a non-empty array');
  }
  return operations.map(parseOperation);
}

function requirePatchSchema(schemas: unknown): void {
  const expected = PATCH_OP_SCHEMA.toLowerCase();
  const named = Array.isArray(schemas) && schemas.some((urn) => typeof urn === 'string' && urn.toLowerCase() === expected);
  if (!named) throw new ScimError('invalidSyntax', `"schemas" must contain ${PATCH_OP_SCHEMA}`);
}

function parseOperation(raw: unknown, index: number): PatchOperation {
  const where = `Operations[${index}]`;
  if (!isObject(raw)) throw new ScimError('invalidSyntax', `${where} must be a JSON object`);
  const op = parseOpName(memberOf(raw, 'op'), where);
  const path = parsePathMember(memberOf(raw, 'path'), where);
  const value = memberOf(raw, 'value');
  if (op === 'remove' && path === undefined) throw new ScimError('noTarget', `${where}: "remove" requires a "path"`);
  if (op !== 'remove' && value === undefined) throw new ScimError('invalidSyntax', `${where}: "${op}" requires a "value"`);
  const operation: PatchOperation = { op };
  if (path !== undefined) operation.path = path;
  if (value !== undefined) operation.value = value;
  return operation;
}

/** Entra's default mode capitalises ops ("Replace"). */
function parseOpName(raw: unknown, where: string): PatchOpName {
  const op = OP_NAMES.find((name) => typeof raw === 'string' && raw.toLowerCase() === name);
  if (!op) throw new ScimError('invalidSyntax', `${where}: "op" must be "add", "remove" or "replace"`);
  return op;
}

function parsePathMember(raw: unknown, where: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw new ScimError('invalidPath', `${where}: "path" must be a string`);
  return raw.trim() === '' ? undefined : raw;
}

/** Member names are matched case-insensitively (Entra and others vary "Operations"/"operations"). */
function memberOf(object: Json, name: string): unknown {
  const lower = name.toLowerCase();
  return Object.entries(object).find(([key]) => key.toLowerCase() === lower)?.[1];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
