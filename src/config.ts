import path from 'node:path';
import { z } from 'zod';
import { jwtConfigFrom, jwtEnvSchema, type JwtConfig } from './auth/jwt-config.js';
import { webhooksSchema, type WebhookConfig } from './lifecycle/webhooks/webhook-config.js';
import { DEFAULT_LIMITS, type Limits } from './scim/limits.js';
import { REPOSITORY_ROOT } from './repository-root.js';

/**
 * The one place that reads the environment. Everything else receives the frozen result, so a
 * misconfiguration fails at start-up with a message naming the variable, never mid-request.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Unset → the server starts its embedded engine. */
  readonly mongodbUri: string | undefined;
  readonly dataDir: string;
  /** DATA_DIR was not set: dataDir is ./.data in the working directory (the CLIs say so). */
  readonly dataDirIsDefault: boolean;
  /** Static bootstrap token for the default tenant; unset → a generated one kept as a hash. */
  readonly bearerToken: string | undefined;
  /** Base for Location and meta.location, e.g. https://scim.example.com/scim/v2; unset → from the request. */
  readonly publicBaseUrl: string | undefined;
  readonly defaultTenant: string;
  /** Static token with the `admin` scopes (audit:read, tokens:manage) on the default tenant (kept for compatibility; see docs/security.md). */
  readonly adminToken: string | undefined;
  /** OAuth 2.0 bearer JWTs; undefined when no JWT_* variable is set. */
  readonly jwt: JwtConfig | undefined;
  /** The access policy file (JSON, schemas/policy.schema.json), validated at start-up; undefined: the empty policy (no roles granted). */
  readonly policyFile: string | undefined;
  /** Where lifecycle events are delivered (WEBHOOKS); holds secrets, so never log it. */
  readonly webhooks: readonly WebhookConfig[];
  readonly webhookTimeoutMs: number;
  /** Ceiling of the exponential retry backoff. */
  readonly webhookMaxBackoffMs: number;
  /** How often an idle delivery worker looks for due deliveries. */
  readonly webhookPollMs: number;
  /** Events are removed from an event stream this long after they entered it, acknowledged or not. */
  readonly eventStreamRetentionDays: number;
  /** The longest an RFC 8936 poll without returnImmediately waits for events; 0 answers at once. */
  readonly eventStreamLongPollMs: number;
  readonly limits: Limits;
  readonly rateLimit: RateLimitConfig;
  /** Where the custom schema extension files are (docs/extensions.md). */
  readonly schemaExtensionsDir: string;
  /** Attributes and extension URNs no schema defines: dropped with a warning, or refused with 400. */
  readonly unknownAttributes: 'ignore' | 'reject';
  readonly requestBounds: RequestBoundsConfig;
  /** How long a shutdown waits for in-flight responses before it cuts their connections. */
  readonly shutdownGraceMs: number;
  /** The least severe log level written (pino's names; `silent` writes nothing). */
  readonly logLevel: LogLevel;
  /** Prometheus metrics on a listener of their own; undefined: not served. */
  readonly metrics: MetricsListenerConfig | undefined;
  readonly console: ConsoleConfig;
}

/** The admin console's sessions (docs/console.md): idle and absolute timeouts. */
export interface ConsoleConfig {
  /** A session unused this long ends. */
  readonly idleTimeoutMs: number;
  /** A session ends this long after sign-in, however active (sooner when the credential expires first). */
  readonly absoluteTimeoutMs: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where `GET /metrics` is served: never on the SCIM listener (docs/monitoring.md). */
export interface MetricsListenerConfig {
  readonly port: number;
  readonly host: string;
}

/** What one request may take of the server (docs/security.md, "Limits"). */
export interface RequestBoundsConfig {
  /** Reads of one request (queries, in-memory filter checks) stop at this deadline with 503. */
  readonly timeoutMs: number;
  /** Expensive queries (docs/security.md) one credential may run at once in this process. */
  readonly expensiveQueriesPerCredential: number;
}

/** A token bucket per credential: `burst` requests at once, refilled at `perSecond`; perSecond 0 turns it off. */
export interface RateLimitConfig {
  readonly perSecond: number;
  readonly burst: number;
}

/** Generous for IdP bursts: Entra expects at least 25 requests/s per tenant and quarantines on eager 429s. */
export const DEFAULT_RATE_LIMIT: RateLimitConfig = Object.freeze({ perSecond: 100, burst: 1000 });

export const DEFAULT_REQUEST_BOUNDS: RequestBoundsConfig = Object.freeze({ timeoutMs: 30_000, expensiveQueriesPerCredential: 2 });

function milliseconds(fallback: number) {
  return z.string().regex(/^\d+$/, 'must be a whole number of milliseconds').transform(Number).pipe(z.number().int().min(1)).default(fallback);
}

function count(fallback: number, min = 1) {
  return z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(2 ** 31)).default(fallback);
}

