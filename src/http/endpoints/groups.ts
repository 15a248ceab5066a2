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
    create: async (ctx, body, baseUrl) => render(await groups.create(ctx, body), baseUrl),
    get: async (ctx, id, projection, baseUrl) => render(await groups.get(ctx, id, { includeMembers: wants(projection, 'members') }), baseUrl),
    replace: async (ctx, id, body, version, baseUrl) => render(await groups.replace(ctx, id, body, version), baseUrl),
    patch: async (ctx, id, body, version, baseUrl) => render(await groups.patch(ctx, id, body, version), baseUrl),
    patchReturnsResource: false,
    delete: (ctx, id, version) => groups.delete(ctx, id, version),
    async list(ctx, request, baseUrl) {
      const page = await groups.list(ctx, request.query, { includeMembers: wants(request.projection, 'members') });
      return { total: page.total, resources: page.items.map((view) => groupResource(view, baseUrl)), edges: edgesOf(page) };
    },
  };
}
