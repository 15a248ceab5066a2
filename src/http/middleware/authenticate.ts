import type { NextFunction, Request, Response } from 'express';
import type { Authenticator, Principal } from '../../auth/authenticator.js';
import { grants, type Scope } from '../../auth/scopes.js';
import { ScimError } from '../../errors/scim-error.js';

/** RFC 6750 §3: a challenge on every 401; error= only when a token was presented. */
const challenge = (error?: string, scopes: readonly Scope[] = []) =>
  `Bearer realm="SCIM"${error ? `, error="${error}"` : ''}${scopes.length > 0 ? `, scope="${scopes.join(' ')}"` : ''}`;

export function principalOf(res: Response): Principal {
  return res.locals['principal'] as Principal;
}

export function authenticate(authenticator: Authenticator) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1]) {
      next(new ScimError('unauthorized', 'A bearer token is required', { 'WWW-Authenticate': challenge() }));
      return;
    }
    try {
      const principal = await authenticator(match[1]);
      if (!principal) {
        next(new ScimError('unauthorized', 'The bearer token is not valid, expired or revoked', { 'WWW-Authenticate': challenge('invalid_token') }));
        return;
      }
      res.locals['principal'] = principal;
      next();
    } catch (error) {
      next(error);
    }
  };
}

export function insufficientScope(needed: Scope): ScimError {
  return new ScimError('insufficientScope', `This token lacks the "${needed}" scope`, { 'WWW-Authenticate': challenge('insufficient_scope', [needed]) });
}

/**
 * A token may hold the scope a request needs, yet ask to grant more than it holds (POST
 * /admin/tokens, rotate): also 403 insufficient_scope, naming the scopes it would need to hold.
 */
export function cannotGrant(refused: readonly Scope[], detail: string): ScimError {
  return new ScimError('insufficientScope', detail, { 'WWW-Authenticate': challenge('insufficient_scope', refused) });
}

export function requireScope(needed: Scope) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    next(grants(principalOf(res).scopes, needed) ? undefined : insufficientScope(needed));
  };
}
