import { findAttribute, type AttributeSchema } from '../schema-registry.js';

/** Small value helpers shared by the PATCH applier and the membership split. */

export type Json = Record<string, unknown>;

export function canonicalKeys(attribute: AttributeSchema, value: Json): Json {
  const subAttributes = attribute.subAttributes ?? [];
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [findAttribute(subAttributes, key)?.name ?? key, item]));
}

/** Entra's gallery checks that PATCH with null or "" empties an attribute. */
export function isClear(value: unknown): boolean {
  return value === null || value === '';
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
