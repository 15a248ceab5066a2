import type { NextFunction, Request, Response } from 'express';

/**
 * The route pattern a request matched, for metrics and request logs: `/scim/v2/Users/:id`, never
 * the path with its ids (metric labels must stay few, and ids are not for dashboards).
 *
 * Express knows the pattern (`req.route.path`) and the mount path (`req.baseUrl`) only while the
 * route runs: a router restores `baseUrl` on the way out, so by the time the response is finished
 * (or an error handler answers) the mount is lost. Both are therefore recorded as express assigns
 * them. A request no route matched (refused by authentication or the rate limit, or an unknown
 * path) is labelled by the deepest router it entered: `/scim/v2/*`, or `*` outside every router.
 */
export function recordRouteTemplate(req: Request, res: Response, next: NextFunction): void {
  let route: unknown = req.route;
  let baseUrl = req.baseUrl;
  let deepest = '';
  Object.defineProperty(req, 'baseUrl', {
    configurable: true,
    enumerable: true,
    get: () => baseUrl,
    set: (value: string) => {
      baseUrl = value;
      if (value.length > deepest.length) deepest = value;
    },
  });
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set: (value: { path?: unknown } | undefined) => {
      route = value;
      const path = value?.path;
      if (path === undefined) return;
      const pattern = Array.isArray(path) ? path.join('|') : String(path);
      // A router's root route is its mount path: /admin/streams, not /admin/streams/.
      res.locals['route'] = pattern === '/' && baseUrl !== '' ? baseUrl : `${baseUrl}${pattern}`;
    },
  });
  res.locals['unmatchedRoute'] = () => `${deepest}/*`;
  next();
}

/** The matched route pattern, else the deepest mount path followed by `/*`. */
export function routeTemplateOf(res: Response): string {
  const matched = res.locals['route'];
  if (typeof matched === 'string') return matched;
  const unmatched = res.locals['unmatchedRoute'] as (() => string) | undefined;
  return unmatched ? unmatched() : '*';
}
