/**
 * Pulls left running by a process that is gone (killed, its host lost, its connection cut): the
 * daemon that claimed the firing can't finish it, and the next firing may be far off. Every daemon
 * looks for them every TAKEOVER_CHECK_MS and pulls such a source again at once — the pull marks
 * the abandoned run interrupted and completes the source. With PostgreSQL dropping a dead
 * session's lock at once (or after its keepalive gives up, ≈ 30 s), that is within a minute.
 */
import type { Db } from '../../db/database.js';
import type { SourceName } from '../config.js';
import { leaseIsFree } from '../sync/lease.js';
import type { RunMode } from '../sync/types.js';

export const TAKEOVER_CHECK_MS = 15_000;

export interface AbandonedPull {
  readonly source: SourceName;
  readonly mode: RunMode;
}

/** Sources with a run still `running` while nobody holds their lease. */
export async function abandonedPulls(db: Db, sources: readonly SourceName[], now: Date): Promise<AbandonedPull[]> {
  if (sources.length === 0) return [];
  const running = await db.selectFrom('sync_run').select(['source', 'mode']).where('outcome', '=', 'running').where('scope', '=', 'all').where('source', 'in', sources).orderBy('id').execute();
  const abandoned = new Map<SourceName, RunMode>();
  for (const run of running) {
    const source = run.source as SourceName;
    if (!abandoned.has(source) && (await leaseIsFree(db, `sync:${source}`, now))) abandoned.set(source, run.mode as RunMode);
  }
  return [...abandoned].map(([source, mode]) => ({ source, mode }));
}
