/** Database wiring: open a SQLite file through Kysely and bring its schema up to date. */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type MigrationProvider, Migrator, SqliteDialect, type SqliteDatabase } from 'kysely';
import { WabaSyncError } from '../src/errors.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface OpenOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** How long a statement waits for another process's write lock (default DEFAULT_BUSY_TIMEOUT_MS). */
  busyTimeoutMs?: number;
}

/**
 * DATABASE_BUSY_TIMEOUT_SECONDS' default: a daemon and a one-shot command share the file, and a
 * pull's final transaction can hold the write lock for several seconds on a large fleet.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 30_000;

/**
 * Opens (creating when missing) the database at `path`. What we create is private: the folders
 * 0700, the file 0600 — SQLite gives its -wal and -shm files the file's mode. Any failure to
 * create, open or read it throws a WabaSyncError naming DATABASE_URL and the path: CONFIG when the
 * path cannot be a database file here, DATABASE when the file is unusable (read-only, corrupt).
 */
export async function openDatabase(path: string, options: OpenOptions = {}): Promise<Db> {
  let sqlite: SQLite.Database;
  try {
    if (path !== ':memory:') createPrivately(path);
    sqlite = new SQLite(path);
  } catch (error) {
    throw databaseError(path, 'cannot create or open it', error);
  }
  try {
    // busy_timeout waits out a concurrent writer (daemon and one-shot) instead of failing at once;
    // set first, so that even switching to WAL waits. WAL lets readers (status, events) run
    // during a pull.
    sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    // Reads the schema: a file that is not a database (or a damaged one) fails here, by name.
    sqlite.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    sqlite.close();
    throw databaseError(path, 'cannot use it', error);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  if (options.migrate !== false) {
    try {
      await migrateToLatest(db);
    } catch (error) {
      await db.destroy();
      throw databaseError(path, 'cannot bring its schema up to date', error);
    }
  }
  return db;
}

/**
 * Creates the missing folders one at a time (0700) and an empty file (0600) when there is none:
 * an empty file is a valid empty SQLite database. Not `mkdirSync(recursive)`, which spins forever
 * on some impossible paths (`/proc/nope/x`) instead of failing.
 */
function createPrivately(path: string): void {
  const missing: string[] = [];
  for (let folder = dirname(resolve(path)); !existsSync(folder); folder = dirname(folder)) {
    missing.unshift(folder);
    if (dirname(folder) === folder) break;
  }
  for (const folder of missing) mkdirSync(folder, { mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Whether `error` comes from SQLite (a better-sqlite3 SqliteError: codes SQLITE_…). */
export function isSqliteError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

/** SQLite's and the file system's codes that mean "this file can't be our database" rather than a bug. */
const PATH_PROBLEMS = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENAMETOOLONG', 'ELOOP', 'SQLITE_CANTOPEN']);

/** A failure of the database file itself, naming DATABASE_URL and the path (also used for failures after opening). */
export function databaseError(path: string, what: string, error: unknown): WabaSyncError {
  const code = (error as { code?: unknown }).code;
  const detail = error instanceof Error ? error.message : String(error);
  const reason = typeof code === 'string' && !detail.includes(code) ? `${code}: ${detail}` : detail;
  return new WabaSyncError(
    typeof code === 'string' && PATH_PROBLEMS.has(code) ? 'CONFIG' : 'DATABASE',
    `DATABASE_URL: the SQLite database ${path}: ${what} (${reason})`,
    { cause: error },
  );
}

/**
 * Kysely prepares every query anew; a pull runs the same few statements thousands of times, so
 * keep the most recent prepared statements by their SQL text (a statement still being iterated is
 * not handed out twice).
 */
const STATEMENT_CACHE_SIZE = 256;

function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (text) => {
      const cached = cache.get(text);
      if (cached && !cached.busy) {
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = sqlite.prepare(text);
      cache.set(text, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String((error as Error)?.message ?? error)}`, {
      cause: error,
    });
  }
}
