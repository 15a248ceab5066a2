import type { ListRequest } from '../../scim/list-request.js';
import type { Projection } from '../../scim/projection.js';
import type { ScimResource } from '../../scim/representation.js';
import type { ResourceTypeDefinition } from '../../scim/schema-registry.js';

export interface Rendered {
  resource: ScimResource;
  etag: string;
  location: string;
}

export interface RenderedPage {
  total: number;
  resources: ScimResource[];
}

/** What the generic routes need from a resource type: its service calls, already rendered as SCIM. */
export interface ResourceEndpoint {
  definition: ResourceTypeDefinition;
  create(tenant: string, body: unknown, baseUrl: string): Promise<Rendered>;
  get(tenant: string, id: string, projection: Projection, baseUrl: string): Promise<Rendered>;
  replace(tenant: string, id: string, body: unknown, expectedVersion: number | undefined, baseUrl: string): Promise<Rendered>;
  patch(tenant: string, id: string, body: unknown, expectedVersion: number | undefined, baseUrl: string): Promise<Rendered>;
  /**
   * Whether a successful PATCH answers 200 with the resource by default. Groups answer 204, as
   * Entra expects, unless the request names attributes to return (RFC 7644 §3.5.2).
   */
  patchReturnsResource: boolean;
  delete(tenant: string, id: string, expectedVersion: number | undefined): Promise<void>;
  list(tenant: string, request: ListRequest, baseUrl: string): Promise<RenderedPage>;
}
