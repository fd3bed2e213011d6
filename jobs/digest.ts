/** The scheduled digest: queue what is new (if anything), then drain the outbox. */
import type { App } from '../src/app.js';
import { type DigestOutcome, digestSettings, queueDigest } from '../src/notify/digest/digest.js';
import { drainConfigured } from '../src/notify/mailer.js';

export async function digestJob(app: App): Promise<DigestOutcome> {
  const outcome = await queueDigest(app.db, app.clock(), digestSettings(app.config), { commit: true });
  if (outcome.kind === 'digest') app.log.info({ digestId: outcome.plan.digestId, events: outcome.plan.eventIds.length }, 'digest queued');
  await drainConfigured({ db: app.db, clock: app.clock, log: app.log, config: app.config });
  return outcome;
}
