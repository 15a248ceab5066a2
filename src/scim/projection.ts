import { ScimError } from '../errors/scim-error.js';
import { extensionDefining, type ResourceTypeDefinition } from './schema-registry.js';
import type { ScimResource } from './representation.js';

/**
 * attributes / excludedAttributes (RFC 7644 §3.4.2.5 and §3.9). Paths are case-insensitive and
 * may be URN-prefixed; `schemas` and `id` (returned "always") survive either list.
 */
export interface Projection {
  mode: 'all' | 'include' | 'exclude';
  /** Lower-cased canonical paths: "username", "name.givenname", "<urn>", "<urn>:department". */
  paths: string[];
}

const ALWAYS = new Set(['schemas', 'id']);

function parseList(value: unknown, parameter: string): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'string') throw new ScimError('invalidValue', `"${parameter}" must be a comma-separated list of attribute paths`);
  return value.split(',').map((path) => path.trim().toLowerCase()).filter((path) => path.length > 0);
}

/**
 * Expresses a core-URN-prefixed path as a plain one and an unqualified extension attribute
 * ("manager") as URN-prefixed, as the representation nests it, so every spelling compares equal.
 */
function canonical(definition: ResourceTypeDefinition, path: string): string {
  const core = `${definition.schema.toLowerCase()}:`;
  if (path.startsWith(core)) return path.slice(core.length);
  if (path.includes(':')) return path;
  const extension = extensionDefining(definition, path.split('.')[0] ?? '');
  return extension ? `${extension.urn.toLowerCase()}:${path}` : path;
}

export function parseProjection(definition: ResourceTypeDefinition, attributes: unknown, excludedAttributes: unknown): Projection {
  const include = parseList(attributes, 'attributes').map((path) => canonical(definition, path));
  const exclude = parseList(excludedAttributes, 'excludedAttributes').map((path) => canonical(definition, path));
  if (include.length > 0) return { mode: 'include', paths: include };
  if (exclude.length > 0) return { mode: 'exclude', paths: exclude };
  return { mode: 'all', paths: [] };
}

/** Whether any part of `name` (a top-level attribute) is still wanted: decides what to load. */
export function wants(projection: Projection, name: string): boolean {
  const lower = name.toLowerCase();
  if (projection.mode === 'all') return true;
  if (projection.mode === 'exclude') return !projection.paths.includes(lower);
  return projection.paths.some((path) => path === lower || path.startsWith(`${lower}.`));
}

function projectObject(value: Record<string, unknown>, paths: string[], mode: 'include' | 'exclude', prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const path = `${prefix}${key.toLowerCase()}`;
    const exact = paths.includes(path);
    const nested = paths.filter((candidate) => candidate.startsWith(`${path}.`) || candidate.startsWith(`${path}:`));
    if (mode === 'include') {
      if (exact) out[key] = item;
      else if (nested.length > 0) out[key] = projectNested(item, paths, mode, path, separatorAfter(prefix, path));
    } else if (!exact) {
      out[key] = nested.length > 0 ? projectNested(item, paths, mode, path, separatorAfter(prefix, path)) : item;
    }
  }
  return out;
}

/** Inside a top-level extension object, attributes follow the URN after ':'; elsewhere after '.'. */
function separatorAfter(prefix: string, path: string): ':' | '.' {
  return prefix === '' && path.startsWith('urn:') ? ':' : '.';
}

function projectNested(item: unknown, paths: string[], mode: 'include' | 'exclude', path: string, separator: ':' | '.'): unknown {
  const prefix = `${path}${separator}`;
  if (Array.isArray(item)) return item.map((element) => projectNested(element, paths, mode, path, separator));
  if (typeof item === 'object' && item !== null) return projectObject(item as Record<string, unknown>, paths, mode, prefix);
  return item;
}

export function applyProjection(definition: ResourceTypeDefinition, resource: ScimResource, projection: Projection): ScimResource {
  if (projection.mode === 'all') return resource;
  const projected = projectObject(resource, projection.paths, projection.mode, '');
  for (const key of ALWAYS) if (resource[key] !== undefined) projected[key] = resource[key];
  return withSchemasOfPresentExtensions(definition, projected);
}

/** An extension dropped by the projection must not stay listed in `schemas`. */
function withSchemasOfPresentExtensions(definition: ResourceTypeDefinition, resource: ScimResource): ScimResource {
  const present = definition.extensions.filter((extension) => resource[extension.urn] !== undefined).map((extension) => extension.urn);
  return { ...resource, schemas: [definition.schema, ...present] };
}

