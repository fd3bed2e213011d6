/**
 * Database wiring: open DATABASE_URL — a SQLite file, or a PostgreSQL server (db/postgres.ts) —
 * through Kysely and bring its schema up to date with the one set of migrations.
 */
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type MigrationProvider, Migrator, PostgresAdapter, SqliteDialect, type SqliteDatabase, type SqliteStatement, sql } from 'kysely';
import { WabaSyncError } from '../src/errors.js';
import { migrations } from './migrations/index.js';
import { isPostgresError, openPostgres, postgresError } from './postgres.js';
import { refuseNewerSchema } from './schema-version.js';
import type { Database } from './schema.js';
import { backendOf } from './url.js';

export type Db = Kysely<Database>;

/** Whether `db` (or a transaction of it) talks to PostgreSQL: for the few statements that differ. */
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * SQLite: the write-ahead log's length (pages) past which a commit copies it into the database file
 * before returning. SQLite's default is 1,000 (4 MB); a poll's commit alone can write more (its
 * changed versions are spread over the whole table; docs/benchmark.md, "Event delivery"), and the
 * deliveries marked after it more again. Every poll checkpoints when it starts (checkpointWal), so
 * the log stays short; the limit only keeps the burst's own commit and marks from being the ones
 * that copy it. 10,000 pages is 40 MB of log at most.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * SQLite: copy what the write-ahead log holds into the database file now, as far as readers allow
 * (PASSIVE: nobody waits); otherwise a commit that finds it past WAL_AUTOCHECKPOINT_PAGES does it
 * before it returns. PostgreSQL checkpoints on its own: nothing to do.
 */
export async function checkpointWal(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) return;
  try {
    await sql`PRAGMA wal_checkpoint(PASSIVE)`.execute(db);
  } catch (error) {
    // Another connection is checkpointing: it copies the log. Nothing else here may fail a pull.
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
  }
}

export interface OpenOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** SQLite: how long a statement waits for another process's write lock (default DEFAULT_BUSY_TIMEOUT_MS). */
  busyTimeoutMs?: number;
  /** PostgreSQL: connections in the pool (default 10; the delivery thread takes four). */
  poolSize?: number;
  /**
   * SQLite: give this connection its own staging table for pulls (default true; see
   * `createConnectionStaging`). False for a connection that reads the file's tables as they are.
   */
  staging?: boolean;
}

/**
 * DATABASE_BUSY_TIMEOUT_SECONDS' default: a daemon and a one-shot command share the file, and a
 * pull's final transaction can hold the write lock for several seconds on a large fleet.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 30_000;

/**
 * Opens the database DATABASE_URL names: a `postgres://` or `postgresql://` URL is a PostgreSQL
 * server (which must be reachable, with the database created), anything else a SQLite file path.
 * Either way the failure to open it throws a WabaSyncError naming DATABASE_URL, CONFIG when the
 * setting is what needs fixing; a PostgreSQL URL is only ever shown with its password masked.
 */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Db> {
  if (backendOf(url) === 'sqlite') return openSqlite(url, options);
  const db = await openPostgres(url, options.poolSize);
  if (options.migrate !== false) {
    try {
      await refuseNewerSchema(db, url);
    } catch (error) {
      await db.destroy();
      throw error instanceof WabaSyncError ? error : postgresError(url, 'cannot read its schema version', error);
    }
    try {
      await migrateToLatest(db);
    } catch (error) {
      await db.destroy();
      throw postgresError(url, 'cannot bring its schema up to date', error);
    }
  }
  return db;
}

/**
 * Opens (creating when missing) the SQLite database at `path`. What we create is private: the folders
 * 0700, the file 0600 — SQLite gives its -wal and -shm files the file's mode. Any failure to
 * create, open or read it throws a WabaSyncError naming DATABASE_URL and the path: CONFIG when the
 * path cannot be a database file here, DATABASE when the file is unusable (read-only, corrupt).
 */
