import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com, spec 1.0.0) symmetric signatures: the
 * secret is `whsec_` + base64 of the key; each request carries `webhook-id` (the event id, the
 * same on every retry), `webhook-timestamp` (Unix seconds of this attempt) and
 * `webhook-signature`: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, one per
 * secret, space-separated, so a receiver keeps verifying while a secret is being rotated.
 * Any Standard Webhooks verifier accepts these requests (test/webhooks/standard-webhooks.test.ts).
 */
const PREFIX = 'whsec_';
/** The spec asks for at least 24 bytes; HS256 (the "set" payload's JWS) for at least 32 (RFC 7518 §3.2). */
const MIN_KEY_BYTES = 32;
const MAX_KEY_BYTES = 64;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const SIGNING_SECRET_RULE = `must be "whsec_" followed by the base64 of ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} random bytes (e.g. echo "whsec_$(openssl rand -base64 32)")`;

export function isSigningSecret(secret: string): boolean {
  if (!secret.startsWith(PREFIX) || !BASE64.test(secret.slice(PREFIX.length))) return false;
  const length = signingKey(secret).length;
  return length >= MIN_KEY_BYTES && length <= MAX_KEY_BYTES;
}

/** The key a `whsec_` secret stands for. */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.slice(PREFIX.length), 'base64');
}

export function signatureHeaders(secrets: readonly string[], id: string, body: string, now: Date): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signed = `${id}.${timestamp}.${body}`;
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': secrets.map((secret) => `v1,${createHmac('sha256', signingKey(secret)).update(signed).digest('base64')}`).join(' '),
    // For receivers that deduplicate by the IETF Idempotency-Key header rather than webhook-id.
    'Idempotency-Key': id,
  };
}
