/** The schedule table: which job runs on which cron expression. */
import type { App } from '../src/app.js';
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
  ];
}
