/**
 * Frozen in time: never edit after release; add a new migration instead.
 * The current versions' keys and hashes in one compact index: a pull reads them in key order to
 * compare its pages with (see src/sync/snapshot.ts), and without it each key meant a visit to its
 * whole row, which at 100,000s of entities no longer fits the page cache.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('entity_version_current_hash')
    .on('entity_version')
    .columns(['source', 'kind', 'key', 'hash'])
    .where(sql.ref('valid_to'), 'is', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('entity_version_current_hash').execute();
}
