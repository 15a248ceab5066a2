import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config.js';
import { ScimError } from '../../errors/scim-error.js';
import { createCursorCodec } from '../../scim/cursor.js';
import { parseListRequest } from '../../scim/list-request.js';
import { applyProjection, parseProjection } from '../../scim/projection.js';
import { searchRequestToParameters } from '../../scim/search-request.js';
import type { ResourceEndpoint, Rendered } from '../endpoints/endpoint.js';
import { contextOf } from '../middleware/request-context.js';
import { expectedVersion, notModified } from '../preconditions.js';
import { checkListParameterPaths } from '../request-limits.js';
import { baseUrlOf, cursorListResponse, listResponse, sendScim, sendScimStreamed } from '../scim-response.js';

type Handler = (req: Request, res: Response) => Promise<void>;

function methodNotAllowed(allow: string): Handler {
  return async (req, res) => {
    res.set('Allow', allow);
    throw new ScimError('methodNotAllowed', `${req.method} is not supported on this endpoint`);
  };
}

/** RFC 7644 §3.2–3.6 routes for one resource type, over any ResourceEndpoint; `cursorKey` gives the deployment's cursor signing key. */
export function resourceRoutes(config: Config, endpoint: ResourceEndpoint, cursorKey: () => Promise<Uint8Array>): Router {
  const router = Router();
  const { definition } = endpoint;
  const collection = definition.endpoint;
  
  const projectionOf = (req: Request) => {
    const query = req.query as Record<string, unknown>;
    return parseProjection(definition, query['attributes'], query['excludedAttributes']);
  };

  async function sendOne(req: Request, res: Response, status: number, rendered: Rendered): Promise<void> {
    res.set('ETag', rendered.etag);
    if (status === 201) res.set('Location', rendered.location);
    // An endpoint streams only what a read without projection asked for (groups.ts), so the head needs none.
    if (rendered.streamed) await sendScimStreamed(res, status, rendered.resource, rendered.streamed.attribute, rendered.streamed.values());
    else sendScim(res, status, applyProjection(definition, rendered.resource, projectionOf(req)));
  }

  async function sendList(req: Request, res: Response, parameters: Record<string, unknown>): Promise<void> {
    const cursors = createCursorCodec(await cursorKey());
    const request = parseListRequest(definition, parameters, config.limits, cursors);
    const page = await endpoint.list(contextOf(res), request, baseUrlOf(config, req));
    const resources = page.resources.map((resource) => applyProjection(definition, resource, request.projection));
    if (request.cursorFingerprint === undefined) {
      sendScim(res, 200, listResponse(page.total, request.query.startIndex, resources));
      return;
    }
    sendScim(res, 200, cursorListResponse(page, resources, cursors, request.cursorFingerprint, request.query.keyset?.direction));
  }

  router.get(collection, (req, res) => sendList(req, res, req.query as Record<string, unknown>));
  router.post(`${collection}/.search`, (req, res) => {
    const parameters = searchRequestToParameters(req.body);
    checkListParameterPaths(parameters, config.limits);
    return sendList(req, res, parameters);
  });

  router.post(collection, async (req, res) => {
    await sendOne(req, res, 201, await endpoint.create(contextOf(res), req.body, baseUrlOf(config, req)));
  });

  router.all(collection, methodNotAllowed('GET, POST'));

  router.get(`${collection}/:id`, async (req, res) => {
    const rendered = await endpoint.get(contextOf(res), String(req.params['id']), projectionOf(req), baseUrlOf(config, req));
    if (notModified(req, rendered.etag)) {
      res.set('ETag', rendered.etag).status(304).end();
      return;
    }
    await sendOne(req, res, 200, rendered);
  });

  router.put(`${collection}/:id`, async (req, res) => {
    const version = expectedVersion(req);
    await sendOne(req, res, 200, await endpoint.replace(contextOf(res), String(req.params['id']), req.body, version, baseUrlOf(config, req)));
  });

  router.delete(`${collection}/:id`, async (req, res) => {
    await endpoint.delete(contextOf(res), String(req.params['id']), expectedVersion(req));
    res.status(204).end();
  });

  router.patch(`${collection}/:id`, async (req, res) => {
    const rendered = await endpoint.patch(contextOf(res), String(req.params['id']), req.body, expectedVersion(req), baseUrlOf(config, req));
    const query = req.query as Record<string, unknown>;
    const asksForAttributes = Object.keys(query).some((key) => /^(excluded)?attributes$/i.test(key));
    if (endpoint.patchReturnsResource) {
      await sendOne(req, res, 200, rendered);
      return;
    }
    if (asksForAttributes) {
      // A 204-by-default PATCH does not load what it does not return (a group's members): read with the projection.
      await sendOne(req, res, 200, await endpoint.get(contextOf(res), String(req.params['id']), projectionOf(req), baseUrlOf(config, req)));
      return;
    }
    res.set('ETag', rendered.etag).status(204).end();
  });

  router.all(`${collection}/:id`, methodNotAllowed('GET, PUT, PATCH, DELETE'));

  return router;
}
