import type { Config } from '../config.js';
import { ScimError } from '../errors/scim-error.js';
import { screenPatchBody, screenResourceBody, unknownAttributesError, type Screened } from '../scim/unknown-attributes.js';
import type { RequestContext } from '../services/context.js';
import type { Rendered, ResourceEndpoint } from './endpoints/endpoint.js';
import type { Log } from './logging.js';
import { countUnknownAttribute, reportedPath } from './unknown-attribute-counts.js';

/** A path is logged at most once per interval and process; every occurrence is counted. */
export const UNKNOWN_ATTRIBUTE_LOG_INTERVAL_MS = 10 * 60_000;
const MAX_REMEMBERED = 10_000;

export interface UnknownAttributeReporter {
  report(ctx: RequestContext, resource: string, paths: readonly string[], kind: 'attribute' | 'schema'): void;
}

export function createUnknownAttributeReporter(log: Log, mode: Config['unknownAttributes'], intervalMs = UNKNOWN_ATTRIBUTE_LOG_INTERVAL_MS, now: () => number = Date.now): UnknownAttributeReporter {
  const lastLogged = new Map<string, number>();
  /** Paths come from clients: once the memory is full, expired entries go, then the oldest. */
  const remember = (key: string, at: number) => {
    if (lastLogged.size >= MAX_REMEMBERED) for (const [old, time] of lastLogged) if (at - time >= intervalMs) lastLogged.delete(old);
    if (lastLogged.size >= MAX_REMEMBERED) lastLogged.delete(lastLogged.keys().next().value as string);
    lastLogged.delete(key);
    lastLogged.set(key, at);
  };
  return {
    report(ctx, resource, paths, kind) {
      const at = now();
      for (const raw of paths) {
        const path = reportedPath(raw);
        countUnknownAttribute(resource, path);
        const key = JSON.stringify([resource, path]);
        if (at - (lastLogged.get(key) ?? -Infinity) < intervalMs) continue;
        remember(key, at);
        const msg = kind === 'schema' ? 'unknown schema URN listed in schemas ignored' : `unknown attribute ${mode === 'ignore' ? 'ignored' : 'refused'}`;
        log({ level: 'warn', msg, resource, path, mode, requestId: ctx.requestId, tenant: ctx.tenant });
      }
    },
  };
}

/**
 * The endpoint with attributes that no registered schema defines taken out of POST/PUT bodies and
 * PATCH operations (logged and counted), or refused with 400 under UNKNOWN_ATTRIBUTES=reject:
 * invalidSyntax for a resource body (it does not conform to the schema, RFC 7644 §3.12) and
 * invalidPath for a PATCH. Single requests and Bulk operations alike go through it.
 */
export function withUnknownAttributes(endpoint: ResourceEndpoint, mode: Config['unknownAttributes'], reporter: UnknownAttributeReporter): ResourceEndpoint {
  const { definition } = endpoint;
  const screen = (ctx: RequestContext, screened: Screened, code: 'invalidSyntax' | 'invalidPath'): unknown => {
    reporter.report(ctx, definition.name, screened.unknownSchemas, 'schema');
    if (screened.unknown.length === 0) return screened.value;
    reporter.report(ctx, definition.name, screened.unknown, 'attribute');
    if (mode === 'reject') throw unknownAttributesError(code, definition.name, screened.unknown);
    return screened.value;
  };
  const body = (ctx: RequestContext, raw: unknown) => screen(ctx, screenResourceBody(definition, raw), 'invalidSyntax');
  return {
    ...endpoint,
    create: (ctx, raw, baseUrl) => endpoint.create(ctx, body(ctx, raw), baseUrl),
    ...(endpoint.createMany ? { createMany: createManyScreened(endpoint.createMany, body) } : {}),
    replace: (ctx, id, raw, version, baseUrl) => endpoint.replace(ctx, id, body(ctx, raw), version, baseUrl),
    patch: (ctx, id, raw, version, baseUrl) => endpoint.patch(ctx, id, screen(ctx, screenPatchBody(definition, raw), 'invalidPath'), version, baseUrl),
  };
}

/** A refused body fails alone, as it would one at a time; the others are created together. */
function createManyScreened(
  createMany: NonNullable<ResourceEndpoint['createMany']>,
  body: (ctx: RequestContext, raw: unknown) => unknown,
): NonNullable<ResourceEndpoint['createMany']> {
  return async (ctx, raws, baseUrl) => {
    const screened = raws.map((raw): { body: unknown } | ScimError => {
      try {
        return { body: body(ctx, raw) };
      } catch (error) {
        if (error instanceof ScimError) return error;
        throw error;
      }
    });
    const accepted = screened.filter((item): item is { body: unknown } => !(item instanceof ScimError));
    const created = accepted.length > 0 ? await createMany(ctx, accepted.map((item) => item.body), baseUrl) : [];
    let next = 0;
    return screened.map((item): Rendered | ScimError => (item instanceof ScimError ? item : (created[next++] as Rendered | ScimError)));
  };
}
