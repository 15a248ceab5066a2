import type { NextFunction, Request, Response } from 'express';
import type { Authenticator, Principal } from '../../auth/authenticator.js';
import { ScimError } from '../../errors/scim-error.js';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="SCIM"' };

export function principalOf(res: Response): Principal {
  return res.locals['principal'] as Principal;
}

export function authenticate(authenticator: Authenticator) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1]) {
      next(new ScimError('unauthorized', 'A bearer token is required', CHALLENGE));
      return;
    }
    try {
      const principal = await authenticator(match[1]);
      if (!principal) {
        next(new ScimError('unauthorized', 'The bearer token is not valid', { 'WWW-Authenticate': 'Bearer realm="SCIM", error="invalid_token"' }));
        return;
      }
      res.locals['principal'] = principal;
      next();
    } catch (error) {
      next(error);
    }
  };
}
