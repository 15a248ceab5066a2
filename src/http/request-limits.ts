import type { NextFunction, Request, Response } from 'express';
import { ScimError } from '../errors/scim-error.js';
import type { Limits } from '../scim/limits.js';
import type { ResourceEndpoint } from './endpoints/endpoint.js';

type Json = Record<string, unknown>;

const PATH_PARAMETERS = new Set(['attributes', 'excludedattributes', 'sortby']);
/** `members`, `members[…]`, `members.value` or the same with the Group schema URN in front. */
const MEMBERS_PATH = /^(?:urn:ietf:params:scim:schemas:core:2\.0:group:)?members(?:$|[[.])/i;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkPathLength(path: string, limits: Limits, where: string): void {
  if (path.length > limits.maxAttributePathLength) {
    throw new ScimError('invalidPath', `${where}: an attribute path may be at most ${limits.maxAttributePathLength} characters long`);
  }
}

/** attributes, excludedAttributes and sortBy, from a query string or a /.search body. */
export function checkListParameterPaths(parameters: Json, limits: Limits): void {
  for (const [key, value] of Object.entries(parameters)) {
    if (!PATH_PARAMETERS.has(key.toLowerCase()) || typeof value !== 'string') continue;
    for (const path of value.split(',')) checkPathLength(path.trim(), limits, key);
  }
}

export function queryPathLimits(limits: Limits) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    checkListParameterPaths(req.query as Json, limits);
    next();
  };
}

function memberValues(value: unknown): number {
  return Array.isArray(value) ? value.length : value === undefined ? 0 : 1;
}

/** The member values one operation touches: with a members path, or path-less with a `members` key. */
function membersTouched(path: unknown, value: unknown): number {
  if (typeof path === 'string' && path.trim() !== '') return MEMBERS_PATH.test(path.trim()) ? Math.max(1, memberValues(value)) : 0;
  if (!isObject(value)) return 0;
  return Object.entries(value).reduce((sum, [key, item]) => sum + (MEMBERS_PATH.test(key) ? memberValues(item) : 0), 0);
}

function memberOf(object: Json, name: string): unknown {
  return Object.entries(object).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * Size limits of a PATCH, checked before any work: the operation count (400 tooMany, as before),
 * path lengths (400 invalidPath) and the member values touched by the whole request (413, like a
 * bulk request over maxOperations: the request is too large, and the client should split it).
 * Malformed envelopes pass through to the PATCH parser, which reports them.
 */
export function checkPatchLimits(body: unknown, limits: Limits): void {
  if (!isObject(body)) return;
  const operations = memberOf(body, 'operations');
  if (!Array.isArray(operations)) return;
  if (operations.length > limits.maxPatchOperations) {
    throw new ScimError('tooMany', `A PATCH may carry at most ${limits.maxPatchOperations} operations; this one has ${operations.length}`);
  }
  let members = 0;
  operations.forEach((operation: unknown, index) => {
    if (!isObject(operation)) return;
    const path = memberOf(operation, 'path');
    const value = memberOf(operation, 'value');
    const where = `Operations[${index}]`;
    if (typeof path === 'string') checkPathLength(path, limits, where);
    if (isObject(value) && (typeof path !== 'string' || path.trim() === '')) for (const key of Object.keys(value)) checkPathLength(key, limits, where);
    members += membersTouched(path, value);
  });
  if (members > limits.maxPatchMembers) {
    throw new ScimError('payloadTooLarge', `A PATCH may add, replace or remove at most ${limits.maxPatchMembers} members; this one has ${members}`);
  }
}

/** The endpoint with PATCH size limits in front, for single requests and bulk operations alike. */
export function withPatchLimits(endpoint: ResourceEndpoint, limits: Limits): ResourceEndpoint {
  return {
    ...endpoint,
    patch: async (ctx, id, body, version, baseUrl) => {
      checkPatchLimits(body, limits);
      return endpoint.patch(ctx, id, body, version, baseUrl);
    },
  };
}
