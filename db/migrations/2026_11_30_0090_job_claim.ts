/**
 * Frozen in time: never edit after release; add a new migration instead.
 * Scheduled firings claimed once across every daemon sharing the database: one row per job and
 * scheduled time; the daemon whose insert lands runs the job, the others skip it.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('job_claim')
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('scheduled_at', 'text', (c) => c.notNull())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('job_claim_pk', ['job', 'scheduled_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('job_claim').execute();
}
