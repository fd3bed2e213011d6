/**
 * The monthly report in the daemon: the scheduled send on REPORT_CRON (last month's report to
 * every REPORT_TO recipient; the outbox and report_delivery make a second run a no-op), the
 * catch-up at start (last month's report for recipients that never got it). The final pull
 * shortly before each month ends (MONTH_END_SYNC_CRON) is in jobs/schedule.ts.
 */
import type { App } from '../src/app.js';
import { type Delivery, queueReport, recipientsWithoutReport } from '../reports/deliver.js';
import { makeReport, statisticsReader } from '../reports/generate.js';
import { addMonths, monthBounds, monthKey, monthOf } from '../reports/month.js';
import { type Enqueue, outboxEnqueue } from '../reports/outbox.js';
import { hasPullBefore } from '../reports/query.js';

export interface ReportJobDeps {
  /** Defaults to the outbox's enqueueEmail. */
  readonly enqueue?: Enqueue;
}

export type ReportJobResult =
  | { readonly month: string; readonly outcome: 'sent'; readonly deliveries: readonly Delivery[] }
  | { readonly month: string; readonly outcome: 'skipped'; readonly reason: string };

/** REPORT_CRON: last month's report to every recipient (already-queued ones are not sent twice). */
export async function reportJob(app: App, signal: AbortSignal, deps: ReportJobDeps = {}): Promise<ReportJobResult> {
  return sendLastMonth(app, signal, deps, 'scheduled');
}

/** At daemon start: last month's report to the recipients that have no record of it. */
export async function reportCatchUp(app: App, signal: AbortSignal, deps: ReportJobDeps = {}): Promise<ReportJobResult> {
  return sendLastMonth(app, signal, deps, 'catch-up');
}

async function sendLastMonth(app: App, signal: AbortSignal, deps: ReportJobDeps, why: 'scheduled' | 'catch-up'): Promise<ReportJobResult> {
  const now = app.clock();
  const { timezone } = app.config;
  const month = addMonths(monthOf(now, timezone), -1);
  const key = monthKey(month);
  const skip = (reason: string): ReportJobResult => {
    app.log.info({ job: 'report', month: key, why }, `report ${key} not sent: ${reason}`);
    return { month: key, outcome: 'skipped', reason };
  };
  if (app.config.report.to.length === 0) return skip('REPORT_TO is not set');
  const recipients = why === 'catch-up' ? await recipientsWithoutReport(app.db, key, app.config.report.to) : [...app.config.report.to];
  if (recipients.length === 0) return skip('already sent to every recipient');
  // A fresh installation has nothing to say about months before its first pull.
  if (!(await hasPullBefore(app.db, monthBounds(month, timezone).end))) return skip('no complete 99digital pull before the month ended');
  const enqueue = deps.enqueue ?? outboxEnqueue;

  const rendered = await makeReport(
    { db: app.db, timezone, staleHours: app.config.report.staleHours, statistics: statisticsReader(app), now, signal },
    month,
  );
  const deliveries = await queueReport({ db: app.db, enqueue, now }, rendered, recipients);
  app.log.info(
    { job: 'report', month: key, why, queued: deliveries.filter((d) => d.queued).map((d) => d.recipient), alreadySent: deliveries.filter((d) => !d.queued).map((d) => d.recipient) },
    `report ${key}: ${deliveries.filter((d) => d.queued).length} queued`,
  );
  return { month: key, outcome: 'sent', deliveries };
}
