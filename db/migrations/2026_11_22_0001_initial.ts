/** Frozen in time: never edit after release; add a new migration instead. */
import { type Kysely, sql } from 'kysely';
import { generatedId } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sync_run')
    .addColumn('id', 'integer', generatedId(db))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('entities', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('events', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('api_calls', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('counts', 'text')
    .addColumn('error', 'text')
    .addColumn('error_code', 'text')
    .execute();
  await db.schema.createIndex('sync_run_source_outcome').on('sync_run').columns(['source', 'outcome', 'id']).execute();

  await db.schema
    .createTable('entity_version')
    .addColumn('id', 'integer', generatedId(db))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'text', (c) => c.notNull())
    .addColumn('valid_to', 'text')
    .addColumn('run_from', 'integer', (c) => c.notNull())
    .addColumn('run_to', 'integer')
    .execute();
  // At most one current version per entity.
  await db.schema
    .createIndex('entity_version_current')
    .on('entity_version')
    .columns(['source', 'kind', 'key'])
    .unique()
    .where(sql.ref('valid_to'), 'is', null)
    .execute();
  await db.schema
    .createIndex('entity_version_history')
    .on('entity_version')
    .columns(['source', 'kind', 'key', 'valid_from'])
    .execute();

  await db.schema
    .createTable('pull_item')
    .addColumn('run_id', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('data', 'text') // null: unchanged since the current version, staged as key + hash only
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('pull_item_pk', ['run_id', 'kind', 'key'])
    .execute();

  await db.schema
    .createTable('event')
    .addColumn('id', 'integer', generatedId(db))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('changes', 'text')
    .execute();
  await db.schema.createIndex('event_at').on('event').columns(['at', 'id']).execute();
  await db.schema.createIndex('event_type').on('event').columns(['type', 'id']).execute();

  await db.schema
    .createTable('data_check')
    .addColumn('id', 'integer', generatedId(db))
    .addColumn('run_id', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('check', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('data_check_run').on('data_check').columns(['run_id']).execute();

  await db.schema
    .createTable('lease')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('source_state')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('source_state_pk', ['source', 'name'])
    .execute();

  await db.schema
    .createTable('app_setting')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['app_setting', 'source_state', 'lease', 'data_check', 'event', 'pull_item', 'entity_version', 'sync_run']) {
    await db.schema.dropTable(table).execute();
  }
}
