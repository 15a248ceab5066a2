import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Request signing: `Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`.
 * The id and timestamp are signed with the body so a receiver can reject replays (an old
 * timestamp) and duplicates (an id it has processed: the event id, constant across retries).
 */
function hmac(secret: string, id: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('hex');
}

export function signatureHeaders(secret: string, id: string, body: string, now: Date): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    'Webhook-Id': id,
    'Idempotency-Key': id,
    'Webhook-Timestamp': timestamp,
    'Webhook-Signature': `v1=${hmac(secret, id, timestamp, body)}`,
  };
}

export interface SignedRequest {
  id: string;
  timestamp: string;
  signature: string;
  /** Exactly as received: re-serialised JSON would not match. */
  body: string;
}

export interface VerifyOptions {
  now?: Date;
  /** How far the timestamp may be from `now`; default 5 minutes. */
  toleranceSeconds?: number;
}

/** For receivers (and tests): a valid v1 signature over a recent timestamp. Constant-time comparison. */
export function verifySignature(secret: string, request: SignedRequest, options: VerifyOptions = {}): boolean {
  if (!/^\d+$/.test(request.timestamp) || !request.signature.startsWith('v1=')) return false;
  const nowSeconds = (options.now ?? new Date()).getTime() / 1000;
  if (Math.abs(nowSeconds - Number(request.timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(hmac(secret, request.id, request.timestamp, request.body), 'hex');
  const received = Buffer.from(request.signature.slice('v1='.length), 'hex');
  return received.length === expected.length && timingSafeEqual(received, expected);
}
