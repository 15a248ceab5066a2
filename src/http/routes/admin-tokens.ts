import { Router, type Request } from 'express';
import { isScope, type Scope } from '../../auth/scopes.js';
import { createToken, listTokens, parseDuration, revokeToken, rotateToken, TokenAdminError } from '../../auth/token-admin.js';
import { ScimError } from '../../errors/scim-error.js';
import type { CredentialStore } from '../../store/contract.js';
import { principalOf } from '../middleware/authenticate.js';
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
  if (!Array.isArray(value) || value.length === 0 || !value.every((item): item is Scope => typeof item === 'string' && isScope(item))) {
    throw new ScimError('invalidValue', '"scopes" must be a non-empty array of "scim:read", "scim:write", "admin"');
  }
  return [...new Set(value)];
}

function duration(body: Body, key: string): number | undefined {
  const value = text(body, key, false);
  return value === undefined ? undefined : parseDuration(value, `"${key}"`);
}

/** The service's errors (bad names, durations, unknown tokens), as the catalogue's. */
async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof TokenAdminError)) throw error;
    throw new ScimError(error.kind === 'notFound' ? 'notFound' : error.kind === 'exists' ? 'uniqueness' : 'invalidValue', error.message);
  }
}

/**
 * Token management for the admin's own tenant (the same operations as `npm run tokens`):
 * GET / lists (never a hash or token); POST / {name, scopes, expiresIn?} → 201 with the token,
 * shown only in this response; POST /:name/rotate {gracePeriod?, expiresIn?}; DELETE /:name revokes.
 */
export function tokenRoutes(credentials: CredentialStore): Router {
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
    const issued = await run(() =>
      createToken(credentials, { tenant: principalOf(res).tenant, name: text(body, 'name', true) as string, scopes: scopes(body), lifetimeMs: duration(body, 'expiresIn') }, contextOf(res)),
    );
    res.status(201).json({ ...issued.info, token: issued.token });
  });

  router.post('/:name/rotate', async (req, res) => {
    const body = bodyOf(req);
    const issued = await run(() =>
      rotateToken(credentials, principalOf(res).tenant, String(req.params['name']), { graceMs: duration(body, 'gracePeriod'), lifetimeMs: duration(body, 'expiresIn') }, contextOf(res)),
    );
    res.json({ ...issued.info, token: issued.token });
  });

  router.delete('/:name', async (req, res) => {
    await run(() => revokeToken(credentials, principalOf(res).tenant, String(req.params['name']), contextOf(res)));
    res.status(204).end();
  });

  return router;
}
