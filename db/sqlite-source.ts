/**
 * A SQLite database opened to be read and never written (the source of `migrate-data`): the file is
 * opened read-only, so neither its bytes nor its modification time change. When its schema is
 * older than this code's, an online backup of it (WAL included) goes to a temporary file and that
 * copy is migrated instead; a schema newer than this code's is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { UsageError } from '../src/errors.js';
import { type Db, DEFAULT_BUSY_TIMEOUT_MS, openDatabase } from './database.js';
import { migrations } from './migrations/index.js';

export interface SqliteSource {
  readonly db: Db;
  /** True when the file's schema was older and a migrated temporary copy is read instead. */
  readonly migratedCopy: boolean;
  close(): Promise<void>;
}

export async function openSqliteSource(path: string, option = '--from'): Promise<SqliteSource> {
  let sqlite: SQLite.Database;
  let applied: string[];
  try {
    sqlite = new SQLite(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new UsageError(`${option} ${path}: cannot open it as a SQLite database (${messageOf(error)})`);
  }
  try {
    sqlite.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
    const bookkeeping = sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
    if (!bookkeeping) throw new UsageError(`${option} ${path}: not a waba-sync database (it has no migrations table)`);
    applied = (sqlite.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((row) => row.name);
  } catch (error) {
    sqlite.close();
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${option} ${path}: cannot read it as a SQLite database (${messageOf(error)})`);
  }
  const unknown = applied.filter((name) => !(name in migrations));
  if (unknown.length > 0) {
    sqlite.close();
    throw new UsageError(`${option} ${path}: written by a newer waba-sync (migration ${unknown[0]} is unknown to this one); run migrate-data from that version`);
  }
  if (Object.keys(migrations).every((name) => applied.includes(name))) {
    const db: Db = new Kysely({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, migratedCopy: false, close: () => db.destroy() };
  }
  // Older schema: migrate a copy, never the file itself.
  const folder = mkdtempSync(join(tmpdir(), 'waba-sync-migrate-'));
  const copy = join(folder, 'source.sqlite');
  try {
    await sqlite.backup(copy);
  } finally {
    sqlite.close();
  }
  // The copy's own tables, its `pull_item` included: no staging table of this connection in front of it.
  const db = await openDatabase(copy, { staging: false });
  return {
    db,
    migratedCopy: true,
    close: async () => {
      await db.destroy();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
