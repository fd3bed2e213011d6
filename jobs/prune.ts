/** The daily prune: RETAIN_*_DAYS applied by one daemon (the firing is claimed like every other). */
import { prune, pruneOptions } from '../src/retention/prune.js';
import type { JobContext, JobSummary } from './types.js';

/** Daily at 03:17 in TIMEZONE: away from the full pulls on the hour and the digest and report mornings. */
export const PRUNE_CRON = '17 3 * * *';

export async function pruneJob({ app }: JobContext): Promise<JobSummary> {
  const result = await prune(app.db, pruneOptions(app.config, app.clock(), false));
  const deleted = Object.fromEntries(result.tables.filter((table) => table.rows !== null).map((table) => [table.table, table.rows]));
  return { deleted, pagesReleased: result.pagesReleased };
}
