import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { loadConfig } from '../../src/config.js';
import { EXAMPLE_POLICY_FILE, loadPolicy } from '../../src/lifecycle/policy/load.js';
import { registerExtensionDirectory } from '../../src/scim/extension-files.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { scimClient, type ScimClient } from './scim-client.js';

/** Our app in this process on `uri`, listening on a loopback port (real HTTP, no background work); `env` adds configuration. */
export async function startInProcess(uri: string, token: string, env: Record<string, string> = {}): Promise<{ api: ScimClient; origin: string; close(): Promise<void> }> {
  const config = loadConfig({ SCIM_BEARER_TOKEN: token, RATE_LIMIT_PER_SECOND: '0', ...env });
  registerExtensionDirectory(config.schemaExtensionsDir);
  const storage = await createMongoStorage({ uri });
  const authenticator = createAuthenticator(config, storage.credentials);
  const app = createApp({ config, storage, authenticator, policy: loadPolicy(config.policyFile ?? EXAMPLE_POLICY_FILE), log: () => undefined });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    api: scimClient(`http://127.0.0.1:${port}`, token, 4),
    origin: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await storage.close();
    },
  };
}
