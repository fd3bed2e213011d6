/** The ledger, newest first, keyset-paged by id, filterable by source and outcome. */
import type { Db } from '../../../db/database.js';
import type { RunOutcome, SyncRunRow } from '../../../db/schema.js';

export interface RunsFilter {
  readonly source?: string;
  readonly outcome?: RunOutcome;
}

export async function runsPage(db: Db, filter: RunsFilter, beforeId: number | undefined, size = 50): Promise<{ rows: SyncRunRow[]; more: boolean }> {
  let query = db.selectFrom('sync_run').selectAll();
  if (filter.source) query = query.where('source', '=', filter.source);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (beforeId !== undefined) query = query.where('id', '<', beforeId);
  const rows = await query.orderBy('id', 'desc').limit(size + 1).execute();
  return { rows: rows.slice(0, size), more: rows.length > size };
}
