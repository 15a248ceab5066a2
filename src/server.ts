import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createApp } from './app.js';
import { createAuthenticator, ensureBootstrapToken } from './auth/authenticator.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { describePolicy, loadConfiguredPolicy, PolicyError } from './lifecycle/policy/load.js';
import { routeEvents, startBackgroundWork, type BackgroundWork } from './lifecycle/background.js';
import { EMBEDDED_DATABASE } from './engine/data-dir.js';
import { startEmbeddedEngine, type EmbeddedEngine } from './engine/embedded.js';
import { removeEngineFile, writeEngineFile } from './engine/engine-file.js';
import { gracefulClose, type GracefulClose } from './http/graceful-close.js';
import { createLogger, logTo, type Log } from './http/logging.js';
import { SCIM_BASE_PATH } from './http/scim-response.js';
import { commandLineOrExit } from './cli/run.js';
import { createMetrics } from './metrics/metrics.js';
import { serveMetrics } from './metrics/listener.js';
import { createDeliveryHealth, DELIVERY_HEALTH_TIMEOUT_MS, withTimeout } from './services/delivery-health.js';
import type { Storage } from './store/contract.js';
import { createMongoStorage } from './store/mongo/storage.js';
import { ExtensionError, registerExtensionDirectory } from './scim/extension-files.js';

/**
 * Everything the server process writes to stderr is a JSON line (pino): its own messages, request
 * lines, Node's process warnings and a crash. The only plain text is on stdout: the bootstrap token,
 * printed once for a person to copy. Until the configuration is read (it names LOG_LEVEL), lines are
 * written at info.
 */
let log: Log = logTo(createLogger());
const info = (msg: string, fields: Record<string, unknown> = {}) => log({ level: 'info', msg, ...fields });

process.removeAllListeners('warning');
process.on('warning', (warning) => log({ level: 'warn', msg: 'process warning', warning: warning.name, detail: warning.message }));
process.on('uncaughtException', (error) => {
  log({ level: 'fatal', msg: 'uncaught exception', error: error.stack ?? String(error) });
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  log({ level: 'fatal', msg: 'unhandled rejection', error: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) });
  process.exit(1);
});

async function openEngine(config: Config): Promise<{ uri: string; engine?: EmbeddedEngine }> {
  if (config.mongodbUri) return { uri: config.mongodbUri };
  info('MONGODB_URI is not set: starting the embedded engine', { dataDir: config.dataDir });
  const engine = await startEmbeddedEngine({
    dataDir: config.dataDir,
    log: (line) => info(line, { component: 'engine' }),
    onUnexpectedExit: (message) => log({ level: 'error', msg: message, component: 'engine' }),
  });
  const uri = `${engine.uri}${EMBEDDED_DATABASE}`;
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
    // Printed once, on the first start, for a person to copy (stdout, not the log); only its hash is kept.
    console.log(`\nGenerated bearer token for tenant "${config.defaultTenant}", scopes scim:read scim:write (shown only this once; store it now):\n\n  ${token}\n`);
    info('generated the bearer token of the first start and printed it on stdout', { tenant: config.defaultTenant });
  } else {
    info('using the bearer token generated on first start (set SCIM_BEARER_TOKEN to use your own)');
  }
}

/**
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish for up to `graceMs`, then cut the
 * connections still open (a stalled reader cannot hold the shutdown; its request is logged as
 * aborted), then stop background work, the database connection and, last, the embedded engine,
 * which runs in a session of its own and ignores these signals, so it outlives the drain even when
 * the whole process group (Ctrl-C) or control group (systemd) is signalled.
 */
function stopOnSignals(http: GracefulClose, metricsServer: Server | undefined, shutdown: AbortController, background: BackgroundWork, storage: Storage, engine: EmbeddedEngine | undefined, graceMs: number): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    info(`${signal} received: finishing in-flight requests (at most ${graceMs} ms)`, { signal, graceMs });
    // Event-stream polls waiting for events answer now rather than hold the shutdown for their long-poll time.
    shutdown.abort();
    // Scrapes stay possible while requests drain: the last counters of this process are collected.
    await http.close(graceMs, () => info(`shutdown grace of ${graceMs} ms passed: closing the connections still open`));
    metricsServer?.closeAllConnections();
    metricsServer?.close();
    // Deliveries in flight finish and their state is stored before the connection goes.
    await background.stop();
    await storage.close();
    await engine?.stop();
    info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

async function main(): Promise<void> {
  commandLineOrExit({
    name: 'server',
    invocation: 'npm start --',
    direct: 'node dist/src/server.js',
    command: {
      synopsis: '',
      summary: 'Starts the SCIM 2.0 server: /scim/v2 (Users, Groups, Bulk, discovery), /admin, /healthz and /readyz.',
      description:
        'Configured by environment variables only (MONGODB_URI or DATA_DIR, PORT, HOST, POLICY_FILE, …):\n' +
        'see "Configuration" in README.md. Stops cleanly on SIGTERM or Ctrl-C.',
      options: {},
    },
  });
  const config = loadConfig();
  log = logTo(createLogger(undefined, config.logLevel));
  // Before the policy, whose rules may name extension attributes, and before the app is built.
  const extensions = registerExtensionDirectory(config.schemaExtensionsDir);
  info(`schema extensions in ${config.schemaExtensionsDir}: ${extensions.map((extension) => `${extension.urn} (${extension.resourceType})`).join(', ') || 'none'}`);
  const policy = loadConfiguredPolicy(config.policyFile);
  log({ level: config.policyFile ? 'info' : 'warn', msg: describePolicy(config.policyFile, policy), roles: Object.keys(policy.roles).length, rules: policy.rules.length });
  const { uri, engine } = await openEngine(config);
  const storage = await createMongoStorage({ uri });
  await announceBootstrapToken(config, storage);
  const authenticator = createAuthenticator(config, storage.credentials);
  const shutdown = new AbortController();
  const webhookNames = config.webhooks.map((webhook) => webhook.name);
  const health = createDeliveryHealth(storage, webhookNames);
  const engineUp = () => withTimeout(storage.ping(), DELIVERY_HEALTH_TIMEOUT_MS, 'engine ping').then(() => true, () => false);
  const metrics = config.metrics ? createMetrics({ engineUp, health, webhookNames }) : undefined;
  const server = createServer(createApp({ config, storage, authenticator, policy, webhooksFor: routeEvents(config), log, shutdown: shutdown.signal, metrics, health }));
  const http = gracefulClose(server);
  // Before the SCIM listener, so that once the server says it listens, its metrics are served too.
  const metricsServer = metrics && config.metrics ? await serveMetrics(metrics, config.metrics, log) : undefined;
  if (metricsServer) info(`metrics listening on ${metricsServer.url}`, { url: metricsServer.url });
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}${SCIM_BASE_PATH}`;
  info(`SCIM 2.0 service listening on ${url}`, { url });
  const background = startBackgroundWork(config, storage, policy, log, metrics);
  stopOnSignals(http, metricsServer?.server, shutdown, background, storage, engine, config.shutdownGraceMs);
}

main().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof PolicyError || error instanceof ExtensionError;
  log({ level: 'fatal', msg: known ? error.message : 'the server could not start', ...(known ? {} : { error: error instanceof Error ? (error.stack ?? error.message) : String(error) }) });
  process.exit(1);
});
