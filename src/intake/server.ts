/**
 * The webhook intake's listener (WEBHOOK_HOST:WEBHOOK_PORT): only `/webhooks/<upstream>` paths,
 * apart from /healthz and /metrics so that only these face the internet (through a TLS proxy).
 *
 * A delivery is authenticated on its raw bytes first (the upstream's reader), then written to the
 * inbox, and only then answered 200 — a duplicate too. Whatever fails authentication is answered
 * 401/403/404 and forgotten: nothing stored, nothing logged, one counter. Bodies over 3 MB get 413
 * before they are read. Processing happens elsewhere (processor.ts), woken by `onRecorded`.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { WebhookMetrics } from '../observability/metrics.js';
import type { SecretScrubber } from '../secrets.js';
import type { WebhookReader } from '../sources/upstream.js';
import { clientAddress } from './addresses.js';
import { recordDelivery } from './inbox.js';

/** Meta's largest body (UPSTREAM.md §5). */
export const MAX_WEBHOOK_BYTES = 3 * 1024 * 1024;

/** One upstream's intake: its reader and its settings, or null settings when the source is disabled. */
export interface IntakeRoute {
  readonly upstream: string;
  // biome-ignore lint/suspicious/noExplicitAny: each route pairs a reader with its own upstream's config
  readonly reader: WebhookReader<any>;
  readonly config: unknown;
}

export interface IntakeServerDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly scrubber: SecretScrubber;
  readonly metrics: WebhookMetrics;
  readonly routes: readonly IntakeRoute[];
  readonly trustProxy: boolean;
  /** Told after a delivery is recorded (not for a duplicate): processing can start now. */
  readonly onRecorded: (upstream: string) => void;
}

export interface IntakeServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startIntakeServer(deps: IntakeServerDeps, listen: { host: string; port: number }): Promise<IntakeServer> {
  const app = buildIntake(deps);
  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  return { port, close: () => app.close() };
}

function buildIntake(deps: IntakeServerDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: MAX_WEBHOOK_BYTES, requestTimeout: 30_000, connectionTimeout: 30_000, return503OnClosing: true });
  // Every body as raw bytes, whatever its content type: signatures are over the bytes as received.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_WEBHOOK_BYTES }, (_request, body, done) => done(null, body));

  const upstreamOf = (url: string) => /^\/webhooks\/([a-z0-9]+)/.exec(url)?.[1] ?? 'unknown';
  app.setErrorHandler((error: { statusCode?: number; code?: string }, request, reply) => {
    if (error.statusCode === 413) {
      deps.metrics.rejected(upstreamOf(request.url), 'too_large');
      return reply.code(413).type('text/plain').send('payload too large');
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      deps.metrics.rejected(upstreamOf(request.url), 'malformed');
      return reply.code(error.statusCode).type('text/plain').send('bad request');
    }
    deps.log.error({ upstream: upstreamOf(request.url), error: deps.scrubber.describe(error) }, 'webhook intake: request failed');
    return reply.code(500).type('text/plain').send('internal error');
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain').send('not found'));

  for (const route of deps.routes) {
    const base = `/webhooks/${route.reader.path}`;
    const enabled = () => route.config !== null && route.reader.enabled(route.config);
    app.get(base, async (request, reply) => {
      const handshake = route.reader.handshake;
      if (!handshake || !enabled()) return notConfigured(route, reply);
      const answer = handshake(route.config, new URL(request.url, 'http://intake').searchParams);
      if (answer.reason) deps.metrics.rejected(route.upstream, answer.reason);
      return reply.code(answer.status).type('text/plain').send(answer.body);
    });
    /** What the reader authenticates: the request as received, with its body (empty before it is read). */
    const authenticate = (request: FastifyRequest<{ Params: { rest?: string } }>, rawBody: Buffer) =>
      route.reader.authenticate(route.config, {
        headers: request.headers,
        query: new URL(request.url, 'http://intake').searchParams,
        rest: request.params.rest ?? '',
        rawBody,
        remoteAddress: clientAddress(request.socket.remoteAddress ?? '', request.headers['x-forwarded-for'], deps.trustProxy),
      });
    const post = async (request: FastifyRequest<{ Params: { rest?: string } }>, reply: FastifyReply) => {
      if (!enabled()) return notConfigured(route, reply);
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const verdict = authenticate(request, rawBody);
      if (!verdict.ok) {
        deps.metrics.rejected(route.upstream, verdict.reason);
        return reply.code(verdict.status).type('text/plain').send(verdict.status === 404 ? 'not found' : verdict.status === 403 ? 'forbidden' : 'unauthorized');
      }
      let outcome: 'recorded' | 'duplicate';
      try {
        outcome = await recordDelivery(deps.db, { upstream: route.upstream, rawBody, at: deps.clock(), repeats: route.reader.sameBodyMayRepeat === true });
      } catch (error) {
        // Not recorded: not 200, so the sender tries again (Meta does, for days).
        deps.log.error({ upstream: route.upstream, error: deps.scrubber.describe(error) }, 'webhook intake: could not record a delivery');
        return reply.code(503).type('text/plain').send('try again later');
      }
      deps.metrics.received(route.upstream);
      if (outcome === 'duplicate') deps.metrics.duplicate(route.upstream);
      else deps.onRecorded(route.upstream);
      return reply.code(200).type('text/plain').send('ok');
    };
    // Before the body is read: a path that is off, or a wrong path token or address (99digital's
    // checks need no body), is answered 404/403 whatever the body's size, not 413.
    const early = async (request: FastifyRequest<{ Params: { rest?: string } }>, reply: FastifyReply) => {
      if (!enabled()) return notConfigured(route, reply);
      if (!route.reader.pathToken) return;
      const verdict = authenticate(request, Buffer.alloc(0));
      if (!verdict.ok) {
        deps.metrics.rejected(route.upstream, verdict.reason);
        return reply.code(verdict.status).type('text/plain').send(verdict.status === 404 ? 'not found' : 'forbidden');
      }
    };
    app.post(base, { onRequest: early }, post);
    if (route.reader.pathToken) app.post(`${base}/:rest`, { onRequest: early }, post);
  }

  const notConfigured = (route: IntakeRoute, reply: FastifyReply) => {
    deps.metrics.rejected(route.upstream, 'not_configured');
    return reply.code(404).type('text/plain').send('not found');
  };
  return app;
}
