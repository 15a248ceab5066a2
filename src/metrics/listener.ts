import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsListenerConfig } from '../config.js';
import type { Log } from '../http/logging.js';
import type { Metrics } from './metrics.js';

/**
 * `GET /metrics` on a listener of its own (METRICS_PORT, METRICS_HOST default 127.0.0.1), never on
 * the SCIM listener: metrics cover every tenant (stream names carry their tenant), so they are for
 * whoever can reach this port (docs/security.md), and each process is scraped directly rather than
 * through a load balancer that would mix the counters of several processes. Anything else is 404.
 */
export async function serveMetrics(metrics: Metrics, { port, host }: MetricsListenerConfig, log: Log): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found: metrics are at GET /metrics\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, text }) => {
        res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        log({ level: 'error', msg: 'metrics scrape failed', error: error instanceof Error ? error.stack : String(error) });
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('metrics scrape failed\n');
      },
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${shown}:${address.port}/metrics` };
}
