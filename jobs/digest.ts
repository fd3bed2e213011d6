/** The scheduled digest: queue what is new (if anything), then drain the outbox. */
import { type DigestOutcome, digestSettings, queueDigest } from '../src/notify/digest/digest.js';
import { drainConfigured } from '../src/notify/mailer.js';
import { periodMs } from '../src/schedule.js';
import type { JobContext, JobSummary } from './types.js';

export async function digestJob({ app }: JobContext): Promise<JobSummary> {
  const outcome: DigestOutcome = await queueDigest(app.db, app.clock(), digestSettings(app.config), { commit: true });
  if (outcome.kind === 'digest') app.log.info({ digestId: outcome.plan.digestId, events: outcome.plan.eventIds.length }, 'digest queued');
  const drain = await drainConfigured({ db: app.db, clock: app.clock, log: app.log, config: app.config, scrubber: app.scrubber });
  return { digest: outcome.kind === 'digest' ? `${outcome.plan.eventIds.length} events` : 'nothing new', emailsSent: drain?.sent ?? 0 };
}

/** A digest missed while the daemon was down (none within the schedule's period) is sent once now. */
export async function digestCatchUp(ctx: JobContext): Promise<JobSummary | null> {
  const { app } = ctx;
  const cutoff = new Date(app.clock().getTime() - periodMs(app.config.notify.digestCron, app.config.timezone)).toISOString();
  const last = await app.db.selectFrom('digest').select('created_at').orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  if (last && last.created_at >= cutoff) return null;
  return digestJob(ctx);
}
