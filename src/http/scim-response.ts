import type { Request, Response } from 'express';
import type { Config } from '../config.js';
import type { CursorCodec } from '../scim/cursor.js';
import type { RenderedPage } from './endpoints/endpoint.js';
import { sendStreamed } from './streamed-response.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_BASE_PATH = '/scim/v2';

export function sendScim(res: Response, status: number, body: unknown): void {
  res.status(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

/**
 * Sends `head` with `attribute` added as an array whose values are written as `values` yields
 * them (sendStreamed), so the answer's size never sits in memory.
 */
export function sendScimStreamed(res: Response, status: number, head: Record<string, unknown>, attribute: string, values: AsyncIterable<unknown>): Promise<void> {
  return sendStreamed(res, status, SCIM_CONTENT_TYPE, jsonWithArray(head, attribute, values));
}

async function* jsonWithArray(head: Record<string, unknown>, attribute: string, values: AsyncIterable<unknown>): AsyncGenerator<string> {
  const opening = JSON.stringify(head);
  yield `${opening.slice(0, -1)}${opening === '{}' ? '' : ','}${JSON.stringify(attribute)}:[`;
  let separator = '';
  for await (const value of values) {
    yield separator + JSON.stringify(value);
    separator = ',';
  }
  yield ']}';
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
 * RFC 9865 §2: nextCursor is present on every page but the last; previousCursor (optional) on every
 * page but the first. Walking forward, "more" tells whether a next page exists; walking back, it
 * tells whether a previous one does, and the page the client came from is always ahead.
 */
export function cursorListResponse(page: RenderedPage, resources: unknown[], cursors: CursorCodec, fingerprint: string, direction: 'after' | 'before' | undefined): Record<string, unknown> {
  const edges = page.edges;
  const walkingBack = direction === 'before';
  const hasNext = walkingBack ? resources.length > 0 : (edges?.more ?? false);
  const hasPrevious = walkingBack ? (edges?.more ?? false) : direction === 'after' && resources.length > 0;
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: page.total,
    itemsPerPage: resources.length,
    ...(hasNext && edges?.last ? { nextCursor: cursors.encode(fingerprint, { ...edges.last, direction: 'after' }) } : {}),
    ...(hasPrevious && edges?.first ? { previousCursor: cursors.encode(fingerprint, { ...edges.first, direction: 'before' }) } : {}),
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
