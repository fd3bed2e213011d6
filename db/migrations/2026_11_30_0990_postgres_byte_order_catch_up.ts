/**
 * Frozen in time: never edit after release; add a new migration instead.
 * PostgreSQL only: the byte order of 2026_11_30_0060_postgres_byte_order for every text column
 * added since (new tables and columns of the second wave) that does not compare by bytes yet —
 * a safety net; each migration that adds text columns sets COLLATE "C" itself.
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  const columns = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and data_type = 'text' and table_name not like 'kysely\\_%'
      and coalesce(collation_name, '') <> 'C'
    order by table_name, ordinal_position`.execute(db);
  const byTable = new Map<string, string[]>();
  for (const { table_name, column_name } of columns.rows) (byTable.get(table_name) ?? byTable.set(table_name, []).get(table_name)!).push(column_name);
  for (const [table, names] of byTable) {
    // A view reads some tables; its columns are not ours to change (they follow the table's).
    const isTable = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = current_schema() and table_name = ${table} and table_type = 'BASE TABLE'`.execute(db);
    if ((isTable.rows[0]?.n ?? 0) === 0) continue;
    const alterations = names.map((name) => sql`alter column ${sql.ref(name)} type text collate "C"`);
    await sql`alter table ${sql.table(table)} ${sql.join(alterations)}`.execute(db);
  }
}

export async function down(): Promise<void> {}
