/**
 * The schema version: the name of the newest migration. This code's is the newest it ships; a
 * database's is the newest recorded in its `kysely_migration` table. Code runs only on a schema
 * it knows every migration of: a database migrated by a newer waba-sync is refused, by name,
 * before anything reads or writes it (there is no downgrade; the way back is the backup taken
 * before the upgrade).
 */
import { WabaSyncError } from '../src/errors.js';
import { VERSION } from '../src/version.js';
import type { Db } from './database.js';
import { migrations } from './migrations/index.js';
import { maskDatabaseUrl } from './url.js';

/** The newest migration this code ships. */
export const CODE_SCHEMA_VERSION: string = Object.keys(migrations).sort().at(-1)!;

/** Kysely's bookkeeping table (its default name). */
const MIGRATION_TABLE = 'kysely_migration';

/** Every migration recorded in the database, oldest first; none for a database never migrated. */
export async function appliedMigrations(db: Db): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((table) => table.name === MIGRATION_TABLE && !table.isView)) return [];
  const rows = await db.withTables<{ kysely_migration: { name: string } }>().selectFrom(MIGRATION_TABLE).select('name').orderBy('name').execute();
  return rows.map((row) => row.name);
}

/** The database's schema version (its newest migration), or null before the first migration. */
export async function databaseSchemaVersion(db: Db): Promise<string | null> {
  return (await appliedMigrations(db)).at(-1) ?? null;
}

/**
 * Throws CONFIG (exit 2: restarting can't fix it) when the database holds a migration this code
 * doesn't know: it was migrated by a newer waba-sync, and this one would misread it.
 */
export async function refuseNewerSchema(db: Db, databaseUrl: string): Promise<void> {
  const applied = await appliedMigrations(db);
  const unknown = applied.filter((name) => !(name in migrations));
  if (unknown.length === 0) return;
  throw new WabaSyncError(
    'CONFIG',
    `DATABASE_URL: the database ${maskDatabaseUrl(databaseUrl)} has schema version ${unknown.at(-1)}, newer than this waba-sync ${VERSION} knows ` +
      `(its schema version is ${CODE_SCHEMA_VERSION}): it was upgraded by a newer waba-sync. Run that version (there is no downgrade), ` +
      'or restore the backup taken before the upgrade.',
  );
}
