import type { AttributeInfo, AttributeResolver } from '../../scim/filter/resolver.js';
import { extensionDefining, findAttribute, type AttributeSchema, type ResourceTypeDefinition } from '../../scim/schema-registry.js';
import { isSortKeyed } from './sort-keys.js';

/** Attributes that are not in `data`: common attributes (RFC 7643 §3.1) and derived ones. */
function specialAttribute(definition: ResourceTypeDefinition, path: string): AttributeInfo | undefined {
  switch (path.toLowerCase()) {
    case 'id':
      return { field: '_id', type: 'string', caseExact: true, multiValued: false };
    case 'externalid':
      return { field: 'data.externalId', type: 'string', caseExact: true, multiValued: false, sortKeyField: 'sk.data.externalId' };
    case 'meta.created':
      return { field: 'created', type: 'dateTime', caseExact: true, multiValued: false };
    case 'meta.lastmodified':
      return { field: 'lastModified', type: 'dateTime', caseExact: true, multiValued: false };
    case 'groups':
    case 'groups.value':
      return definition.name === 'User' ? { field: 'groupIds', type: 'string', caseExact: true, multiValued: true } : undefined;
    default:
      return undefined;
  }
}

/** Client-provisioned values (`data`, `ext`) are stored as validated, dateTimes as text; derived ones (lifecycle) as BSON dates. */
function info(field: string, attribute: AttributeSchema, lowercaseField?: string, keyed = isSortKeyed(attribute), asValidated = true): AttributeInfo {
  return {
    field,
    type: attribute.type,
    caseExact: attribute.caseExact,
    multiValued: attribute.multiValued,
    ...(lowercaseField ? { lowercaseField } : {}),
    ...(keyed ? { sortKeyField: `sk.${field}` } : {}),
    ...(asValidated && attribute.type === 'dateTime' ? { dateAsText: true } : {}),
  };
}

/** Members and groups are derived from memberships, not stored in `data`: they resolve only via specialAttribute. */
const DERIVED = new Set(['members', 'groups']);

/**
 * Maps SCIM attribute paths (case-insensitive, optionally URN-prefixed) to stored fields, so the
 * filter translator never sees storage details and user input never becomes a field name.
 */
export function createAttributeResolver(definition: ResourceTypeDefinition, nameAttribute: string): AttributeResolver {
  /** `sortKeyed` is false for server-derived extensions, which have neither sort keys nor text dates. */
  function resolveIn(attributes: readonly AttributeSchema[], base: string, path: string, isCore: boolean, sortKeyed = true): AttributeInfo | undefined {
    const [name, sub, ...rest] = path.split('.');
    if (!name || rest.length > 0) return undefined;
    const attribute = findAttribute(attributes, name);
    if (!attribute || (isCore && DERIVED.has(attribute.name))) return undefined;
    const field = `${base}.${attribute.name}`;
    if (sub === undefined) {
      const lowercase = isCore && attribute.name === nameAttribute ? 'nameLc' : undefined;
      return info(field, attribute, lowercase, sortKeyed && isSortKeyed(attribute), sortKeyed);
    }
    const subAttribute = attribute.subAttributes && findAttribute(attribute.subAttributes, sub);
    if (!subAttribute) return undefined;
    const keyed = sortKeyed && !attribute.multiValued && isSortKeyed(subAttribute);
    return { ...info(`${field}.${subAttribute.name}`, subAttribute, undefined, keyed, sortKeyed), multiValued: attribute.multiValued || subAttribute.multiValued };
  }

  function resolve(path: string): AttributeInfo | undefined {
    const lower = path.toLowerCase();
    const coreUrn = `${definition.schema.toLowerCase()}:`;
    if (lower.startsWith(coreUrn)) return resolve(path.slice(coreUrn.length));
    for (const extension of definition.extensions) {
      const urn = `${extension.urn.toLowerCase()}:`;
      if (!lower.startsWith(urn)) continue;
      const base = extension.readOnly?.storagePath ?? `ext.${extension.storageKey}`;
      return resolveIn(extension.attributes, base, path.slice(urn.length), false, !extension.readOnly);
    }
    const special = specialAttribute(definition, path);
    if (special) return special;
    const owner = lower.includes(':') ? undefined : extensionDefining(definition, path.split('.')[0] ?? '');
    return owner ? resolve(`${owner.urn}:${path}`) : resolveIn(definition.attributes, 'data', path, true);
  }

  return { resolve };
}
