import { once } from 'node:events';
import type { Server } from 'node:http';
import { createApp } from './app.js';
import { createAuthenticator, ensureBootstrapToken } from './auth/authenticator.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { loadPolicy, PolicyError } from './lifecycle/policy/load.js';
import { routeEvents, startBackgroundWork, type BackgroundWork } from './lifecycle/background.js';
import { startEmbeddedEngine, type EmbeddedEngine } from './engine/embedded.js';
import { removeEngineFile, writeEngineFile } from './engine/engine-file.js';
import { createLogger, logTo } from './http/logging.js';
import { SCIM_BASE_PATH } from './http/scim-response.js';
import type { Storage } from './store/contract.js';
import { createMongoStorage } from './store/mongo/storage.js';
import { ExtensionError, registerExtensionDirectory } from './scim/extension-files.js';

const log = (message: string) => console.error(`[scim] ${message}`);

async function openEngine(config: Config): Promise<{ uri: string; engine?: EmbeddedEngine }> {
  if (config.mongodbUri) return { uri: config.mongodbUri };
  log(`MONGODB_URI is not set: starting the embedded engine (data in ${config.dataDir})`);
  const engine = await startEmbeddedEngine({ dataDir: config.dataDir, log });
  const uri = `${engine.uri}scim`;
  // Tools such as `policy re-evaluate` connect here instead of opening a second engine on the same files.
  await writeEngineFile(config.dataDir, { uri, pid: process.pid });
  const stop = async () => {
    await removeEngineFile(config.dataDir);
    await engine.stop();
  };
  return { uri, engine: { ...engine, stop } };
}

async function announceBootstrapToken(config: Config, storage: Storage): Promise<void> {
  if (config.bearerToken) return;
  const token = await ensureBootstrapToken(storage.credentials, config.defaultTenant);
  if (token) {
    // Printed once, on the first start; only its hash is kept.
    console.log(`\nGenerated bearer token for tenant "${config.defaultTenant}", scopes scim:read scim:write (shown only this once; store it now):\n\n  ${token}\n`);
  } else {
    log('using the bearer token generated on first start (set SCIM_BEARER_TOKEN to use your own)');
  }
}

function stopOnSignals(server: Server, shutdown: AbortController, background: BackgroundWork, storage: Storage, engine: EmbeddedEngine | undefined): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received: finishing in-flight requests`);
    // Event-stream polls waiting for events answer now rather than hold the shutdown for their long-poll time.
    shutdown.abort();
    server.close();
    server.closeIdleConnections();
    await once(server, 'close');
    // Deliveries in flight finish and their state is stored before the connection goes.
    await background.stop();
    await storage.close();
    await engine?.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

async function main(): Promise<void> {
  const config = loadConfig();
  // Before the policy, whose rules may name extension attributes, and before the app is built.
  const extensions = registerExtensionDirectory(config.schemaExtensionsDir);
  log(`schema extensions in ${config.schemaExtensionsDir}: ${extensions.map((extension) => `${extension.urn} (${extension.resourceType})`).join(', ') || 'none'}`);
  const policy = loadPolicy(config.policyFile);
  log(`access policy ${config.policyFile}: ${Object.keys(policy.roles).length} roles, ${policy.rules.length} rules`);
  const { uri, engine } = await openEngine(config);
  const storage = await createMongoStorage({ uri });
  await announceBootstrapToken(config, storage);
  const authenticator = createAuthenticator(config, storage.credentials);
  const jsonLog = logTo(createLogger());
  const shutdown = new AbortController();
  const server = createApp({ config, storage, authenticator, policy, webhooksFor: routeEvents(config), log: jsonLog, shutdown: shutdown.signal }).listen(config.port, config.host);
  await once(server, 'listening');
  log(`SCIM 2.0 service listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}${SCIM_BASE_PATH}`);
  const background = startBackgroundWork(config, storage, policy, jsonLog);
  stopOnSignals(server, shutdown, background, storage, engine);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof PolicyError || error instanceof ExtensionError ? `[scim] ${error.message}` : error);
  process.exit(1);
});
