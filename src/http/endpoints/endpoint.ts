import type { ScimError } from '../../errors/scim-error.js';
import type { ListRequest } from '../../scim/list-request.js';
import type { Projection } from '../../scim/projection.js';
import type { ScimResource } from '../../scim/representation.js';
import type { ResourceTypeDefinition } from '../../scim/schema-registry.js';
import type { RequestContext } from '../../services/context.js';
import type { Page } from '../../services/views.js';
import type { SortValue } from '../../store/contract.js';

export interface Rendered {
  resource: ScimResource;
  etag: string;
  location: string;
  /** A multi-valued attribute left out of `resource`, to be written value by value as it is read. */
  streamed?: { attribute: string; values: () => AsyncIterable<unknown> } | undefined;
}

export interface PageEdge {
  id: string;
  sortValue: SortValue;
}

export interface RenderedPage {
  total: number;
  resources: ScimResource[];
  /** Cursor paging: the first and last resource's keyset positions, and whether more lie beyond the page. */
  edges?: { first: PageEdge | undefined; last: PageEdge | undefined; more: boolean };
}

/** The keyset edges of a service page, when it was read by cursor. */
export function edgesOf(page: Page<{ record: { id: string } }>): RenderedPage['edges'] {
  const { sortValues, items } = page;
  if (!sortValues) return undefined;
  const edge = (index: number): PageEdge | undefined => {
    const item = items[index];
    return item ? { id: item.record.id, sortValue: sortValues[index] ?? null } : undefined;
  };
  return { first: edge(0), last: edge(items.length - 1), more: page.more ?? false };
}

/** What the generic routes need from a resource type: its service calls, already rendered as SCIM. */
export interface ResourceEndpoint {
  definition: ResourceTypeDefinition;
  create(ctx: RequestContext, body: unknown, baseUrl: string): Promise<Rendered>;
  /** Several creates in one batch, where the service has one (Bulk): per body its result or its ScimError. */
  createMany?(ctx: RequestContext, bodies: readonly unknown[], baseUrl: string): Promise<(Rendered | ScimError)[]>;
  get(ctx: RequestContext, id: string, projection: Projection, baseUrl: string): Promise<Rendered>;
  replace(ctx: RequestContext, id: string, body: unknown, expectedVersion: number | undefined, baseUrl: string): Promise<Rendered>;
  patch(ctx: RequestContext, id: string, body: unknown, expectedVersion: number | undefined, baseUrl: string): Promise<Rendered>;
  /**
   * Whether a successful PATCH answers 200 with the resource by default. Groups answer 204, as
   * Entra expects, unless the request names attributes to return (RFC 7644 §3.5.2).
   */
  patchReturnsResource: boolean;
  delete(ctx: RequestContext, id: string, expectedVersion: number | undefined): Promise<void>;
  list(ctx: RequestContext, request: ListRequest, baseUrl: string): Promise<RenderedPage>;
}