const MONGODB_URI_PATTERN = /^mongodb(\+srv)?:\/\/[^/?#\s]+(\/[^?#\s]*)?(\?[^#\s]*)?$/;

function port() {
  return z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(0).max(65535));
}

const envSchema = z.object({
  PORT: port().default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  MONGODB_URI: z
    .string()
    .regex(MONGODB_URI_PATTERN, 'must be a mongodb:// or mongodb+srv:// connection string with a host')
    .optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  SCIM_BEARER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  DEFAULT_TENANT: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "-" or "_"')
    .default('default'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  POLICY_FILE: z.string().min(1).optional(),
  WEBHOOKS: webhooksSchema.optional(),
  WEBHOOK_TIMEOUT_MS: milliseconds(10_000),
  WEBHOOK_MAX_BACKOFF_MS: milliseconds(3_600_000),
  WEBHOOK_POLL_MS: milliseconds(1_000),
  EVENT_STREAM_RETENTION_DAYS: count(30).pipe(z.number().max(3650, 'must be at most 3650 days')),
  EVENT_STREAM_LONG_POLL_SECONDS: count(30, 0).pipe(z.number().max(300, 'must be at most 300 seconds')),
  MAX_RESULTS: count(DEFAULT_LIMITS.maxResults),
  MAX_BODY_BYTES: count(DEFAULT_LIMITS.maxBodyBytes, 1024),
  MAX_FILTER_LENGTH: count(DEFAULT_LIMITS.maxFilterLength, 16),
  MAX_FILTER_DEPTH: count(DEFAULT_LIMITS.maxFilterDepth),
  MAX_BULK_OPERATIONS: count(DEFAULT_LIMITS.maxBulkOperations),
  MAX_BULK_PAYLOAD_BYTES: count(DEFAULT_LIMITS.maxBulkPayloadBytes, 1024),
  MAX_PATCH_OPERATIONS: count(DEFAULT_LIMITS.maxPatchOperations),
  MAX_PATCH_MEMBERS: count(DEFAULT_LIMITS.maxPatchMembers),
  MAX_ATTRIBUTE_PATH_LENGTH: count(DEFAULT_LIMITS.maxAttributePathLength, 64),
  MAX_FILTER_CANDIDATES: count(DEFAULT_LIMITS.maxFilterCandidates),
  REQUEST_TIMEOUT_MS: milliseconds(DEFAULT_REQUEST_BOUNDS.timeoutMs),
  MAX_EXPENSIVE_QUERIES_PER_CREDENTIAL: count(DEFAULT_REQUEST_BOUNDS.expensiveQueriesPerCredential),
  SHUTDOWN_GRACE_MS: milliseconds(30_000),
  RATE_LIMIT_PER_SECOND: count(DEFAULT_RATE_LIMIT.perSecond, 0),
  RATE_LIMIT_BURST: count(DEFAULT_RATE_LIMIT.burst),
  // The shipped directory wherever the command runs from; a value given is relative to the working directory.
  SCHEMA_EXTENSIONS_DIR: z.string().min(1).default(path.join(REPOSITORY_ROOT, 'schemas', 'extensions')),
  UNKNOWN_ATTRIBUTES: z.enum(['ignore', 'reject'], { error: 'must be "ignore" or "reject"' }).default('ignore'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  METRICS_PORT: port().optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  CONSOLE_SESSION_IDLE_SECONDS: count(900).pipe(z.number().max(86_400, 'must be at most 86400 seconds (a day)')),
  CONSOLE_SESSION_MAX_SECONDS: count(28_800).pipe(z.number().max(604_800, 'must be at most 604800 seconds (a week)')),
  ...jwtEnvSchema.shape,
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Empty strings count as unset: `PORT= npm start` should mean the default, not an error. */
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(definedOnly(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    throw new ConfigError('invalid configuration:\n  METRICS_PORT: must differ from PORT (metrics are never served on the SCIM listener)');
  }
  if (e.CONSOLE_SESSION_IDLE_SECONDS > e.CONSOLE_SESSION_MAX_SECONDS) {
    throw new ConfigError('invalid configuration:\n  CONSOLE_SESSION_IDLE_SECONDS: must not exceed CONSOLE_SESSION_MAX_SECONDS (a session ends at the absolute timeout anyway)');
  }
  const jwt = jwtConfigFrom(e, Object.keys(definedOnly(env)).some((name) => name.startsWith('JWT_')));
  if (Array.isArray(jwt)) {
    throw new ConfigError(`invalid configuration:\n${jwt.map((problem) => `  ${problem.variable}: ${problem.message}`).join('\n')}`);
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    mongodbUri: e.MONGODB_URI,
    dataDir: path.resolve(e.DATA_DIR),
    dataDirIsDefault: definedOnly(env)['DATA_DIR'] === undefined,
    bearerToken: e.SCIM_BEARER_TOKEN,
    publicBaseUrl: e.PUBLIC_BASE_URL,
    defaultTenant: e.DEFAULT_TENANT,
    policyFile: e.POLICY_FILE === undefined ? undefined : path.resolve(e.POLICY_FILE),
    adminToken: e.ADMIN_TOKEN,
    jwt,
    webhooks: e.WEBHOOKS ?? [],
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
    webhookMaxBackoffMs: e.WEBHOOK_MAX_BACKOFF_MS,
    webhookPollMs: e.WEBHOOK_POLL_MS,
    eventStreamRetentionDays: e.EVENT_STREAM_RETENTION_DAYS,
    eventStreamLongPollMs: e.EVENT_STREAM_LONG_POLL_SECONDS * 1000,
    limits: Object.freeze({
      maxResults: e.MAX_RESULTS,
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxFilterLength: e.MAX_FILTER_LENGTH,
      maxFilterDepth: e.MAX_FILTER_DEPTH,
      maxBulkOperations: e.MAX_BULK_OPERATIONS,
      maxBulkPayloadBytes: e.MAX_BULK_PAYLOAD_BYTES,
      maxPatchOperations: e.MAX_PATCH_OPERATIONS,
      maxPatchMembers: e.MAX_PATCH_MEMBERS,
      maxAttributePathLength: e.MAX_ATTRIBUTE_PATH_LENGTH,
      maxFilterCandidates: e.MAX_FILTER_CANDIDATES,
    }),
    rateLimit: Object.freeze({ perSecond: e.RATE_LIMIT_PER_SECOND, burst: e.RATE_LIMIT_BURST }),
    schemaExtensionsDir: path.resolve(e.SCHEMA_EXTENSIONS_DIR),
    unknownAttributes: e.UNKNOWN_ATTRIBUTES,
    requestBounds: Object.freeze({ timeoutMs: e.REQUEST_TIMEOUT_MS, expensiveQueriesPerCredential: e.MAX_EXPENSIVE_QUERIES_PER_CREDENTIAL }),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    logLevel: e.LOG_LEVEL,
    metrics: e.METRICS_PORT === undefined ? undefined : Object.freeze({ port: e.METRICS_PORT, host: e.METRICS_HOST }),
    console: Object.freeze({ idleTimeoutMs: e.CONSOLE_SESSION_IDLE_SECONDS * 1000, absoluteTimeoutMs: e.CONSOLE_SESSION_MAX_SECONDS * 1000 }),
  });
}
