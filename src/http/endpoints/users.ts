import { ScimError } from '../../errors/scim-error.js';
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
    create: async (ctx, body, baseUrl) => render(await users.create(ctx, body), baseUrl),
    createMany: async (ctx, bodies, baseUrl) => (await users.createMany(ctx, bodies)).map((outcome) => (outcome instanceof ScimError ? outcome : render(outcome, baseUrl))),
    get: async (ctx, id, _projection, baseUrl) => render(await users.get(ctx, id), baseUrl),
    replace: async (ctx, id, body, version, baseUrl) => render(await users.replace(ctx, id, body, version), baseUrl),
    patch: async (ctx, id, body, version, baseUrl) => render(await users.patch(ctx, id, body, version), baseUrl),
    patchReturnsResource: true,
    delete: (ctx, id, version) => users.delete(ctx, id, version),
    async list(ctx, request, baseUrl) {
      const page = await users.list(ctx, request.query);
      return { total: page.total, resources: page.items.map((view) => userResource(view, baseUrl)), edges: edgesOf(page) };
    },
  };
}
