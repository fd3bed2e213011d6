/** The schedule table: which job runs on which cron expression. */
import type { App } from '../src/app.js';
import { monthEndSyncJob, reportJob } from './report.js';
import { syncJob } from './sync.js';

export interface ScheduledJob {
  readonly name: string;
  /** The variable the expression comes from, named in errors and logs. */
  readonly variable: string;
  readonly cron: string;
  run(signal: AbortSignal): Promise<unknown>;
}

export function scheduleTable(app: App): ScheduledJob[] {
  return [
    {
      name: 'sync',
      variable: 'SYNC_CRON',
      cron: app.config.syncCron,
      run: (signal) => syncJob(app, 'incremental', signal),
    },
    {
      name: 'sync-month-end',
      variable: 'MONTH_END_SYNC_CRON',
      cron: app.config.report.monthEndSyncCron,
      run: (signal) => monthEndSyncJob(app, signal),
    },
    ...(app.config.report.to.length > 0
      ? [{ name: 'report', variable: 'REPORT_CRON', cron: app.config.report.cron, run: (signal: AbortSignal) => reportJob(app, signal) }]
      : []),
  ];
}
