import type { Request, Response } from 'express';
import type { Config } from '../config.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_BASE_PATH = '/scim/v2';

export function sendScim(res: Response, status: number, body: unknown): void {
  res.status(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

export function listResponse(totalResults: number, startIndex: number, resources: unknown[]): Record<string, unknown> {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/**
 * The base URL of this SCIM service as the client sees it, computed per request: a process-wide
 * value would leak between concurrent requests to different hosts.
 */
export function baseUrlOf(config: Pick<Config, 'publicBaseUrl'>, req: Request): string {
  return config.publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}${SCIM_BASE_PATH}`;
}
