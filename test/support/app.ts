import type { Express } from 'express';
import supertest from 'supertest';
import { createApp, type AppDeps } from '../../src/app.js';
import { EXAMPLE_POLICY_FILE, loadConfiguredPolicy, loadPolicy } from '../../src/lifecycle/policy/load.js';
import type { Policy } from '../../src/lifecycle/policy/types.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Storage } from '../../src/store/contract.js';
import { createServices } from '../../src/services/wiring.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { registerExtensionDirectory } from '../../src/scim/extension-files.js';
import { testDatabaseUri, uniqueDbName } from './engine.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** The shipped example policy, which tests grant roles by (the server itself starts without one unless POLICY_FILE names it). */
export function examplePolicy(): Policy {
  return loadPolicy(EXAMPLE_POLICY_FILE);
}

export interface TestApp {
  app: Express;
  storage: Storage;
  config: Config;
  /** The database this app uses (for raw document checks through a MongoClient). */
  dbName?: string;
  /** A supertest agent whose requests carry the test bearer token. */
  scim: {
    get(path: string): supertest.Test;
    post(path: string): supertest.Test;
    put(path: string): supertest.Test;
    patch(path: string): supertest.Test;
    delete(path: string): supertest.Test;
  };
  close(): Promise<void>;
}

/** The app in-process on a database of its own (one per test file). */
export interface TestAppOptions {
  /** Defaults to the shipped example policy (startTestApp sets POLICY_FILE to it unless `env` names another). */
  policy?: Policy;
  webhooksFor?: AppDeps['webhooksFor'];
  onEvents?: AppDeps['onEvents'];
  hooks?: AppDeps['hooks'];
  /** Collects the app's log entries; discarded by default. */
  log?: AppDeps['log'];
  shutdown?: AppDeps['shutdown'];
  metrics?: AppDeps['metrics'];
  health?: AppDeps['health'];
}

export async function startTestApp(fileTag: string, env: NodeJS.ProcessEnv = {}, options: TestAppOptions = {}): Promise<TestApp> {
  // Tests fire requests far faster than any IdP; the rate limit is tested on its own with a tiny limit.
  const config = loadConfig({ SCIM_BEARER_TOKEN: TEST_TOKEN, RATE_LIMIT_PER_SECOND: '0', POLICY_FILE: EXAMPLE_POLICY_FILE, ...env });
  // Registered once per process (test/support/schema-extensions.ts): another directory needs a server process of its own.
  registerExtensionDirectory(config.schemaExtensionsDir);
  return appOn(config, uniqueDbName(fileTag), options);
}

/**
 * Another app on `first`'s database, with its own storage (driver pool) and so its own in-process
 * turn-taking and document locks: what another server process on the same database has.
 */
export function startAnotherApp(first: TestApp, options: TestAppOptions = {}): Promise<TestApp> {
  if (!first.dbName) throw new Error('the first app has no database name');
  return appOn(first.config, first.dbName, options);
}

async function appOn(config: Config, dbName: string, options: TestAppOptions): Promise<TestApp> {
  const policy = options.policy ?? loadConfiguredPolicy(config.policyFile);
  const storage = await createMongoStorage({ uri: testDatabaseUri(dbName) });
  const authenticator = createAuthenticator(config, storage.credentials);
  const app = createApp({ config, storage, authenticator, policy, log: () => undefined, ...options });
  const agent = supertest(app);
  const withAuth = (test: supertest.Test) => test.set('Authorization', `Bearer ${TEST_TOKEN}`);
  return {
    app,
    storage,
    config,
    dbName,
    scim: {
      get: (path) => withAuth(agent.get(`/scim/v2${path}`)),
      post: (path) => withAuth(agent.post(`/scim/v2${path}`)),
      put: (path) => withAuth(agent.put(`/scim/v2${path}`)),
      patch: (path) => withAuth(agent.patch(`/scim/v2${path}`)),
      delete: (path) => withAuth(agent.delete(`/scim/v2${path}`)),
    },
    close: () => storage.close(),
  };
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** Every user carries the server-derived lifecycle extension. */
export const LIFECYCLE = 'urn:scim-identity-server:schemas:extension:lifecycle:1.0:User';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export function user(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [USER_SCHEMA], userName, active: true, ...extra };
}

export function group(displayName: string, members: string[] = []): Record<string, unknown> {
  return { schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })) };
}

/** Asserts an RFC 7644 §3.12 error response. */
export function assertScimError(response: supertest.Response, status: number, scimType?: string): void {
  const body = response.body as Record<string, unknown>;
  const context = `${response.status} ${JSON.stringify(body)}`;
  if (response.status !== status) throw new Error(`expected status ${status}, got ${context}`);
  if (!String(response.headers['content-type']).startsWith('application/scim+json')) throw new Error(`expected application/scim+json, got ${response.headers['content-type']}`);
  if (!Array.isArray(body['schemas']) || body['schemas'][0] !== ERROR_SCHEMA) throw new Error(`not a SCIM error body: ${context}`);
  if (body['status'] !== String(status)) throw new Error(`body status mismatch: ${context}`);
  if (scimType !== undefined && body['scimType'] !== scimType) throw new Error(`expected scimType ${scimType}: ${context}`);
}

/**
 * The relay's sweep as the server's background work runs it, over this app's database. The default
 * cut-off includes documents written just now (the server leaves those to their request for 30 s).
 */
export function sweep(t: TestApp, writtenBefore = new Date(Date.now() + 60_000)): Promise<number> {
  const policy = loadConfiguredPolicy(t.config.policyFile);
  return createServices({ storage: t.storage, policy, webhooksFor: () => [], log: () => undefined }).sweep(writtenBefore);
}
