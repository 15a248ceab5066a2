import { Router, type Request } from 'express';
import type { Config } from '../../config.js';
import { ScimError } from '../../errors/scim-error.js';
import { CURSOR_TIMEOUT_SECONDS, type Limits } from '../../scim/limits.js';
import { describeSchemas, RESOURCE_TYPES } from '../../scim/schema-registry.js';
import { baseUrlOf, listResponse, sendScim } from '../scim-response.js';

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';

/** RFC 7644 §4 discovery. Each capability flag must match what the handlers really do. */
function serviceProviderConfig(baseUrl: string, limits: Limits): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    patch: { supported: true },
    bulk: { supported: true, maxOperations: limits.maxBulkOperations, maxPayloadSize: limits.maxBulkPayloadBytes },
    filter: { supported: true, maxResults: limits.maxResults },
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: limits.maxResults,
      maxPageSize: limits.maxResults,
      cursorTimeout: CURSOR_TIMEOUT_SECONDS,
    },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'Authentication with a bearer token in the Authorization header (RFC 6750)',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

function schemaResources(baseUrl: string): Record<string, unknown>[] {
  return describeSchemas().map((schema) => ({
    ...schema,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${String(schema['id'])}` },
  }));
}

function resourceTypeResources(baseUrl: string): Record<string, unknown>[] {
  return RESOURCE_TYPES.map((type) => ({
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: type.name,
    name: type.name,
    endpoint: type.endpoint,
    description: type.name === 'User' ? 'User Account' : 'Group',
    schema: type.schema,
    ...(type.extensions.length > 0
      ? { schemaExtensions: type.extensions.map((extension) => ({ schema: extension.urn, required: extension.required })) }
      : {}),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${type.name}` },
  }));
}

function findById(resources: Record<string, unknown>[], id: string, what: string): Record<string, unknown> {
  const found = resources.find((resource) => String(resource['id']).toLowerCase() === id.toLowerCase());
  if (!found) throw new ScimError('notFound', `${what} ${id} not found`);
  return found;
}

export function discoveryRoutes(config: Config): Router {
  const router = Router();
  const base = (req: Request) => baseUrlOf(config, req);
  const all = <T>(resources: T[]) => listResponse(resources.length, 1, resources);

  router.get('/ServiceProviderConfig', (req, res) => sendScim(res, 200, serviceProviderConfig(base(req), config.limits)));
  router.get('/Schemas', (req, res) => sendScim(res, 200, all(schemaResources(base(req)))));
  router.get('/Schemas/:id', (req, res) => sendScim(res, 200, findById(schemaResources(base(req)), String(req.params['id']), 'Schema')));
  router.get('/ResourceTypes', (req, res) => sendScim(res, 200, all(resourceTypeResources(base(req)))));
  router.get('/ResourceTypes/:id', (req, res) =>
    sendScim(res, 200, findById(resourceTypeResources(base(req)), String(req.params['id']), 'ResourceType')),
  );
  // Discovery endpoints are read-only (RFC 7644 §4): other methods get 405 with Allow, as on resource routes.
  router.all(['/ServiceProviderConfig', '/Schemas', '/Schemas/:id', '/ResourceTypes', '/ResourceTypes/:id'], (req, res) => {
    res.set('Allow', 'GET');
    throw new ScimError('methodNotAllowed', `${req.method} is not supported on this endpoint`);
  });
  return router;
}
