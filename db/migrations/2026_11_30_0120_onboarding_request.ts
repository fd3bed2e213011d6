/**
 * Frozen in time: never edit after release; add a new migration instead.
 * `onboarding_request`: the 99digital onboarding links waba-sync itself created (`onboarding
 * create`), who asked and when, and who deleted one. Only a record of our own actions: the links
 * themselves, and their events, come from the pulls like every other link.
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('onboarding_request')
    .addColumn('onboarding_link', 'text', (c) => c.primaryKey())
    .addColumn('number', 'text', (c) => c.notNull())
    .addColumn('coexistence', 'integer', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('business_name', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('deleted_by', 'text')
    .addColumn('deleted_at', 'text')
    .execute();
  await db.schema.createIndex('onboarding_request_number').on('onboarding_request').column('number').execute();
  // Byte order on PostgreSQL, as every other text column (2026_11_30_0060_postgres_byte_order).
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const columns = ['onboarding_link', 'number', 'reference', 'business_name', 'created_by', 'created_at', 'deleted_by', 'deleted_at'];
    await sql`alter table onboarding_request ${sql.join(columns.map((name) => sql`alter column ${sql.ref(name)} type text collate "C"`))}`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('onboarding_request').execute();
}
