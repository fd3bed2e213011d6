/** The schedule table: which job runs on which cron expression. */
import type { App } from '../src/app.js';
import { digestJob } from './digest.js';
import { syncJob } from './sync.js';

export interface ScheduledJob {
  readonly name: string;
  /** The variable the expression comes from, named in errors and logs. */
  readonly variable: string;
  readonly cron: string;
  run(signal: AbortSignal): Promise<unknown>;
}

export function scheduleTable(app: App): ScheduledJob[] {
  const jobs: ScheduledJob[] = [
    {
      name: 'sync',
      variable: 'SYNC_CRON',
      cron: app.config.syncCron,
      run: (signal) => syncJob(app, 'incremental', signal),
    },
  ];
  // The digest only when it has somewhere to go.
  if (app.config.mail.smtp && app.config.mail.digestTo.length > 0) {
    jobs.push({ name: 'digest', variable: 'DIGEST_CRON', cron: app.config.notify.digestCron, run: () => digestJob(app) });
  }
  return jobs;
}
