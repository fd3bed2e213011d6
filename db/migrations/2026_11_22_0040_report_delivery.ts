/**
 * Frozen in time: never edit after release; add a new migration instead.
 * The monthly report's delivery record: one row per email handed to the outbox, so the daemon can
 * tell on start whether last month's report was ever sent (catch-up).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('report_delivery')
    .addColumn('idempotency_key', 'text', (c) => c.primaryKey())
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('queued_at', 'text', (c) => c.notNull())
    .addColumn('forced', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('report_delivery_month').on('report_delivery').columns(['month', 'recipient']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('report_delivery').execute();
}
