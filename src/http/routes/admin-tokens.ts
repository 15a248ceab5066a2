import { Router, type Request, type Response } from 'express';
import { expandScopes, SCOPE_NAMES, type Scope } from '../../auth/scopes.js';
import { createToken, listTokens, parseDuration, revokeToken, rotateToken, TokenAdminError, type Grantor } from '../../auth/token-admin.js';
import { ScimError } from '../../errors/scim-error.js';
import type { EventStreamService } from '../../services/event-streams.js';
import type { CredentialStore } from '../../store/contract.js';
import { cannotGrant, principalOf } from '../middleware/authenticate.js';
import { contextOf } from '../middleware/request-context.js';

type Body = Record<string, unknown>;

function bodyOf(req: Request): Body {
  const body: unknown = req.body;
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ScimError('invalidSyntax', 'The body must be a JSON object');
  return body as Body;
}

function text(body: Body, key: string, required: boolean): string | undefined {
  const value = body[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '') throw new ScimError('invalidValue', `"${key}" must be a non-empty string`);
  return value;
}

function scopes(body: Body): Scope[] {
  const value = body['scopes'];
  const names = Array.isArray(value) && value.every((item): item is string => typeof item === 'string') ? value : [];
  const expanded = expandScopes(names);
  if (expanded.scopes.length === 0 || expanded.unknown.length > 0) {
    throw new ScimError('invalidValue', `"scopes" must be a non-empty array of ${SCOPE_NAMES.map((name) => `"${name}"`).join(', ')}`);
  }
  return expanded.scopes;
}

/** A binding names a stream that exists in the caller's tenant (a 400 about the body, not a 404 of the URL). */
async function streamOf(streams: EventStreamService, tenant: string, name: string): Promise<void> {
  try {
    await streams.require(tenant, name);
  } catch (error) {
    if (error instanceof ScimError && error.code === 'notFound') throw new ScimError('invalidValue', `"stream": no event stream named "${name}" in this tenant`);
    throw error;
  }
}

/** The caller grants as itself: its own scopes, its own tenant, its own lifetime. */
function grantorOf(res: Response): Grantor {
  const { tenant, scopes: held, expiresAt } = principalOf(res);
  return { tenant, scopes: held, expiresAt };
}

export function duration(body: Body, key: string): number | undefined {
  const value = text(body, key, false);
  return value === undefined ? undefined : parseDuration(value, `"${key}"`);
}

/** The service's errors (bad names, durations, unknown tokens), as the catalogue's. */
export async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof TokenAdminError)) throw error;
    if (error.kind === 'beyondGrant') throw cannotGrant(error.scopes, error.message);
    const kind = ({ notFound: 'notFound', exists: 'uniqueness', otherTenant: 'forbidden', outlivesGrantor: 'forbidden', invalid: 'invalidValue' } as const)[error.kind];
    throw new ScimError(kind, error.message);
  }
}

/**
 * Token management for the caller's own tenant (the same operations as `npm run tokens`, but a
 * credential grants only what it holds, see token-admin.ts): GET / lists (never a hash or token);
 * POST / {name, scopes, expiresIn?, tenant?, stream?} → 201 with the token, shown only in this
 * response (`tenant`, if given, must be the caller's own; `stream` binds it to an event stream of
 * the tenant, which it may then poll); POST /:name/rotate {gracePeriod?, expiresIn?};
 * DELETE /:name revokes (any token of the tenant: revoking takes power away, it never grants).
 */
export function tokenRoutes(credentials: CredentialStore, streams: EventStreamService): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/', async (_req, res) => {
    res.json({ tokens: await listTokens(credentials, principalOf(res).tenant) });
  });

  router.post('/', async (req, res) => {
    const body = bodyOf(req);
    const stream = text(body, 'stream', false);
    if (stream !== undefined) await streamOf(streams, principalOf(res).tenant, stream);
    const issued = await run(() =>
      createToken(
        credentials,
        {
          grantor: grantorOf(res),
          tenant: text(body, 'tenant', false) ?? principalOf(res).tenant,
          name: text(body, 'name', true) as string,
          scopes: scopes(body),
          lifetimeMs: duration(body, 'expiresIn'),
          stream,
        },
        contextOf(res),
      ),
    );
    res.status(201).json({ ...issued.info, token: issued.token });
  });

  router.post('/:name/rotate', async (req, res) => {
    const body = bodyOf(req);
    const issued = await run(() =>
      rotateToken(credentials, principalOf(res).tenant, String(req.params['name']), { grantor: grantorOf(res), graceMs: duration(body, 'gracePeriod'), lifetimeMs: duration(body, 'expiresIn') }, contextOf(res)),
    );
    res.json({ ...issued.info, token: issued.token });
  });

  router.delete('/:name', async (req, res) => {
    await run(() => revokeToken(credentials, principalOf(res).tenant, String(req.params['name']), contextOf(res)));
    res.status(204).end();
  });

  return router;
}
