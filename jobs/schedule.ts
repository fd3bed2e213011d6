/** The schedule table: which job runs on which cron expression, and how each catches up at start. */
import type { Config } from '../src/config.js';
import { digestCatchUp, digestJob } from './digest.js';
import { pullSources, sourcesDueForFullPull, syncFullJob, syncIncrementalJob } from './sync.js';
import type { JobDefinition } from './types.js';

export function scheduleTable(config: Config): JobDefinition[] {
  const jobs: JobDefinition[] = [
    {
      name: 'sync-incremental',
      variable: 'SYNC_CRON',
      cron: config.syncCron,
      run: syncIncrementalJob,
    },
    {
      name: 'sync-full',
      variable: 'FULL_SYNC_CRON',
      cron: config.fullSyncCron,
      run: syncFullJob,
      catchUp: async (ctx) => {
        const due = await sourcesDueForFullPull(ctx, config.fullSyncCron);
        return due.length > 0 ? pullSources(ctx, 'full', due) : null;
      },
    },
  ];
  // The digest only when it has somewhere to go.
  if (config.mail.smtp && config.mail.digestTo.length > 0) {
    jobs.push({ name: 'digest', variable: 'DIGEST_CRON', cron: config.notify.digestCron, run: digestJob, catchUp: digestCatchUp });
  }
  return jobs;
}
