import { wants } from '../../scim/projection.js';
import { etagOf, groupResource, locationOf, memberValue } from '../../scim/representation.js';
import { GROUP_RESOURCE } from '../../scim/schema-registry.js';
import type { GroupService } from '../../services/groups.js';
import type { GroupView } from '../../services/views.js';
import { edgesOf, type Rendered, type ResourceEndpoint } from './endpoint.js';

async function* mapAsync<T, U>(values: AsyncIterable<T>, map: (value: T) => U): AsyncGenerator<U> {
  for await (const value of values) yield map(value);
}

export function groupEndpoint(groups: GroupService): ResourceEndpoint {
  const render = (view: GroupView, baseUrl: string): Rendered => {
    const { memberStream } = view;
    return {
      resource: groupResource(view, baseUrl),
      etag: etagOf(view.record),
      location: locationOf(baseUrl, GROUP_RESOURCE, view.record.id),
      ...(memberStream ? { streamed: { attribute: 'members', values: () => mapAsync(memberStream(), (member) => memberValue(member, baseUrl)) } } : {}),
    };
  };

  return {
    definition: GROUP_RESOURCE,
    create: async (ctx, body, baseUrl) => render(await groups.create(ctx, body), baseUrl),
    // A whole group (no projection) is written as its members are read: memory stays flat for any size.
    get: async (ctx, id, projection, baseUrl) => render(await groups.get(ctx, id, { includeMembers: wants(projection, 'members'), streamMembers: projection.mode === 'all' }), baseUrl),
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
