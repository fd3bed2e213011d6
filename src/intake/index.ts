/**
 * The webhook intake as the daemon runs it: the listener (only when WEBHOOK_PORT is set) and the
 * inbox processor (whenever an enabled source has its webhook secret set — a daemon without the
 * listener still processes what another daemon on the same database recorded).
 */
import type { App } from '../app.js';
import { notifyAfterSync } from '../notify/mailer.js';
import type { Metrics } from '../observability/metrics.js';
import { UPSTREAMS } from '../sources/registry.js';
import type { WebhookReader } from '../sources/upstream.js';
import type { SourceLocks } from '../sync/source-locks.js';
import type { Source } from '../sync/types.js';
import { type IntakeProcessor, startIntakeProcessor } from './processor.js';
import { type IntakeRoute, type IntakeServer, startIntakeServer } from './server.js';

export interface Intake {
  /** The listener's port, or null when WEBHOOK_PORT is unset. */
  readonly port: number | null;
  readonly processor: IntakeProcessor | null;
  /** The upstreams whose webhooks are configured (and source enabled). */
  readonly upstreams: readonly string[];
  stop(): Promise<void>;
}

/** Each upstream with a webhook reader, with its settings (null when the source is disabled). */
export function intakeRoutes(app: Pick<App, 'config'>): IntakeRoute[] {
  return UPSTREAMS.filter((upstream) => upstream.webhook).map((upstream) => ({
    upstream: upstream.name,
    reader: upstream.webhook!,
    config: app.config[upstream.name] ?? null,
  }));
}

export async function startIntake(
  app: App,
  deps: { metrics: Metrics; locks: SourceLocks; signal: AbortSignal; pollMs?: number; onProcessed?: () => void },
): Promise<Intake> {
  const routes = intakeRoutes(app);
  const lanes = new Map<string, { source: Source; reader: WebhookReader<unknown> }>();
  for (const route of routes) {
    const source = app.sources.get(route.upstream as never);
    if (source && route.config !== null && route.reader.enabled(route.config)) lanes.set(route.upstream, { source, reader: route.reader });
  }
  const processor =
    lanes.size === 0
      ? null
      : startIntakeProcessor({
          db: app.db,
          clock: app.clock,
          log: app.log,
          scrubber: app.scrubber,
          metrics: deps.metrics,
          locks: deps.locks,
          signal: deps.signal,
          lanes,
          alertTo: app.config.mail.alertTo,
          fullPullMinIntervalSeconds: app.config.webhook.fullPullMinIntervalSeconds,
          pollMs: deps.pollMs,
          onProcessed: deps.onProcessed,
          notify: async () => {
            await notifyAfterSync({ db: app.db, clock: app.clock, log: app.log, config: app.config, scrubber: app.scrubber });
          },
        });
  let server: IntakeServer | null = null;
  const { port, host, trustProxy } = app.config.webhook;
  if (port !== null) {
    try {
      server = await startIntakeServer(
        { db: app.db, clock: app.clock, log: app.log, scrubber: app.scrubber, metrics: deps.metrics.webhooks, routes, trustProxy, onRecorded: (upstream) => processor?.wake(upstream) },
        { host, port },
      );
    } catch (error) {
      await processor?.stop();
      throw error;
    }
    const open = routes.filter((route) => route.config !== null && route.reader.enabled(route.config)).map((route) => route.upstream);
    app.log.info({ host, port: server.port, upstreams: open }, `webhook intake on ${host.includes(':') ? `[${host}]` : host}:${server.port}/webhooks/ (${open.join(', ') || 'no upstream configured'})`);
  }
  return {
    port: server?.port ?? null,
    processor,
    upstreams: [...lanes.keys()],
    async stop() {
      await server?.close();
      await processor?.stop();
    },
  };
}
