import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';

/**
 * What any Standard Webhooks receiver does with a request: the `standardwebhooks` library (the
 * spec's reference implementation) checks the signature over id, timestamp and the raw body, and
 * refuses a timestamp more than 5 minutes away. True when it accepts the request.
 */
export function verifiedByStandardWebhooks(secret: string, headers: IncomingHttpHeaders | Record<string, string>, body: string): boolean {
  const plain = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value ?? '')]));
  try {
    new Webhook(secret).verify(body, plain, { jsonParse: false });
    return true;
  } catch {
    return false;
  }
}
