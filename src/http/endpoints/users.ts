import { etagOf, locationOf, userResource } from '../../scim/representation.js';
import { USER_RESOURCE } from '../../scim/schema-registry.js';
import type { UserService } from '../../services/users.js';
import type { UserView } from '../../services/views.js';
import { edgesOf, type Rendered, type ResourceEndpoint } from './endpoint.js';

export function userEndpoint(users: UserService): ResourceEndpoint {
  const render = (view: UserView, baseUrl: string): Rendered => ({
    resource: userResource(view, baseUrl),
    etag: etagOf(view.record),
    location: locationOf(baseUrl, USER_RESOURCE, view.record.id),
  });

  return {
    definition: USER_RESOURCE,
    create: async (tenant, body, baseUrl) => render(await users.create(tenant, body), baseUrl),
    get: async (tenant, id, _projection, baseUrl) => render(await users.get(tenant, id), baseUrl),
    replace: async (tenant, id, body, version, baseUrl) => render(await users.replace(tenant, id, body, version), baseUrl),
    patch: async (tenant, id, body, version, baseUrl) => render(await users.patch(tenant, id, body, version), baseUrl),
    patchReturnsResource: true,
    delete: (tenant, id, version) => users.delete(tenant, id, version),
    async list(tenant, request, baseUrl) {
      const page = await users.list(tenant, request.query);
      return { total: page.total, resources: page.items.map((view) => userResource(view, baseUrl)), edges: edgesOf(page) };
    },
  };
}
