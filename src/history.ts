/** Reading the past back: an entity (or a whole kind) as it was known at a moment. */
import type { Db } from '../db/database.js';
import type { Entity } from './diff/types.js';

export interface EntityVersion {
  key: string;
  data: Entity;
  validFrom: string;
  validTo: string | null;
}

export interface EntityRef {
  source: string;
  kind: string;
  key: string;
}

/** The version valid at `at` (valid_from <= at < valid_to), or null if the entity didn't exist then. */
export async function entityAt(db: Db, ref: EntityRef, at: Date): Promise<EntityVersion | null> {
  const moment = at.toISOString();
  const row = await db
    .selectFrom('entity_version')
    .select(['key', 'data', 'valid_from', 'valid_to'])
    .where('source', '=', ref.source)
    .where('kind', '=', ref.kind)
    .where('key', '=', ref.key)
    .where('valid_from', '<=', moment)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', moment)]))
    .executeTakeFirst();
  return row ? toVersion(row) : null;
}

/** Every entity of a kind as it was at `at`, ordered by key. */
export async function kindAt(db: Db, source: string, kind: string, at: Date): Promise<EntityVersion[]> {
  const moment = at.toISOString();
  const rows = await db
    .selectFrom('entity_version')
    .select(['key', 'data', 'valid_from', 'valid_to'])
    .where('source', '=', source)
    .where('kind', '=', kind)
    .where('valid_from', '<=', moment)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', moment)]))
    .orderBy('key')
    .execute();
  return rows.map(toVersion);
}

/** All versions of one entity, oldest first. */
export async function entityHistory(db: Db, ref: EntityRef): Promise<EntityVersion[]> {
  const rows = await db
    .selectFrom('entity_version')
    .select(['key', 'data', 'valid_from', 'valid_to'])
    .where('source', '=', ref.source)
    .where('kind', '=', ref.kind)
    .where('key', '=', ref.key)
    .orderBy('valid_from')
    .orderBy('id')
    .execute();
  return rows.map(toVersion);
}

function toVersion(row: { key: string; data: string; valid_from: string; valid_to: string | null }): EntityVersion {
  return { key: row.key, data: JSON.parse(row.data) as Entity, validFrom: row.valid_from, validTo: row.valid_to };
}
