/** The sync jobs: the frequent one (incremental where a source supports it) and the full one. */
import type { SourceName } from '../src/config.js';
import { notifyAfterSync } from '../src/notify/mailer.js';
import { periodMs } from '../src/schedule.js';
import { lastCompleteRun } from '../src/sync/ledger.js';
import { type RunResult, runSourcePull } from '../src/sync/run-source.js';
import type { RunMode, Source } from '../src/sync/types.js';
import type { JobContext, JobSummary } from './types.js';

/**
 * Pulls the sources (all enabled ones by default), each under its lock; a skipped one is noted.
 * Then alerts are decided from the ledger just written and the outbox drains (retrying earlier
 * emails too).
 */
export async function pullSources(ctx: JobContext, mode: RunMode, only?: readonly SourceName[]): Promise<JobSummary> {
  const { app } = ctx;
  const sources = [...app.sources.values()].filter((source) => !only || only.includes(source.name));
  const results = await Promise.all(
    sources.map(async (source): Promise<[string, RunResult | null]> => {
      const result = await ctx.locks.run(source.name, mode, () =>
        runSourcePull(
          { db: app.db, clock: app.clock, log: app.log, scrubber: app.scrubber, signal: ctx.signal, onUsage: ctx.metrics.recordUsage, snapshots: app.snapshots },
          source,
          mode,
        ),
      );
      if (result) ctx.metrics.recordRun(result);
      return [source.name, result];
    }),
  );
  const notified = await notifyAfterSync({ db: app.db, clock: app.clock, log: app.log, config: app.config, scrubber: app.scrubber });
  return {
    ...Object.fromEntries(results.map(([name, result]) => [name, result ? result.outcome : 'skipped: a pull of this source is already running'])),
    alertsQueued: notified.alerts.filter((alert) => alert.queued).length,
    emailsSent: notified.drain?.sent ?? 0,
    ...(notified.error ? { notifyError: notified.error } : {}),
  };
}

export function syncIncrementalJob(ctx: JobContext): Promise<JobSummary> {
  return pullSources(ctx, 'incremental');
}

export function syncFullJob(ctx: JobContext): Promise<JobSummary> {
  return pullSources(ctx, 'full');
}

/** Sources whose last complete full pull is older than the full schedule's period (or never happened). */
export async function sourcesDueForFullPull(ctx: JobContext, cronExpression: string): Promise<SourceName[]> {
  const { app } = ctx;
  const cutoff = new Date(app.clock().getTime() - periodMs(cronExpression, app.config.timezone)).toISOString();
  const due: SourceName[] = [];
  for (const source of app.sources.values() as Iterable<Source>) {
    const last = await lastCompleteRun(app.db, source.name, 'full');
    if (!last?.finished_at || last.finished_at < cutoff) due.push(source.name);
  }
  return due;
}
