import { ScimError } from '../errors/scim-error.js';
import type { Limits } from './limits.js';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface BulkOperation {
  method: BulkMethod;
  path: string;
  bulkId: string | undefined;
  /** An ETag the client expects, as If-Match would carry it. */
  version: string | undefined;
  data: unknown;
}

export interface BulkRequest {
  failOnErrors: number | undefined;
  operations: BulkOperation[];
}

const METHODS: readonly BulkMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

function optionalString(value: unknown, name: string, index: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new ScimError('invalidSyntax', `Operations[${index}].${name} must be a non-empty string`);
  return value;
}

function parseOperation(raw: unknown, index: number): BulkOperation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ScimError('invalidSyntax', `Operations[${index}] must be an object`);
  const op = raw as Record<string, unknown>;
  const method = typeof op['method'] === 'string' ? op['method'].toUpperCase() : '';
  if (!METHODS.includes(method as BulkMethod)) throw new ScimError('invalidSyntax', `Operations[${index}].method must be POST, PUT, PATCH or DELETE`);
  const path = optionalString(op['path'], 'path', index);
  if (path === undefined) throw new ScimError('invalidSyntax', `Operations[${index}].path is required`);
  const bulkId = optionalString(op['bulkId'], 'bulkId', index);
  if (method === 'POST' && bulkId === undefined) throw new ScimError('invalidSyntax', `Operations[${index}]: a POST needs a bulkId`);
  if (method !== 'DELETE' && op['data'] === undefined) throw new ScimError('invalidSyntax', `Operations[${index}]: ${method} needs data`);
  return { method: method as BulkMethod, path, bulkId, version: optionalString(op['version'], 'version', index), data: op['data'] };
}

/** RFC 7644 §3.7: validates the envelope; each operation's own content is validated when it runs. */
export function parseBulkRequest(body: unknown, limits: Pick<Limits, 'maxBulkOperations'>): BulkRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ScimError('invalidSyntax', 'A bulk request must be a JSON object');
  const request = body as Record<string, unknown>;
  const schemas = request['schemas'];
  if (!Array.isArray(schemas) || !schemas.includes(BULK_REQUEST_SCHEMA)) throw new ScimError('invalidSyntax', `"schemas" must contain ${BULK_REQUEST_SCHEMA}`);
  const operations = request['Operations'] ?? request['operations'];
  if (!Array.isArray(operations) || operations.length === 0) throw new ScimError('invalidSyntax', '"Operations" must be a non-empty array');
  if (operations.length > limits.maxBulkOperations) {
    throw new ScimError('payloadTooLarge', `A bulk request may carry at most ${limits.maxBulkOperations} operations`);
  }
  const failOnErrors = request['failOnErrors'];
  if (failOnErrors !== undefined && !(Number.isInteger(failOnErrors) && (failOnErrors as number) > 0)) {
    throw new ScimError('invalidSyntax', '"failOnErrors" must be a positive integer');
  }
  const parsed = operations.map(parseOperation);
  const bulkIds = parsed.flatMap((operation) => (operation.bulkId ? [operation.bulkId] : []));
  if (new Set(bulkIds).size !== bulkIds.length) throw new ScimError('invalidSyntax', 'bulkId values must be unique within a request');
  return { failOnErrors: failOnErrors as number | undefined, operations: parsed };
}

const REFERENCE = /^bulkId:(.+)$/;

/** The bulkIds an operation refers to, in its path or anywhere in its data. */
export function referencedBulkIds(operation: BulkOperation): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      const match = REFERENCE.exec(value);
      if (match?.[1]) found.add(match[1]);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  visit(operation.data);
  for (const segment of operation.path.split('/')) visit(segment);
  return [...found];
}

/** Replaces every `bulkId:<id>` (whole string values and path segments) with the created resource's id. */
export function resolveBulkIds(operation: BulkOperation, ids: ReadonlyMap<string, string>): BulkOperation {
  const replace = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const match = REFERENCE.exec(value);
      return match?.[1] && ids.has(match[1]) ? ids.get(match[1]) : value;
    }
    if (Array.isArray(value)) return value.map(replace);
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replace(item)]));
    return value;
  };
  const path = operation.path.split('/').map((segment) => replace(segment) as string).join('/');
  return { ...operation, path, data: replace(operation.data) };
}
