/**
 * Frozen in time: never edit after release; add a new migration instead.
 * The console (issue 17) reads an entity's events, and the events page filtered by a name or
 * number reads the events of the entities it matches, newest first: both by key, in (at, id)
 * order. Without this index either would scan the whole event table.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('event_key_at').on('event').columns(['key', 'at', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('event_key_at').execute();
}
