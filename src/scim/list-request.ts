import { ScimError } from '../errors/scim-error.js';
import type { ListQuery } from '../store/contract.js';
import { queryFingerprint, type CursorCodec } from './cursor.js';
import { parseFilter } from './filter/parse.js';
import type { Limits } from './limits.js';
import { parseProjection, type Projection } from './projection.js';
import type { ResourceTypeDefinition } from './schema-registry.js';

export interface ListRequest {
  query: ListQuery;
  projection: Projection;
  /** Set for RFC 9865 cursor paging: identifies the query that cursors of this walk belong to. */
  cursorFingerprint?: string;
}

const PARAMETERS = ['filter', 'startIndex', 'count', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes', 'cursor'] as const;
type Parameter = (typeof PARAMETERS)[number];

/** Parameter names are matched case-insensitively: Microsoft's sample client sends `startindex`. */
function normaliseNames(raw: Record<string, unknown>): Partial<Record<Parameter, unknown>> {
  const out: Partial<Record<Parameter, unknown>> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = PARAMETERS.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    if (!name) continue;
    if (Array.isArray(value)) throw new ScimError('invalidValue', `"${name}" must be given once`);
    out[name] = value;
  }
  return out;
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^[+-]?\d{1,15}$/.test(value.trim())) return Number(value);
  throw new ScimError('invalidValue', `"${name}" must be an integer`);
}

function text(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ScimError('invalidValue', `"${name}" must be a string`);
  return value;
}

function descending(value: unknown): boolean {
  const order = text(value, 'sortOrder')?.toLowerCase();
  if (order === undefined || order === '' || order === 'ascending') return false;
  if (order === 'descending') return true;
  throw new ScimError('invalidValue', '"sortOrder" must be "ascending" or "descending"');
}

/**
 * RFC 7644 §3.4.2: startIndex below 1 means 1; count below 0 means 0 and above the advertised
 * maximum means the maximum; a missing count means the maximum.
 */
export function parseListRequest(definition: ResourceTypeDefinition, raw: Record<string, unknown>, limits: Limits, cursors?: CursorCodec): ListRequest {
  const params = normaliseNames(raw);
  const filterText = text(params.filter, 'filter');
  const startIndex = Math.max(1, integer(params.startIndex, 'startIndex') ?? 1);
  const count = Math.min(limits.maxResults, Math.max(0, integer(params.count, 'count') ?? limits.maxResults));
  const sortBy = text(params.sortBy, 'sortBy');
  const filter = filterText === undefined || filterText.trim() === '' ? undefined : parseFilter(filterText, { maxLength: limits.maxFilterLength, maxDepth: limits.maxFilterDepth });
  const request: ListRequest = {
    query: { filter, sortBy: sortBy === '' ? undefined : sortBy, descending: descending(params.sortOrder), startIndex, count },
    projection: parseProjection(definition, params.attributes, params.excludedAttributes),
  };
  if (params.cursor === undefined) return request;
  if (!cursors) throw new ScimError('invalidValue', 'Cursor paging is offered per resource type (/Users, /Groups and their .search), not here');
  return withCursor(definition, request, params, filterText, limits, cursors);
}

/**
 * RFC 9865: `cursor` present (empty for the first page) selects cursor paging. Mixing it with
 * startIndex is refused, and count must be a positive number of results.
 */
function withCursor(definition: ResourceTypeDefinition, request: ListRequest, params: Partial<Record<Parameter, unknown>>, filterText: string | undefined, limits: Limits, cursors: CursorCodec): ListRequest {
  const cursor = text(params.cursor, 'cursor') ?? '';
  if (params.startIndex !== undefined) throw new ScimError('invalidValue', 'Use either startIndex or cursor paging, not both');
  const requestedCount = integer(params.count, 'count');
  if (requestedCount !== undefined && requestedCount < 1) throw new ScimError('invalidCount', `With cursor paging, count must be between 1 and ${limits.maxResults}`);
  const { query } = request;
  const fingerprint = queryFingerprint([definition.name, filterText?.trim(), query.sortBy?.toLowerCase(), query.descending]);
  const keyset = cursor === '' ? null : cursors.decode(cursor, fingerprint);
  return { ...request, query: { ...query, keyset }, cursorFingerprint: fingerprint };
}
