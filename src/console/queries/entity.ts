/** One entity's page: every version (oldest first), what each changed, its events, its state at a moment. */
import type { Db } from '../../../db/database.js';
import type { EntityVersionRow, EventRow } from '../../../db/schema.js';
import { fieldChanges } from '../../diff/diff-entity.js';
import type { Entity } from '../../diff/types.js';

/** Versions shown at most (an entity that changed more often shows its latest ones). */
const MAX_VERSIONS = 500;

export interface VersionView {
  readonly row: EntityVersionRow;
  readonly data: Entity;
  /** Field → [before, after] against the version before; null for the first one. */
  readonly changes: Record<string, { from: unknown; to: unknown }> | null;
}

export async function entityVersions(db: Db, ref: { source: string; kind: string; key: string }): Promise<VersionView[]> {
  const rows = await db
    .selectFrom('entity_version')
    .selectAll()
    .where('source', '=', ref.source)
    .where('kind', '=', ref.kind)
    .where('key', '=', ref.key)
    .orderBy('valid_from', 'desc')
    .orderBy('id', 'desc')
    .limit(MAX_VERSIONS)
    .execute();
  rows.reverse();
  let previous: Entity | null = null;
  return rows.map((row) => {
    const data = JSON.parse(row.data) as Entity;
    const view = { row, data, changes: previous === null ? null : fieldChanges(previous, data) };
    previous = data;
    return view;
  });
}

/** The version in force at `instant`: valid_from ≤ instant < valid_to (or still current). */
export function versionAsOf(versions: readonly VersionView[], instant: string): VersionView | undefined {
  return versions.find((v) => v.row.valid_from <= instant && (v.row.valid_to === null || instant < v.row.valid_to));
}

export async function entityEvents(db: Db, ref: { source: string; key: string }, limit = 200): Promise<EventRow[]> {
  return db
    .selectFrom('event')
    .selectAll()
    .where('key', '=', ref.key)
    .where('source', '=', ref.source)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
