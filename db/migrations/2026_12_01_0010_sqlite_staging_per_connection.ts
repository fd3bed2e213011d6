/**
 * Frozen in time: never edit after release; add a new migration instead.
 * SQLite only: pulls now stage in their connection's temporary `pull_item` (db/database.ts,
 * `createConnectionStaging`), so nothing writes the file's own table any more. What it still holds
 * was staged by pulls that ended before this version without completing: thrown away. The rows of
 * a run still marked running are left to the process running it.
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return;
  await sql`delete from main.pull_item where run_id not in (select id from sync_run where outcome = 'running')`.execute(db);
}

export async function down(): Promise<void> {
  // Nothing to restore: the rows were staging of pulls that could not complete.
}
