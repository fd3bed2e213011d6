/**
 * Frozen in time: never edit after release; add a new migration instead.
 * PostgreSQL only: `pull_item` holds a running pull's staged pages and nothing else — a pull that
 * did not complete is thrown away and read again anyway — so it is UNLOGGED: its rows skip the
 * write-ahead log (most of what a baseline writes), and a crash empties it, which costs nothing a
 * crash doesn't already cost (the interrupted pull is marked INTERRUPTED and pulled again).
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table pull_item set unlogged`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table pull_item set logged`.execute(db);
}
