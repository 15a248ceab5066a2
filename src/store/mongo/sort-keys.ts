import type { AttributeSchema, ResourceTypeDefinition } from '../../scim/schema-registry.js';

/**
 * Sort keys for every single-valued string attribute (and the string sub-attributes of
 * single-valued complex ones): "1" + value, lower-cased unless caseExact; "2" when absent. One
 * plain field then sorts case-insensitively with absent values last ascending and first
 * descending, on MongoDB and FerretDB alike, without collation or aggregation.
 */
export const PRESENT = '1';
export const ABSENT = '2';

/** `$ref` is left out: engines reject field names starting with "$", and nobody sorts by a URI. */
export function isSortKeyed(attribute: AttributeSchema): boolean {
  return !attribute.multiValued && attribute.type === 'string' && !attribute.name.startsWith('$');
}

export function sortKeyOf(attribute: AttributeSchema, value: unknown): string {
  if (typeof value !== 'string' || value === '') return ABSENT;
  return PRESENT + (attribute.caseExact ? value : value.toLowerCase());
}

function keysFor(attributes: readonly AttributeSchema[], values: Record<string, unknown>): Record<string, unknown> {
  const keys: Record<string, unknown> = {};
  for (const attribute of attributes) {
    const value = values[attribute.name];
    if (isSortKeyed(attribute)) keys[attribute.name] = sortKeyOf(attribute, value);
    else if (attribute.type === 'complex' && !attribute.multiValued && attribute.subAttributes) {
      const nested = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
      keys[attribute.name] = keysFor(attribute.subAttributes, nested);
    }
  }
  return keys;
}

/** externalId is a common attribute (RFC 7643 §3.1), not in the schema's list, but sortable all the same. */
const EXTERNAL_ID: AttributeSchema = {
  name: 'externalId', type: 'string', multiValued: false, required: false, caseExact: true, mutability: 'readWrite', returned: 'default', uniqueness: 'none',
};

export function sortKeys(definition: ResourceTypeDefinition, data: Record<string, unknown>, ext: Record<string, unknown>): Record<string, unknown> {
  const extensions: Record<string, unknown> = {};
  for (const extension of definition.extensions.filter((candidate) => !candidate.readOnly)) {
    const values = ext[extension.storageKey];
    extensions[extension.storageKey] = keysFor(extension.attributes, typeof values === 'object' && values !== null ? (values as Record<string, unknown>) : {});
  }
  return { data: keysFor([...definition.attributes, EXTERNAL_ID], data), ext: extensions };
}

/**
 * The sort-key paths of the registered extensions' attributes, below `sk.ext` (and their values'
 * below `ext`): `<storageKey>.<attribute>` and `<storageKey>.<attribute>.<sub-attribute>`.
 */
export function extensionSortKeyPaths(definition: ResourceTypeDefinition): string[] {
  const paths = (attributes: readonly AttributeSchema[], prefix: string): string[] =>
    attributes.flatMap((attribute) => {
      if (isSortKeyed(attribute)) return [`${prefix}${attribute.name}`];
      if (attribute.type === 'complex' && !attribute.multiValued && attribute.subAttributes) return paths(attribute.subAttributes, `${prefix}${attribute.name}.`);
      return [];
    });
  return definition.extensions.filter((extension) => !extension.readOnly).flatMap((extension) => paths(extension.attributes, `${extension.storageKey}.`));
}
