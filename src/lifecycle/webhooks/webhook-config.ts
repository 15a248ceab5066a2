import { z } from 'zod';
import { EVENT_TYPES, type LifecycleEvent } from '../types.js';
import { isSigningSecret, SIGNING_SECRET_RULE } from './signature.js';

/** A Standard Webhooks symmetric secret (`whsec_` + base64); messages never quote it. */
const signingSecret = z.string().refine(isSigningSecret, SIGNING_SECRET_RULE);

// Names exclude "|": delivery and lease ids are built as `${eventId}|${webhook}|…`.
const webhookSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'must be 1-64 lower-case letters, digits, "-" or "_"'),
  url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
  /** Signs every request (and keys a "set" payload's HS256 JWS). */
  secret: signingSecret,
  /** Rotation: requests are signed with these too, until the receiver has the new secret. */
  previousSecrets: z.array(signingSecret).max(4, 'must list at most 4 secrets').optional(),
  /** Omitted: every event type. */
  events: z.array(z.enum(EVENT_TYPES)).min(1, 'must list at least one event type (omit it for all)').optional(),
  /** "json": our envelope; "set": an RFC 9967 Security Event Token. */
  format: z.enum(['json', 'set']).default('json'),
});

export type WebhookConfig = z.output<typeof webhookSchema>;

/**
 * The WEBHOOKS variable: a JSON array of webhooks with unique names. Messages never quote the
 * input, which holds secrets (JSON.parse's own message would).
 */
export const webhooksSchema = z
  .string()
  .transform((text, context): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      context.addIssue({ code: 'custom', message: 'must be a JSON array of webhooks (the value is not valid JSON)' });
      return z.NEVER;
    }
  })
  .pipe(
    z.array(webhookSchema).superRefine((webhooks, context) => {
      webhooks.forEach((webhook, index) => {
        if (webhooks.findIndex((other) => other.name === webhook.name) < index) {
          context.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate webhook name "${webhook.name}"` });
        }
      });
    }),
  );

/** The webhooks subscribed to this event: the names to pass to EventStore.append with it. */
export function webhooksFor(event: LifecycleEvent, webhooks: readonly WebhookConfig[]): string[] {
  return webhooks.filter((webhook) => !webhook.events || webhook.events.includes(event.type)).map((webhook) => webhook.name);
}
