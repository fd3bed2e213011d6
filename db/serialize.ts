/**
 * Decisions that several processes sharing the database may take at once (which events a digest
 * covers, whether an alert episode is open) must be taken one at a time.
 *
 * - SQLite: a transaction that writes first holds the database's single write lock until it ends;
 *   the others wait (busy_timeout) and then read what it committed.
 * - PostgreSQL: row locks do not serialize a no-op write, and READ COMMITTED lets two transactions
 *   read the same "before". A transaction-scoped advisory lock on the decision's name does: the
 *   second waits at `serializeOn` until the first commits, and — READ COMMITTED taking a fresh
 *   snapshot per statement — then reads what the first wrote. (Under REPEATABLE READ the snapshot
 *   could predate the wait; these transactions stay READ COMMITTED.)
 */
import { type Kysely, type Transaction, sql } from 'kysely';
import { isPostgres } from './database.js';
import type { Database } from './schema.js';

/**
 * The first half of every advisory lock key we take (two-int form): keeps our locks apart from any
 * another application takes on the same database. "wabs" in ASCII.
 */
export const ADVISORY_NAMESPACE = 0x77616273;

/**
 * Waits until no other transaction holds `name`, then holds it until this transaction ends. Call
 * first in the transaction: on SQLite it does nothing, and the caller's first statement must be
 * a write (which takes the write lock).
 */
export async function serializeOn(trx: Transaction<Database>, name: string): Promise<void> {
  if (!isPostgres(trx)) return;
  await sql`select pg_advisory_xact_lock(${ADVISORY_NAMESPACE}, hashtext(${name}))`.execute(trx);
}

/** PostgreSQL only: takes the session lock `name` on this connection if free; true when taken. */
export async function tryAdvisoryLock(connection: Kysely<Database>, name: string): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${ADVISORY_NAMESPACE}, hashtext(${name})) as locked`.execute(connection);
  return rows[0]?.locked === true;
}

/** PostgreSQL only: releases the session lock `name` this connection holds. */
export async function advisoryUnlock(connection: Kysely<Database>, name: string): Promise<void> {
  await sql`select pg_advisory_unlock(${ADVISORY_NAMESPACE}, hashtext(${name}))`.execute(connection);
}
