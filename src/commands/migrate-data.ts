/**
 * `migrate-data --from FILE --to URL`: copies a SQLite database into an empty PostgreSQL one, in
 * one transaction, then proves the copy table by table (row count and checksum, read the same
 * way on both sides). The source is opened read-only and read in one snapshot, so a daemon still
 * writing to it cannot tear the copy (its later writes are simply not copied: stop it first).
 * `--verify-only` compares an existing target with the source without copying.
 *
 * It needs no configuration: both databases are named on the command line, not by DATABASE_URL.
 * Exit codes: 0 copied and verified, 1 the target differs from the source (or the copy failed),
 * 2 usage (an option, a source that is not a waba-sync database, a target that is not empty).
 */
import type { Kysely } from 'kysely';
import { type TableComparison, compareDatabases, copyRows, nonEmptyTables } from '../../db/copy.js';
import { openDatabase } from '../../db/database.js';
import { isPostgresError, postgresError } from '../../db/postgres.js';
import type { Database } from '../../db/schema.js';
import { openSqliteSource } from '../../db/sqlite-source.js';
import { backendOf, maskDatabaseUrl } from '../../db/url.js';
import { UsageError, WabaSyncError } from '../errors.js';
import { textTable } from '../render/text-table.js';
import { type CliIo, writeLine } from './io.js';

export interface MigrateDataOptions {
  from: string;
  to: string;
  verifyOnly?: boolean;
}

export async function migrateDataCommand(io: CliIo, options: MigrateDataOptions): Promise<number> {
  if (backendOf(options.from) !== 'sqlite') throw new UsageError(`--from: expected the path of a SQLite file, got ${maskDatabaseUrl(options.from)}`);
  if (backendOf(options.to) !== 'postgres') {
    throw new UsageError(`--to: expected a PostgreSQL URL (postgres://user:password@host:port/database), got ${maskDatabaseUrl(options.to)}`);
  }
  const target = maskDatabaseUrl(options.to);
  const source = await openSqliteSource(options.from);
  try {
    const db = await openTarget(options.to);
    try {
      writeLine(io.stdout, `From: ${options.from} (read-only${source.migratedCopy ? '; its schema is older, so a migrated temporary copy of it is read' : ''})`);
      writeLine(io.stdout, `To: ${target}`);
      // One read transaction on the source: every table from the same moment, copy and verification alike.
      const comparisons = await source.db.transaction().execute(async (snapshot) => {
        if (!options.verifyOnly) {
          await db.transaction().execute(async (trx) => {
            const filled = await nonEmptyTables(trx);
            if (filled.length > 0) {
              throw new UsageError(`--to ${target}: the database is not empty (rows in ${filled.join(', ')}); migrate-data copies into an empty database only`);
            }
            await copyRows(snapshot, trx, (table, rows) => writeLine(io.stdout, `copied ${table}: ${rows} row(s)`));
          });
        }
        // Read back after the commit: what is verified is what the target now holds.
        return compareDatabases(snapshot, db);
      });
      return report(io, comparisons);
    } catch (error) {
      if (isPostgresError(error)) throw postgresError(options.to, options.verifyOnly ? 'migrate-data --verify-only failed' : 'migrate-data failed (nothing was copied)', error);
      throw error;
    } finally {
      await db.destroy();
    }
  } finally {
    await source.close();
  }
}

/** The target, migrated to this version's schema; its errors name --to rather than DATABASE_URL. */
async function openTarget(url: string): Promise<Kysely<Database>> {
  try {
    return await openDatabase(url);
  } catch (error) {
    if (error instanceof WabaSyncError) throw new WabaSyncError(error.code, error.message.replace(/^DATABASE_URL:/, '--to:'), { cause: error });
    throw error;
  }
}

function report(io: CliIo, comparisons: readonly TableComparison[]): number {
  writeLine(
    io.stdout,
    textTable(
      ['TABLE', 'SOURCE ROWS', 'TARGET ROWS', 'CHECKSUM', 'RESULT'],
      comparisons.map((c) => [c.table, String(c.source.rows), String(c.target.rows), c.source.checksum.slice(0, 16), c.matches ? 'ok' : 'MISMATCH']),
    ),
  );
  const mismatched = comparisons.filter((c) => !c.matches).map((c) => c.table);
  if (mismatched.length > 0) {
    writeLine(io.stderr, `migrate-data: the target differs from the source in ${mismatched.join(', ')} (row count or checksum)`);
    return 1;
  }
  const rows = comparisons.reduce((sum, c) => sum + c.source.rows, 0);
  writeLine(io.stdout, `Verified: ${comparisons.length} tables, ${rows} rows; every row count and checksum matches.`);
  return 0;
}
