/** What a scheduled job gets and returns. Jobs are thin: they call into src/. */
import type { App } from '../src/app.js';
import type { SourceLocks } from '../src/sync/source-locks.js';
import type { Metrics } from '../src/observability/metrics.js';

export interface JobContext {
  readonly app: App;
  readonly signal: AbortSignal;
  readonly locks: SourceLocks;
  readonly metrics: Metrics;
}

/** A few fields for the job's log line (e.g. outcome per source, emails queued). */
export type JobSummary = Record<string, unknown>;

export interface JobDefinition {
  readonly name: string;
  /** The variable the expression comes from, named in errors and logs. */
  readonly variable: string;
  readonly cron: string;
  run(ctx: JobContext): Promise<JobSummary>;
  /**
   * At daemon start: make up for runs missed while it was down — once, not one per missed run.
   * Returns a summary when it did something, null when nothing was due.
   */
  catchUp?(ctx: JobContext): Promise<JobSummary | null>;
}
