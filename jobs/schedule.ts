/** The schedule table: which job runs on which cron expression, and how each catches up at start. */
import type { Config } from '../src/config.js';
import { drainConfigured } from '../src/notify/mailer.js';
import { retentionConfigured } from '../src/retention/prune.js';
import { digestCatchUp, digestJob } from './digest.js';
import { PRUNE_CRON, pruneJob } from './prune.js';
import { reportCatchUp, reportJob } from './report.js';
import { pullSources, sourcesDueForFullPull, syncFullJob, syncIncrementalJob } from './sync.js';
import type { JobContext, JobDefinition, JobSummary } from './types.js';

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
  if (config.digital99) {
    // The month's last counter reading should be close to its end (the report uses it).
    jobs.push({ name: 'sync-month-end', variable: 'MONTH_END_SYNC_CRON', cron: config.report.monthEndSyncCron, run: (ctx) => pullSources(ctx, 'full', ['digital99']) });
  }
  // Emails only when they have somewhere to go.
  if (config.mail.smtp && config.mail.digestTo.length > 0) {
    jobs.push({ name: 'digest', variable: 'DIGEST_CRON', cron: config.notify.digestCron, run: digestJob, catchUp: digestCatchUp });
  }
  if (config.mail.smtp && config.report.to.length > 0) {
    jobs.push({
      name: 'report',
      variable: 'REPORT_CRON',
      cron: config.report.cron,
      run: async (ctx) => (await sendReport(ctx, 'scheduled')) ?? {},
      catchUp: (ctx) => sendReport(ctx, 'catch-up'),
    });
  }
  if (retentionConfigured(config.retention)) {
    jobs.push({ name: 'prune', variable: 'RETAIN_*_DAYS (daily)', cron: PRUNE_CRON, run: pruneJob });
  }
  return jobs;
}

/** Last month's report (to recipients without it on catch-up), then the outbox drains. */
async function sendReport(ctx: JobContext, why: 'scheduled' | 'catch-up'): Promise<JobSummary | null> {
  const result = await (why === 'catch-up' ? reportCatchUp : reportJob)(ctx.app, ctx.signal);
  if (result.outcome === 'skipped') return why === 'catch-up' ? null : { month: result.month, skipped: result.reason };
  const drain = await drainConfigured({ db: ctx.app.db, clock: ctx.app.clock, log: ctx.app.log, config: ctx.app.config, scrubber: ctx.app.scrubber });
  return { month: result.month, queued: result.deliveries.filter((d) => d.queued).length, emailsSent: drain?.sent ?? 0 };
}
