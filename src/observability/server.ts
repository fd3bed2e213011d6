/** The daemon's HTTP side: GET /healthz (JSON, 200 or 503) and GET /metrics (Prometheus text). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Health } from './health.js';
import type { Metrics } from './metrics.js';

export interface ObservabilityServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startObservabilityServer(
  port: number,
  deps: { metrics: Metrics; health: () => Promise<Health>; onError: (error: unknown) => void },
): Promise<ObservabilityServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const answer = async () => {
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end();
      } else if (path === '/healthz') {
        const health = await deps.health();
        res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(health)}\n`);
      } else if (path === '/metrics') {
        const text = await deps.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType }).end(text);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
      }
    };
    answer().catch((error) => {
      deps.onError(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
