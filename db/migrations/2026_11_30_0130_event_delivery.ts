/**
 * Frozen in time: never edit after release; add a new migration instead.
 * Outgoing event delivery (issue 19):
 * - `event_feed`: one row per event not yet fanned out to the subscriptions, written by a trigger
 *   in the transaction that writes the event — whoever writes it (a pull's commit, the webhook
 *   intake, anything later). The dispatcher consumes it like a queue (read, fan out, delete), so
 *   an event whose transaction commits after one with a higher id is still seen, once: no cursor
 *   over ids, which PostgreSQL's sequences do not hand out in commit order.
 * - `event_delivery`: one row per event and subscription (or the chat channel `chat`), with its
 *   webhook-id fixed at fan-out, attempts, lease and outcome.
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { generatedId } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('event_feed').addColumn('event_id', 'integer', (c) => c.primaryKey()).execute();
  await db.schema
    .createTable('event_delivery')
    .addColumn('id', 'integer', generatedId(db))
    .addColumn('subscription', 'text', (c) => c.notNull())
    .addColumn('event_id', 'integer', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('first_attempt_at', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('lease_holder', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_status', 'integer')
    .addColumn('event_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .addUniqueConstraint('event_delivery_once', ['subscription', 'event_id'])
    .execute();
  await db.schema.createIndex('event_delivery_due').on('event_delivery').columns(['subscription', 'status', 'next_attempt_at']).execute();
  await db.schema.createIndex('event_delivery_entity').on('event_delivery').columns(['subscription', 'entity', 'status', 'event_id']).execute();

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // A statement-level trigger: one insert of the new ids per statement, however many rows.
    await sql`create function event_feed_on_insert() returns trigger language plpgsql as $$
      begin
        insert into event_feed (event_id) select id from new_events;
        return null;
      end $$`.execute(db);
    await sql`create trigger event_feed_on_insert after insert on event referencing new table as new_events for each statement execute function event_feed_on_insert()`.execute(db);
  } else {
    await sql`create trigger event_feed_on_insert after insert on event begin insert into event_feed (event_id) values (new.id); end`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists event_feed_on_insert ${db.getExecutor().adapter instanceof PostgresAdapter ? sql`on event` : sql``}`.execute(db);
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`drop function if exists event_feed_on_insert()`.execute(db);
  await db.schema.dropTable('event_delivery').execute();
  await db.schema.dropTable('event_feed').execute();
}
