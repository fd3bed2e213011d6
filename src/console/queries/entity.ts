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

type EntityRef = { source: string; kind: string; key: string };

/** Every version of one entity (the three queries below narrow it). */
function versionsOf(db: Db, ref: EntityRef) {
  return db.selectFrom('entity_version').where('source', '=', ref.source).where('kind', '=', ref.kind).where('key', '=', ref.key);
}

export async function entityVersions(db: Db, ref: EntityRef): Promise<VersionView[]> {
  const rows = await versionsOf(db, ref)
    .selectAll()
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

/** How many versions the entity has in all and when it was first seen: the page lists only its latest MAX_VERSIONS. */
export async function entityHistory(db: Db, ref: EntityRef): Promise<{ versions: number; firstSeen: string | null }> {
  const row = await versionsOf(db, ref)
    .select((eb) => [eb.fn.countAll<number | bigint>().as('n'), eb.fn.min('valid_from').as('first')])
    .executeTakeFirst();
  return { versions: Number(row?.n ?? 0), firstSeen: (row?.first as string | null | undefined) ?? null };
}

/** The version in force at `instant`, read from the database: for a moment older than the versions listed. */
export async function entityVersionAt(db: Db, ref: EntityRef, instant: string): Promise<VersionView | undefined> {
  const row = await versionsOf(db, ref)
    .selectAll()
    .where('valid_from', '<=', instant)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', instant)]))
    .orderBy('valid_from', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { row, data: JSON.parse(row.data) as Entity, changes: null } : undefined;
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