async function openSqlite(path: string, options: OpenOptions): Promise<Db> {
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
    // A new database (no table yet, the only moment it can be chosen) frees space incrementally:
    // after a prune (src/retention/) its free pages go back to the file system. Older databases
    // reuse freed pages for new rows; docs/production.md says how to convert one.
    if ((sqlite.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n === 0) sqlite.pragma('auto_vacuum = INCREMENTAL');
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
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
      // Before migrating: a newer schema is refused by name rather than failing inside Kysely.
      await refuseNewerSchema(db, path);
      await migrateToLatest(db);
    } catch (error) {
      await db.destroy();
      if (error instanceof WabaSyncError) throw error;
      throw databaseError(path, 'cannot bring its schema up to date', error);
    }
  }
  try {
    if (options.staging !== false) await createConnectionStaging(db);
  } catch (error) {
    await db.destroy();
    throw databaseError(path, 'cannot create the staging table of this connection', error);
  }
  return db;
}

/**
 * SQLite: the folder its temporary files go to, chosen as SQLite does on Unix — SQLITE_TMPDIR,
 * TMPDIR, /var/tmp, /usr/tmp, /tmp, then the working folder, the first that is a folder this
 * process may write in — or null when there is none. SQLite itself only finds out when a pull's
 * staging first outgrows its cache, and then fails as a rolled-back transaction.
 */
export function sqliteTempDirectory(env: NodeJS.ProcessEnv = process.env, fallbacks: readonly string[] = ['/var/tmp', '/usr/tmp', '/tmp', '.']): string | null {
  for (const folder of [env.SQLITE_TMPDIR, env.TMPDIR, ...fallbacks]) {
    if (!folder) continue;
    try {
      if (!statSync(folder).isDirectory()) continue;
      accessSync(folder, constants.W_OK | constants.X_OK);
      return folder;
    } catch {
      // Missing or not ours to write: SQLite moves on to the next one too.
    }
  }
  return null;
}

/**
 * SQLite: the temporary database's page cache (KiB). Staging appends rows and the commit reads
 * them back once: a small cache is enough, and the rest of a baseline's staging stays in the
 * temporary file (the operating system's cache), not in the process (SQLite's default is 16 MB).
 */
const STAGING_CACHE_KIB = 2048;

/**
 * SQLite: a pull's staged rows (src/sync/stage.ts) go into a `pull_item` of this connection's
 * temporary database, which takes the place of the file's table of that name for every statement
 * of this connection (SQLite looks a name up in `temp` first). Staging then writes no log and
 * takes no lock on the file: its rows are written once, to a temporary file that is never synced,
 * instead of to the write-ahead log and again into the file by the checkpoint — and copied into
 * entity_version by the commit. They are only ever read by the pull that wrote them, on this same
 * connection, and vanish with it: a process that dies leaves no staging behind. No key while
 * staging (each row an append); the commit indexes what was staged (stage.ts,
 * `prepareStagedForCommit`). The file's own `pull_item` stays, empty, so both backends keep one
 * schema; PostgreSQL stages in it (UNLOGGED, keyed).
 */
async function createConnectionStaging(db: Db): Promise<void> {
  // Set before the temporary database has a page: the file shrinks by what a transaction freed
  // as it ends, so a committed baseline's staging does not hold its disk space until the process
  // ends. (INCREMENTAL would need its vacuum stepped to the end, which Kysely's driver doesn't.)
  await sql`PRAGMA temp.auto_vacuum = FULL`.execute(db);
  await db.schema
    .createTable('pull_item')
    .temporary()
    .addColumn('run_id', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await sql.raw(`PRAGMA temp.cache_size = -${STAGING_CACHE_KIB}`).execute(db);
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

/** Whether `error` comes from the database (SQLite, or PostgreSQL and the connection to it) rather than our code. */
export function isDatabaseError(error: unknown): boolean {
  return isSqliteError(error) || isPostgresError(error);
}

/**
 * A failure of the database itself, naming DATABASE_URL and the file path or the masked URL (also
 * used for failures after opening).
 */
export function databaseError(url: string, what: string, error: unknown): WabaSyncError {
  if (backendOf(url) === 'postgres') return postgresError(url, what, error);
  const path = url;
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

/** A rollback with no transaction left to roll back: nothing to do. */
const NOTHING_TO_ROLL_BACK: SqliteStatement = {
  reader: false,
  all: () => [],
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
  iterate: () => [][Symbol.iterator](),
};

function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (text) => {
      // On some errors SQLite ends the transaction itself (a full disk or temporary folder, out of
      // memory): Kysely's rollback would then fail with "cannot rollback - no transaction is
      // active", and that would be thrown in place of the error that said what happened.
      if (text === 'rollback' && !sqlite.inTransaction) return NOTHING_TO_ROLL_BACK;
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
