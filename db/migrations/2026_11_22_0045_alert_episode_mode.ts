/**
 * Frozen in time: never edit after release; add a new migration instead.
 * Alert episodes per source AND mode: Meta's full pulls (the only ones that see unshares and phone
 * numbers) can fail for good while its incremental pulls complete, and one episode per source let
 * each incremental completion close the episode. An open episode keeps the mode of the run that
 * opened it.
 */
import type { Kysely } from 'kysely';

const COLUMNS = ['source', 'kind', 'opened_run_id', 'opened_at', 'updated_at'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('alert_episode_by_mode')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('opened_run_id', 'integer', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_episode_by_mode_pk', ['source', 'mode'])
    .execute();
  await db
    .insertInto('alert_episode_by_mode')
    .columns(['source', 'mode', 'kind', 'opened_run_id', 'opened_at', 'updated_at'])
    .expression(
      db
        .selectFrom('alert_episode as e')
        .leftJoin('sync_run as r', 'r.id', 'e.opened_run_id')
        .select((eb) => ['e.source', eb.fn.coalesce('r.mode', eb.val('full')).as('mode'), 'e.kind', 'e.opened_run_id', 'e.opened_at', 'e.updated_at']),
    )
    .execute();
  await db.schema.dropTable('alert_episode').execute();
  await db.schema.alterTable('alert_episode_by_mode').renameTo('alert_episode').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('alert_episode_by_source')
    .addColumn('source', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('opened_run_id', 'integer', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // One episode per source: the full pulls' when there is one.
  for (const mode of ['full', 'incremental']) {
    await db
      .insertInto('alert_episode_by_source')
      .columns([...COLUMNS])
      .expression(
        db
          .selectFrom('alert_episode')
          .select([...COLUMNS])
          .where('mode', '=', mode)
          .where('source', 'not in', db.selectFrom('alert_episode_by_source').select('source')),
      )
      .execute();
  }
  await db.schema.dropTable('alert_episode').execute();
  await db.schema.alterTable('alert_episode_by_source').renameTo('alert_episode').execute();
}
