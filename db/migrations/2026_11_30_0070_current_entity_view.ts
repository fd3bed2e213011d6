/**
 * Frozen in time: never edit after release; add a new migration instead.
 * `current_entity`: each entity's current version (valid_to is null), for BI tools and ad-hoc SQL
 * to read beside the `event` table without knowing how history is kept.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createView('current_entity')
    .as(db.selectFrom('entity_version').select(['source', 'kind', 'key', 'data', 'valid_from']).where(sql.ref('valid_to'), 'is', null))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropView('current_entity').execute();
}
