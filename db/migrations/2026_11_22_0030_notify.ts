/**
 * Notify: the outbox (every email before it is sent), digests and the events each covered, the
 * reconciliation findings currently open, and open alert episodes. Frozen in time: never edit after
 * release; add a new migration instead.
 */
import type { Kysely } from 'kysely';
import { generatedId } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'integer', generatedId(db))
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('recipients', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text', (c) => c.notNull())
    .addColumn('attachments', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at', 'id']).execute();

  await db.schema
    .createTable('digest')
    .addColumn('id', 'integer', generatedId(db))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('period_from', 'text', (c) => c.notNull())
    .addColumn('period_to', 'text', (c) => c.notNull())
    .addColumn('events', 'integer', (c) => c.notNull())
    .addColumn('findings_opened', 'integer', (c) => c.notNull())
    .addColumn('findings_cleared', 'integer', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .execute();

  // One row per covered event: an event is in at most one digest (the primary key says so).
  await db.schema
    .createTable('digest_event')
    .addColumn('event_id', 'integer', (c) => c.primaryKey())
    .addColumn('digest_id', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('check_finding')
    .addColumn('check', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('digest_id', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('check_finding_pk', ['check', 'key'])
    .execute();

  await db.schema
    .createTable('alert_episode')
    .addColumn('source', 'text', (c) => c.notNull())
    // Per mode: Meta's full pulls can fail for good while its incremental pulls complete.
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('opened_run_id', 'integer', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_episode_pk', ['source', 'mode'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['alert_episode', 'check_finding', 'digest_event', 'digest', 'outbox']) {
    await db.schema.dropTable(table).execute();
  }
}
