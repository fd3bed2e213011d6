/**
 * `backup FILE`: a consistent copy of the SQLite database, taken while the daemon keeps running.
 * `VACUUM INTO` reads the whole database in one read transaction — one snapshot, as of the last
 * commit before it began (WAL lets writers go on meanwhile) — and writes a compact copy: a pull
 * in progress is absent from it or, if its final transaction committed first, whole. The copy is
 * then opened on its own and must pass `PRAGMA integrity_check`.
 *
 * FILE is created 0600 and never overwritten. The database is opened as it is: not created, not
 * migrated (a backup before an upgrade is of the old schema). PostgreSQL has its own tools: exit 2.
 * Exit codes: 0 written and verified; 1 the copy failed its check; 2 usage.
 */
import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { databaseError } from '../../db/database.js';
import { backendOf } from '../../db/url.js';
import { UsageError } from '../errors.js';
import { commandConfig } from './context.js';
import { type CliIo, writeLine } from './io.js';

export async function backupCommand(io: CliIo, file: string): Promise<number> {
  const config = commandConfig(io);
  if (backendOf(config.databasePath) === 'postgres') {
    throw new UsageError('backup: DATABASE_URL is a PostgreSQL database: back it up with pg_dump (e.g. pg_dump --format=custom --file=FILE "$DATABASE_URL"), restore with pg_restore');
  }
  const source = resolve(io.cwd, config.databasePath);
  const target = resolve(io.cwd, file);
  if (!existsSync(source)) throw new UsageError(`backup: there is no database at ${config.databasePath} (DATABASE_URL)`);
  if (target === source) throw new UsageError('backup: FILE is the database itself');
  try {
    // An empty file is what VACUUM INTO accepts besides none; made here so it is private from the start.
    closeSync(openSync(target, 'wx', 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'EEXIST' ? `backup: ${file} exists; a backup never overwrites a file` : `backup: cannot create ${file} (${code ?? String(error)})`);
  }

  try {
    copyInto(source, target, config.databaseBusyTimeoutMs);
  } catch (error) {
    rmSync(target, { force: true });
    throw databaseError(config.databasePath, `cannot copy it to ${file}`, error);
  }
  const check = verify(target);
  if (!check.ok) {
    writeLine(io.stderr, `backup: ${file} FAILED PRAGMA integrity_check, do not rely on it: ${check.detail}`);
    return 1;
  }
  writeLine(io.stdout, `Backed up ${config.databasePath} to ${file}: ${formatBytes(statSync(target).size)}, schema version ${check.schemaVersion ?? 'none'}, integrity_check ok.`);
  return 0;
}

function copyInto(source: string, target: string, busyTimeoutMs: number): void {
  const sqlite = new SQLite(source, { fileMustExist: true });
  try {
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
    sqlite.prepare('VACUUM INTO ?').run(target);
  } finally {
    sqlite.close();
  }
}

interface Verification {
  ok: boolean;
  detail: string;
  schemaVersion: string | null;
}

/** Opens the copy by itself, read-only, and checks every page and index of it. */
function verify(file: string): Verification {
  let sqlite: SQLite.Database | undefined;
  try {
    sqlite = new SQLite(file, { readonly: true, fileMustExist: true });
    const rows = sqlite.pragma('integrity_check') as { integrity_check: string }[];
    const detail = rows.map((row) => row.integrity_check).join('; ');
    const hasMigrations = sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
    const latest = hasMigrations ? (sqlite.prepare('select max(name) as name from kysely_migration').get() as { name: string | null }).name : null;
    return { ok: detail === 'ok', detail, schemaVersion: latest };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error), schemaVersion: null };
  } finally {
    sqlite?.close();
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`;
}
