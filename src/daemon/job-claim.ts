/**
 * Scheduled firings across daemons: every daemon sharing the database runs the same schedule, and
 * each firing (job, scheduled time) must run once for the fleet. The first daemon to insert its
 * row runs it; the others find the key taken and skip. The key is node-cron's slot, not the
 * host's clock, so hosts whose clocks differ a little still agree on it. One insert, atomic on
 * both backends (SQLite's write lock; PostgreSQL's unique index makes a concurrent insert wait
 * for ours and then do nothing), so no isolation level beyond the default is needed.
 */
import type { Db } from '../../db/database.js';

/** Claims older than this are deleted as new ones are taken: they only have to outlive clock skew. */
const KEEP_MS = 7 * 24 * 3_600_000;

/** True when this daemon won the firing and should run it. */
export async function claimFiring(db: Db, firing: { job: string; scheduledAt: Date }, holder: string, now: Date): Promise<boolean> {
  const inserted = await db
    .insertInto('job_claim')
    .values({ job: firing.job, scheduled_at: firing.scheduledAt.toISOString(), holder, claimed_at: now.toISOString() })
    .onConflict((oc) => oc.columns(['job', 'scheduled_at']).doNothing())
    .executeTakeFirst();
  await db
    .deleteFrom('job_claim')
    .where('job', '=', firing.job)
    .where('scheduled_at', '<', new Date(now.getTime() - KEEP_MS).toISOString())
    .execute();
  return (inserted.numInsertedOrUpdatedRows ?? 0n) > 0n;
}
