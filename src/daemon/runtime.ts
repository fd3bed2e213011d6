/**
 * The daemon's moving parts, apart from process signals so tests can start and stop it in-process:
 * node-cron tasks for the schedule table (in TIMEZONE), one run of a job at a time, catch-up once
 * at start, /healthz and /metrics, and a stop that aborts in-flight pulls and waits for them.
 * Several daemons may share one database (PostgreSQL, any hosts): each scheduled firing runs in
 * the one daemon that claims it (job-claim.ts), and the start-up catch-up in the one that holds
 * the `catch-up` lease — the others' catch-up, run later, finds nothing left due.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { scheduleTable } from '../../jobs/schedule.js';
import type { JobContext, JobDefinition, JobSummary } from '../../jobs/types.js';
import type { App } from '../app.js';
import { databaseError, isDatabaseError } from '../../db/database.js';
import { createDatabaseProbe, databaseDown } from '../observability/database-probe.js';
import { type HealthReport, healthMaxFullAgeSeconds, readHealth } from '../observability/health.js';
import { type Metrics, createMetrics } from '../observability/metrics.js';
import { type ObservabilityServer, startObservabilityServer } from '../observability/server.js';
import { processHolder, withLease } from '../sync/lease.js';
import { SourceLocks } from '../sync/source-locks.js';
import { type Intake, startIntake } from '../intake/index.js';
import { intakeSummary } from '../intake/inbox.js';
import { pullSources } from '../../jobs/sync.js';
import { claimFiring } from './job-claim.js';
import { type ConsoleHost, startConsoleFor } from '../console/index.js';
import { TAKEOVER_CHECK_MS, abandonedPulls } from './takeover.js';
import { type Dispatcher, createDispatcher } from '../delivery/dispatcher.js';
import { startDispatcherThread } from '../delivery/thread.js';
import { systemClock } from '../clock.js';

export interface Daemon {
  readonly port: number;
  /** The webhook intake's port, null when WEBHOOK_PORT is unset. */
  readonly webhookPort: number | null;
  /** The webhook intake (its processor runs whenever a webhook secret is set). */
  readonly intake: Intake;
  /** Outgoing event delivery (issue 19): looks every `deliveryPollMs`, and at once after a job or a processed webhook. */
  readonly dispatcher: Dispatcher;
  readonly metrics: Metrics;
  readonly jobs: readonly { name: string; cron: string; nextRun: Date | null }[];
  /** Resolves when the start-up catch-up has finished. */
  readonly caughtUp: Promise<void>;
  /** Stop scheduling, abort in-flight HTTP, wait for running jobs (at most `graceMs`), close. */
  stop(graceMs?: number): Promise<void>;
}

export interface DaemonOptions {
  /** Overrides the schedule table (tests). */
  jobs?: JobDefinition[];
  /** An already listening /healthz server (the one that answered while the daemon waited for its database): serves this daemon from now on. */
  server?: ObservabilityServer;
  /** How often to look for pulls a dead process left running (default TAKEOVER_CHECK_MS). */
  takeoverCheckMs?: number;
  /** How often the webhook inbox is looked at without a wake-up (default 2 s). */
  intakePollMs?: number;
  /** How often new events are looked for without a wake-up (default 250 ms). */
  deliveryPollMs?: number;
}

/**
 * Delivery on a thread of its own (delivery/thread.ts) when there is something to deliver and the
 * clock is the system's; in-process otherwise, and when the thread can't start.
 */
async function startDispatcher(app: App, options: { holder: string; metrics: Metrics; pollMs?: number; inProcess: () => Dispatcher }): Promise<Dispatcher> {
  const delivery = app.config.delivery;
  if (app.clock !== systemClock || (delivery.subscriptions.length === 0 && !delivery.chatUrl)) return options.inProcess();
  try {
    return await startDispatcherThread({ start: { config: app.config, holder: options.holder, pollMs: options.pollMs }, log: app.log, metrics: options.metrics.deliveries, fallback: options.inProcess });
  } catch (error) {
    app.log.error({ err: { message: app.scrubber.describe(error) } }, 'the event delivery thread could not start; delivering from the main thread instead');
    return options.inProcess();
  }
}

