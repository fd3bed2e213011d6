/**
 * Frozen in time: never edit after release; add a new migration instead.
 * The webhook intake (issue 15):
 * - `webhook_inbox`: every authenticated delivery, written before it is answered 200; one row per
 *   upstream and body hash (a duplicate delivery only counts up `deliveries`), processed later.
 * - `sync_run.scope`: `all` for a pull that read everything its mode reads, `targeted` for a pull a
 *   webhook caused that read only the entities the delivery names (mode `webhook`).
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { generatedId } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_inbox')
    .addColumn('id', 'integer', generatedId(db))
    .addColumn('upstream', 'text', (c) => c.notNull())
    .addColumn('body_hash', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('deliveries', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('last_received_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('processed_at', 'text')
    .addColumn('outcome', 'text')
    .addColumn('note', 'text')
    .addColumn('error', 'text')
    .addUniqueConstraint('webhook_inbox_body', ['upstream', 'body_hash'])
    .execute();
  await db.schema.createIndex('webhook_inbox_pending').on('webhook_inbox').columns(['upstream', 'processed_at', 'id']).execute();
  await db.schema.alterTable('sync_run').addColumn('scope', 'text', (c) => c.notNull().defaultTo('all')).execute();
  // Byte order on PostgreSQL, as every other text column (2026_11_30_0060_postgres_byte_order).
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const columns = ['upstream', 'body_hash', 'body', 'received_at', 'last_received_at', 'next_attempt_at', 'processed_at', 'outcome', 'note', 'error'];
    await sql`alter table webhook_inbox ${sql.join(columns.map((name) => sql`alter column ${sql.ref(name)} type text collate "C"`))}`.execute(db);
    await sql`alter table sync_run alter column scope type text collate "C"`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sync_run').dropColumn('scope').execute();
  await db.schema.dropTable('webhook_inbox').execute();
}
