import type { GroupView, UserView } from '../services/views.js';
import type { MemberRef, ResourceRecord } from '../store/contract.js';
import { lifecycleResource } from '../lifecycle/extension.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, LIFECYCLE_SCHEMA, USER_RESOURCE, type ResourceTypeDefinition } from './schema-registry.js';

export type ScimResource = Record<string, unknown>;

/** W/"n": weak because equal versions promise equivalent, not byte-identical, representations. */
export function etagOf(record: ResourceRecord): string {
  return `W/"${record.version}"`;
}

export function locationOf(baseUrl: string, definition: ResourceTypeDefinition, id: string): string {
  return `${baseUrl}${definition.endpoint}/${encodeURIComponent(id)}`;
}

function baseResource(definition: ResourceTypeDefinition, record: ResourceRecord, baseUrl: string): ScimResource {
  const extensions = definition.extensions.filter((extension) => record.attributes[extension.urn] !== undefined);
  return {
    schemas: [definition.schema, ...extensions.map((extension) => extension.urn)],
    id: record.id,
    ...record.attributes,
    meta: {
      resourceType: definition.name,
      created: record.created.toISOString(),
      lastModified: record.lastModified.toISOString(),
      version: etagOf(record),
      location: locationOf(baseUrl, definition, record.id),
    },
  };
}

export function userResource(view: UserView, baseUrl: string): ScimResource {
  const resource = baseResource(USER_RESOURCE, view.record, baseUrl);
  // RFC 7643 §4.3 recommends manager.$ref; it is derived from manager.value, never stored.
  const enterprise = resource[ENTERPRISE_USER_SCHEMA] as { manager?: { value?: unknown } } | undefined;
  if (typeof enterprise?.manager?.value === 'string') {
    const manager = { ...enterprise.manager, $ref: locationOf(baseUrl, USER_RESOURCE, enterprise.manager.value) };
    resource[ENTERPRISE_USER_SCHEMA] = { ...enterprise, manager };
  }
  if (view.record.lifecycle) {
    resource[LIFECYCLE_SCHEMA] = lifecycleResource(view.record.lifecycle);
    resource['schemas'] = [...(resource['schemas'] as string[]), LIFECYCLE_SCHEMA];
  }
  if (view.groups.length > 0) {
    resource['groups'] = view.groups.map((group) => ({
      value: group.id,
      $ref: locationOf(baseUrl, GROUP_RESOURCE, group.id),
      ...(group.display !== undefined ? { display: group.display } : {}),
      type: 'direct',
    }));
  }
  return resource;
}

/** One value of a group's `members`, as it is rendered. */
export function memberValue(member: MemberRef, baseUrl: string): Record<string, unknown> {
  return {
    value: member.id,
    $ref: locationOf(baseUrl, member.kind === 'User' ? USER_RESOURCE : GROUP_RESOURCE, member.id),
    ...(member.display !== undefined ? { display: member.display } : {}),
    type: member.kind,
  };
}

export function groupResource(view: GroupView, baseUrl: string): ScimResource {
  const resource = baseResource(GROUP_RESOURCE, view.record, baseUrl);
  if (view.members !== undefined) resource['members'] = view.members.map((member) => memberValue(member, baseUrl));
  return resource;
}
