/**
 * Frozen in time: never edit after release; add a new migration instead.
 * Staging keeps only the key and hash of an entity that is unchanged since the current version
 * (pull_item.data NULL), so a full pull of a mostly unchanged fleet writes a few bytes per entity
 * instead of all of it. The table is rebuilt with its rows (a pull may be staging right now).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pull_item_staging')
    .addColumn('run_id', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('pull_item_key', ['run_id', 'kind', 'key'])
    .execute();
  await sql`INSERT INTO pull_item_staging (run_id, kind, key, data, hash) SELECT run_id, kind, key, data, hash FROM pull_item`.execute(db);
  await db.schema.dropTable('pull_item').execute();
  await db.schema.alterTable('pull_item_staging').renameTo('pull_item').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pull_item_full')
    .addColumn('run_id', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('pull_item_pk', ['run_id', 'kind', 'key'])
    .execute();
  // Rows staged as unchanged carry no data: a pull in flight can't be kept, drop its rows.
  await sql`INSERT INTO pull_item_full (run_id, kind, key, data, hash) SELECT run_id, kind, key, data, hash FROM pull_item WHERE data IS NOT NULL`.execute(db);
  await db.schema.dropTable('pull_item').execute();
  await db.schema.alterTable('pull_item_full').renameTo('pull_item').execute();
}