export async function startDaemon(app: App, options: DaemonOptions = {}): Promise<Daemon> {
  const { log } = app;
  const controller = new AbortController();
  const locks = new SourceLocks();
  const metrics = createMetrics(app.db, () => [...app.sources.keys()]);
  const ctx: JobContext = { app, signal: controller.signal, locks, metrics };
  const running = new Map<string, Promise<void>>();
  const holder = processHolder();
  let stopping = false;
  const inProcess = () => createDispatcher({ db: app.db, clock: app.clock, log, config: app.config, scrubber: app.scrubber, metrics: metrics.deliveries, holder }, { pollMs: options.deliveryPollMs });
  const dispatcher = await startDispatcher(app, { holder, metrics, pollMs: options.deliveryPollMs, inProcess });

  /** `slot`: the scheduled firing's time (node-cron's), claimed once across daemons. */
  const runJob = (job: JobDefinition, reason: 'scheduled' | 'catch-up' | 'takeover', slot?: Date): Promise<void> => {
    if (stopping) return Promise.resolve();
    if (running.has(job.name)) {
      log.warn({ job: job.name, reason }, `${job.name} skipped: the previous run is still going`);
      metrics.recordJob(job.name, 'skipped', 0);
      return Promise.resolve();
    }
    const started = Date.now();
    const work = (async () => {
      let summary: JobSummary | null = null;
      try {
        if (slot && !(await claimFiring(app.db, { job: job.name, scheduledAt: slot }, holder, app.clock()))) {
          log.info({ job: job.name, reason, slot: slot.toISOString() }, `${job.name} skipped: another daemon runs this firing`);
          metrics.recordJob(job.name, 'skipped', 0);
          return;
        }
        summary = reason === 'catch-up' && job.catchUp ? await job.catchUp(ctx) : await job.run(ctx);
        const seconds = (Date.now() - started) / 1000;
        if (summary !== null) {
          metrics.recordJob(job.name, 'ok', seconds);
          log.info({ job: job.name, reason, ...(slot ? { slot: slot.toISOString() } : {}), durationMs: Date.now() - started, ...summary }, `${job.name} finished`);
        }
      } catch (error) {
        // A failing job never takes the daemon down.
        metrics.recordJob(job.name, 'failed', (Date.now() - started) / 1000);
        metrics.recordUnexpectedError(job.name);
        // The database gone (a server restart): name it, password masked; the next run retries.
        const named = isDatabaseError(error) ? databaseError(app.config.databasePath, 'failed', error) : error;
        log.error({ job: job.name, reason, error: app.scrubber.describe(named) }, `${job.name} failed`);
      } finally {
        running.delete(job.name);
        // A pull may have written events: deliver them now rather than at the next look.
        dispatcher.wake();
      }
    })();
    running.set(job.name, work);
    return work;
  };

  const definitions = options.jobs ?? scheduleTable(app.config);
  const tasks: ScheduledTask[] = [];
  for (const job of definitions) {
    const task = cron.schedule(job.cron, (context) => runJob(job, 'scheduled', context.date), {
      name: job.name,
      timezone: app.config.timezone,
      noOverlap: true,
      logger: {
        info: (message) => log.debug({ job: job.name }, String(message)),
        warn: (message) => log.warn({ job: job.name }, String(message)),
        error: (message) => log.error({ job: job.name }, String(message)),
        debug: (message) => log.debug({ job: job.name }, String(message)),
      },
    });
    tasks.push(task);
  }

  // /healthz asks the database first (a cheap select 1): while it does not answer, a 503 naming
  // it; the freshness read from it only when it does.
  const probe = createDatabaseProbe(app.db, app.config.databasePath, app.scrubber);
  const health = async (): Promise<HealthReport> => {
    const database = await probe();
    if (!database.ok) return { ok: false, checkedAt: app.clock().toISOString(), database };
    try {
      const sources = [...app.sources.values()].map((source) => ({ name: source.name, supportsIncremental: source.supportsIncremental }));
      const freshness = await readHealth(app.db, sources, app.clock(), { maxAgeSeconds: app.config.healthMaxAgeSeconds, maxFullAgeSeconds: healthMaxFullAgeSeconds(app.config) });
      const upstreams = intake.upstreams;
      return { ...freshness, database, ...(upstreams.length > 0 ? { intake: await intakeSummary(app.db, upstreams) } : {}) };
    } catch (error) {
      // Gone between the probe and the read.
      if (!isDatabaseError(error)) throw error;
      return { ok: false, checkedAt: app.clock().toISOString(), database: databaseDown(app.config.databasePath, error, app.scrubber) };
    }
  };
  const onHttpError = (error: unknown) => {
    metrics.recordUnexpectedError('http');
    log.error({ error: app.scrubber.describe(error) }, 'health/metrics/console request failed');
  };
  // The web console on the same port (CONSOLE_USERS; null when unset: `/` stays 404).
  let consoleHost: ConsoleHost | null;
  try {
    consoleHost = await startConsoleFor(app, { locks, signal: controller.signal, onRun: (result) => metrics.recordRun(result), onError: onHttpError });
  } catch (error) {
    for (const task of tasks) await task.destroy();
    throw error;
  }
  const serverDeps = { metrics, health, onError: onHttpError, ...(consoleHost ? { console: consoleHost.handler } : {}) };
  let server: ObservabilityServer;
  try {
    if (options.server) {
      server = options.server;
      server.use(serverDeps);
    } else {
      server = await startObservabilityServer({ host: app.config.httpHost, port: app.config.httpPort }, serverDeps);
    }
  } catch (error) {
    await dispatcher.stop();
    for (const task of tasks) await task.destroy();
    throw error;
  }

  let intake: Intake;
  try {
    // Processing a webhook may write events (targeted pulls, account updates): wake the dispatcher.
    intake = await startIntake(app, { metrics, locks, signal: controller.signal, pollMs: options.intakePollMs, onProcessed: () => dispatcher.wake() });
  } catch (error) {
    await dispatcher.stop();
    for (const task of tasks) await task.destroy();
    await server.close();
    throw error;
  }

  const jobs = definitions.map((job, i) => ({ name: job.name, cron: job.cron, nextRun: tasks[i]!.getNextRun() }));
  for (const job of jobs) {
    log.info({ job: job.name, cron: job.cron, timezone: app.config.timezone, next: job.nextRun?.toISOString() ?? null }, `scheduled ${job.name}`);
  }
  log.info({ host: app.config.httpHost, port: server.port }, `health and metrics on http://${hostForUrl(app.config.httpHost)}:${server.port}/healthz and /metrics`);
  if (consoleHost) log.info({ host: app.config.httpHost, port: server.port }, `web console on http://${hostForUrl(app.config.httpHost)}:${server.port}/`);

  // Catch up once, in table order (a full pull before the digest that reports it), and once for
  // every daemon on the database: another daemon catching up now does it for us too.
  const caughtUp = (async () => {
    try {
      const leased = await withLease({ db: app.db, clock: app.clock, log }, 'catch-up', async () => {
        for (const job of definitions) if (job.catchUp) await runJob(job, 'catch-up');
      });
      if (!leased.acquired) log.info({ holder: leased.holder }, 'catch-up skipped: another daemon is catching up for the fleet');
    } catch (error) {
      log.error({ error: app.scrubber.describe(error) }, 'catch-up failed');
    }
  })();

  // A pull whose process died mid-way is taken over here, not at its source's next firing.
  let checking = false;
  const takeover = setInterval(() => {
    if (stopping || checking) return;
    checking = true;
    void (async () => {
      try {
        for (const { source, mode } of await abandonedPulls(app.db, [...app.sources.keys()], app.clock())) {
          log.warn({ source, mode }, `${source}: taking over a pull left running by a process that is gone`);
          await runJob({ name: `takeover:${source}`, variable: 'SYNC_CRON', cron: '', run: (ctx) => pullSources(ctx, mode, [source]) }, 'takeover');
        }
      } catch (error) {
        log.error({ error: app.scrubber.describe(error) }, 'looking for abandoned pulls failed');
      } finally {
        checking = false;
      }
    })();
  }, options.takeoverCheckMs ?? TAKEOVER_CHECK_MS);
  takeover.unref();

  return {
    port: server.port,
    webhookPort: intake.port,
    intake,
    dispatcher,
    metrics,
    jobs,
    caughtUp,
    async stop(graceMs = 8_000) {
      stopping = true;
      clearInterval(takeover);
      for (const task of tasks) await task.destroy();
      controller.abort();
      const settled = Promise.allSettled([intake.stop(), dispatcher.stop(), ...running.values(), locks.idle()]);
      const timedOut = await Promise.race([settled.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
      if (timedOut) log.warn({ running: [...running.keys()] }, 'jobs still running at shutdown; the database rolls back what they left unfinished');
      await server.close();
      await consoleHost?.close();
    },
  };
}

/** An IPv6 literal needs brackets in a URL. */
function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
