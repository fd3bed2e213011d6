/**
 * The daemon's HTTP side: GET /healthz (JSON, 200 or 503) and GET /metrics (Prometheus text);
 * every other path goes to the web console when CONSOLE_USERS turns it on (src/console/), else 404.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthReport } from './health.js';
import type { Metrics } from './metrics.js';

export interface ObservabilityServer {
  readonly port: number;
  /**
   * Answers from now on with `deps`: the daemon waiting for its database serves a 503 naming it,
   * then hands the same listening socket to the running daemon (the port never closes meanwhile).
   */
  use(deps: ObservabilityDeps): void;
  close(): Promise<void>;
}

export interface ListenOn {
  /** HTTP_HOST: the interface to listen on (default 127.0.0.1: not reachable from the network). */
  readonly host: string;
  /** HTTP_PORT; 0 = any free port. */
  readonly port: number;
}

export interface ObservabilityDeps {
  readonly metrics: Pick<Metrics, 'registry'>;
  readonly health: () => Promise<HealthReport>;
  readonly onError: (error: unknown) => void;
  /** The web console's request handler; absent: only /healthz and /metrics, anything else 404. */
  readonly console?: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * A slow or silent client must not hold a socket for long: the whole request (headers and body)
 * within 10 s, and the same bound on an idle keep-alive connection.
 */
const REQUEST_TIMEOUT_MS = 10_000;

export async function startObservabilityServer(listen: ListenOn, initialDeps: ObservabilityDeps): Promise<ObservabilityServer> {
  let deps = initialDeps;
  const server: Server = createServer((req, res) => {
    // One error boundary for everything a request can do, synchronous parsing included: every
    // request gets an answer and its socket back, whatever its path.
    answer(req, res, deps).catch((error) => {
      deps.onError(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = 5_000;
  server.setTimeout(REQUEST_TIMEOUT_MS, (socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    use(next) {
      deps = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, deps: ObservabilityDeps): Promise<void> {
  const path = requestPath(req.url);
  if (path === null) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request\n');
  } else if (path !== '/healthz' && path !== '/metrics' && deps.console) {
    deps.console(req, res);
  } else if (req.method !== 'GET') {
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
}

/**
 * The path of an origin-form request target, or null when it is not one. Parsed against a fixed
 * base, so `//host/x` (which `new URL` would read as a host) stays a path and never throws.
 */
function requestPath(target: string | undefined): string | null {
  if (!target?.startsWith('/')) return null;
  try {
    return new URL(`http://localhost${target}`).pathname;
  } catch {
    return null;
  }
}
