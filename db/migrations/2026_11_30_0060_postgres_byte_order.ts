/**
 * Frozen in time: never edit after release; add a new migration instead.
 * PostgreSQL only (SQLite: nothing to do): every text column of our tables compares by bytes
 * (COLLATE "C"), as SQLite's do, whatever collation the database was created with. Keys, types
 * and ISO timestamps are then ordered, ranged (`type >= 'onboarding.'`) and paged (`key > last`)
 * the same on both backends, so the same history gives the same output byte for byte.
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  const columns = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and data_type = 'text' and table_name not like 'kysely\\_%'
    order by table_name, ordinal_position`.execute(db);
  const byTable = new Map<string, string[]>();
  for (const { table_name, column_name } of columns.rows) (byTable.get(table_name) ?? byTable.set(table_name, []).get(table_name)!).push(column_name);
  for (const [table, names] of byTable) {
    const alterations = names.map((name) => sql`alter column ${sql.ref(name)} type text collate "C"`);
    await sql`alter table ${sql.table(table)} ${sql.join(alterations)}`.execute(db);
  }
}

export async function down(): Promise<void> {}
