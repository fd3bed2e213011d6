/**
 * Rows written straight into a real SQLite file, for what the digest reads: events and current
 * entity versions of sources this branch does not pull yet (Meta, 360dialog), and their ledger.
 */
import type { Db } from '../../db/database.js';

export async function insertRun(db: Db, source: string, at: string, outcome: 'complete' | 'failed' = 'complete'): Promise<number> {
  const { id } = await db
    .insertInto('sync_run')
    .values({ source, mode: 'full', started_at: at, finished_at: at, outcome, entities: 0, events: 0, api_calls: 1 })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function insertEvent(
  db: Db,
  event: { type: string; source: string; key: string; at: string; before?: object | null; after?: object | null; changes?: object | null },
): Promise<number> {
  const { id } = await db
    .insertInto('event')
    .values({
      type: event.type,
      source: event.source,
      key: event.key,
      at: event.at,
      run_id: null,
      before: event.before ? JSON.stringify(event.before) : null,
      after: event.after ? JSON.stringify(event.after) : null,
      changes: event.changes ? JSON.stringify(event.changes) : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** Makes `data` the current version of (source, kind, key), closing any earlier one. */
export async function setEntity(db: Db, source: string, kind: string, key: string, data: object, at: string, runId: number): Promise<void> {
  await removeEntity(db, source, kind, key, at, runId);
  await db
    .insertInto('entity_version')
    .values({ source, kind, key, data: JSON.stringify(data), hash: `h-${key}-${at}`, valid_from: at, valid_to: null, run_from: runId, run_to: null })
    .execute();
}

/** Closes the current version of (source, kind, key), if any. */
export async function removeEntity(db: Db, source: string, kind: string, key: string, at: string, runId: number): Promise<void> {
  await db
    .updateTable('entity_version')
    .set({ valid_to: at, run_to: runId })
    .where('source', '=', source)
    .where('kind', '=', kind)
    .where('key', '=', key)
    .where('valid_to', 'is', null)
    .execute();
}
