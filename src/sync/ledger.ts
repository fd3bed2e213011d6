/** Reading the ledger of sync runs. */
import type { Kysely } from 'kysely';
import type { Database, RunMode, SyncRunRow } from '../../db/schema.js';

/** The last complete pull of a source (of one mode, when given), or undefined when there is none. */
export async function lastCompleteRun(db: Kysely<Database>, source: string, mode?: RunMode): Promise<SyncRunRow | undefined> {
  let query = db.selectFrom('sync_run').selectAll().where('source', '=', source).where('outcome', '=', 'complete');
  if (mode) query = query.where('mode', '=', mode);
  return query.orderBy('id', 'desc').limit(1).executeTakeFirst();
}
