import { randomBytes } from 'node:crypto';
import { isUsable } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import { tokenHash, tokensEqual } from '../auth/tokens.js';
import type { ConsoleConfig } from '../config.js';
import type { ConsoleSessionRecord, Storage } from '../store/contract.js';

/** What a session cookie holds: 256 random bits; only its hash is stored. */
const newSecret = () => randomBytes(32).toString('base64url');

export interface ConsoleSessions {
  /** Starts a session for a principal signed in with `token`; returns the cookie value. */
  start(principal: Principal, token: string): Promise<{ cookie: string; session: ConsoleSessionRecord }>;
  /** The live session of a cookie value, its activity recorded; null when unknown, idle too long, past its end, or its credential revoked. */
  resume(cookie: string): Promise<ConsoleSessionRecord | null>;
  end(cookie: string): Promise<void>;
}

/** Whether a form's CSRF field is the session's synchronizer token (constant time). */
export function csrfMatches(session: ConsoleSessionRecord, presented: unknown): boolean {
  return typeof presented === 'string' && presented !== '' && tokensEqual(presented, session.csrfToken);
}

/**
 * Server-side sessions in the database (every server process shares them), so signing out or a
 * timeout is immediate everywhere. The stored id is the SHA-256 of the cookie value. A session
 * also ends when the stored credential it was opened with is revoked or expires.
 */
export function createConsoleSessions(storage: Storage, config: ConsoleConfig, now: () => Date = () => new Date()): ConsoleSessions {
  return {
    async start(principal, token) {
      const at = now();
      // Sign-ins are rare: each clears the sessions that have ended, so the collection stays small.
      await storage.sessions.purge(at, new Date(at.getTime() - config.idleTimeoutMs));
      const absolute = at.getTime() + config.absoluteTimeoutMs;
      const cookie = newSecret();
      const session: ConsoleSessionRecord = {
        id: tokenHash(cookie),
        tenant: principal.tenant,
        credential: principal.credential,
        scopes: [...principal.scopes],
        csrfToken: newSecret(),
        credentialHash: tokenHash(token),
        ...(principal.expiresAt ? { credentialExpiresAt: principal.expiresAt } : {}),
        createdAt: at,
        lastSeenAt: at,
        expiresAt: new Date(principal.expiresAt ? Math.min(absolute, principal.expiresAt.getTime()) : absolute),
      };
      await storage.sessions.create(session);
      return { cookie, session };
    },

    async resume(cookie) {
      const id = tokenHash(cookie);
      const session = await storage.sessions.get(id);
      if (!session) return null;
      const at = now();
      const idle = at.getTime() - session.lastSeenAt.getTime() >= config.idleTimeoutMs;
      const credential = await storage.credentials.findByHash(session.credentialHash);
      // Static tokens (environment) and JWTs are not stored: their sessions end by the timeouts (and a JWT's expiry).
      const revoked = credential !== null && !isUsable(credential, at);
      if (idle || at >= session.expiresAt || revoked) {
        await storage.sessions.remove(id);
        return null;
      }
      await storage.sessions.touch(id, at);
      return { ...session, lastSeenAt: at };
    },

    async end(cookie) {
      await storage.sessions.remove(tokenHash(cookie));
    },
  };
}
