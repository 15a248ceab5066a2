import { wants } from '../../scim/projection.js';
import { etagOf, groupResource, locationOf } from '../../scim/representation.js';
import { GROUP_RESOURCE } from '../../scim/schema-registry.js';
import type { GroupService } from '../../services/groups.js';
import type { GroupView } from '../../services/views.js';
import { edgesOf, type Rendered, type ResourceEndpoint } from './endpoint.js';

export function groupEndpoint(groups: GroupService): ResourceEndpoint {
  const render = (view: GroupView, baseUrl: string): Rendered => ({
    resource: groupResource(view, baseUrl),
    etag: etagOf(view.record),
    location: locationOf(baseUrl, GROUP_RESOURCE, view.record.id),
  });

  return {
    definition: GROUP_RESOURCE,
    create: async (tenant, body, baseUrl) => render(await groups.create(tenant, body), baseUrl),
    get: async (tenant, id, projection, baseUrl) => render(await groups.get(tenant, id, { includeMembers: wants(projection, 'members') }), baseUrl),
    replace: async (tenant, id, body, version, baseUrl) => render(await groups.replace(tenant, id, body, version), baseUrl),
    patch: async (tenant, id, body, version, baseUrl) => render(await groups.patch(tenant, id, body, version), baseUrl),
    patchReturnsResource: false,
    delete: (tenant, id, version) => groups.delete(tenant, id, version),
    async list(tenant, request, baseUrl) {
      const page = await groups.list(tenant, request.query, { includeMembers: wants(request.projection, 'members') });
      return { total: page.total, resources: page.items.map((view) => groupResource(view, baseUrl)), edges: edgesOf(page) };
    },
  };
}
