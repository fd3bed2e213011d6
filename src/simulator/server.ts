/**
 * Loopback HTTP server hosting the upstream fakes under path prefixes, for the demo, tests and
 * the benchmark. Each fake is a handler that answers the requests under its prefix.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface SimRequest {
  readonly method: string;
  /** Path below the fake's prefix, e.g. "/whatsapp/getAccounts". */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** Absolute URL of the fake's root, for links such as paging.next. */
  readonly baseUrl: string;
}

export interface SimResponse {
  readonly status: number;
  /** A JSON value, or raw text when `raw` is set (for malformed-payload faults). */
  readonly body?: unknown;
  readonly raw?: string;
  readonly headers?: Record<string, string>;
  /** Delay before answering. */
  readonly delayMs?: number;
}

export type SimHandler = (request: SimRequest) => SimResponse | Promise<SimResponse>;

/** A request as it arrived, before its fake answers it (the benchmark replays these to measure its read floor). */
export interface ObservedRequest {
  /** The mount the request went to, e.g. "/meta". */
  readonly prefix: string;
  readonly method: string;
  /** Path and query as sent, the prefix included. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface SimulatorOptions {
  /** Called with every request a fake answers, before it answers; must not throw. */
  readonly observe?: (request: ObservedRequest) => void;
}

export interface RunningSimulator {
  readonly url: string;
  /** Absolute base URL of the fake mounted at `prefix`. */
  urlOf(prefix: string): string;
  close(): Promise<void>;
}

export async function startSimulator(mounts: Record<string, SimHandler>, port = 0, options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  let url = '';
  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(error) }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const parsed = new URL(req.url ?? '/', url);
    const prefix = prefixes.find((p) => parsed.pathname === p || parsed.pathname.startsWith(`${p}/`));
    if (prefix === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such simulator"}');
      return;
    }
    const method = req.method ?? 'GET';
    const body = Buffer.concat(chunks).toString('utf8');
    options.observe?.({ prefix, method, url: req.url ?? '/', headers: req.headers, body });
    const response = await mounts[prefix]!({
      method,
      path: parsed.pathname.slice(prefix.length) || '/',
      query: parsed.searchParams,
      headers: req.headers,
      body,
      baseUrl: `${url}${prefix}`,
    });
    // The delay counts from the request's arrival, like a real server's answer time, which holds
    // its own work: the fakes' computing (one thread for all requests) is not added on top of it.
    const text = response.raw ?? JSON.stringify(response.body ?? null);
    const wait = (response.delayMs ?? 0) - (performance.now() - arrived);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (res.destroyed) return;
    res.writeHead(response.status, { 'content-type': 'application/json', ...response.headers });
    res.end(text);
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    urlOf: (prefix) => `${url}${prefix}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
