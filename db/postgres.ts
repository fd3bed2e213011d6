/**
 * PostgreSQL wiring: a pg pool behind Kysely's PostgresDialect, opened only once the server has
 * answered, so a wrong DATABASE_URL fails at start naming the setting (password masked).
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { WabaSyncError } from '../src/errors.js';
import type { Database } from './schema.js';
import { maskDatabaseUrl, passwordOf } from './url.js';

/**
 * Connections per process. A pull holds its lease's session for its whole length, and a baseline
 * its transaction too: three sources pulled side by side for the first time hold six, and the
 * catch-up lease, webhook pulls, the outbox, the console and the reads of the pulls themselves
 * share the rest.
 */
const POOL_SIZE = 16;
/** How long a connection attempt may take before the server counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * int8 (COUNT, SUM, bigint) arrives from pg as a string, since it may exceed 2^53; ours are row
 * counts and ids, far below that, and SQLite returns them as numbers: return numbers here too.
 * numeric (1700) likewise. Everything else keeps pg's own parsing; our own columns are text and
 * integer only (see docs/architecture.md, "Databases").
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (value: string) => Number(value);
    return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

export async function openPostgres(url: string, poolSize = POOL_SIZE): Promise<Kysely<Database>> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'waba-sync', types });
  // An idle connection the server dropped (restart, network): the next query gets a fresh one.
  // Without a listener, pg's 'error' event would end the process.
  pool.on('error', () => undefined);
  // A checked-out connection the server drops (shut down, restarted) between two queries — a
  // lease's advisory-lock session (src/sync/lease.ts) among them — emits 'error' on its client,
  // which the pool listens to only while the client is idle: without this listener that would end
  // the process. The query that comes next fails, and the pool discards the client on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  let encoding: string;
  try {
    const client = await pool.connect();
    try {
      encoding = (await client.query<{ server_encoding: string }>('show server_encoding')).rows[0]?.server_encoding ?? '';
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw postgresError(url, 'cannot connect', error);
  }
  // Upstream text holds any Unicode (names with emoji); another encoding would fail mid-pull.
  if (encoding !== 'UTF8') {
    await pool.end().catch(() => undefined);
    throw new WabaSyncError('CONFIG', `DATABASE_URL: the PostgreSQL database ${maskDatabaseUrl(url)} has the encoding ${encoding}; waba-sync needs UTF8 (CREATE DATABASE … ENCODING 'UTF8')`);
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Server answers and network failures that mean "DATABASE_URL does not lead to a database we can
 * use" — a setting to fix (exit 2), not a failure of the data: wrong password or user (28P01,
 * 28000), no such database (3D000), a role without the rights to create our tables (42501), no
 * server there, a host that does not resolve or answer.
 */
const SETTING_PROBLEMS = new Set(['28P01', '28000', '3D000', '42501', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/**
 * Failures that waiting can heal: no server answering (yet), the connection cut, the server
 * shutting down or starting up (57P01-57P03), all its connections taken (53300). A wrong password,
 * a missing database or missing rights can't heal by waiting (SETTING_PROBLEMS without these).
 * ENOTFOUND and EAI_AGAIN are here too: a database's host name may resolve only once its container
 * or DNS entry is up.
 */
const TRANSIENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03', '53300']);
const TRANSIENT_MESSAGE = /timeout expired|timeout exceeded when trying to connect|Connection terminated|connection timeout|Client was closed and is not queryable|Client has encountered a connection error/i;

/**
 * Whether `error` (or one of its causes) says the PostgreSQL server can't be reached right now
 * rather than that DATABASE_URL is wrong: the daemon waits and retries these, a one-shot command
 * still exits 2.
 */
export function isPostgresUnreachable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current: unknown = error; current !== null && current !== undefined && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    if (current instanceof AggregateError && current.errors.some((inner) => isPostgresUnreachable(inner))) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT.has(code)) return true;
    if (!(current instanceof pg.DatabaseError) && current instanceof Error && !(current instanceof WabaSyncError) && TRANSIENT_MESSAGE.test(current.message)) return true;
  }
  return false;
}

/** Whether `error` comes from PostgreSQL or the connection to it. */
export function isPostgresError(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return true;
  if (isPostgresUnreachable(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SETTING_PROBLEMS.has(code);
}

/** A failure of the PostgreSQL database, naming DATABASE_URL with its password masked (never the password itself). */
export function postgresError(url: string, what: string, error: unknown): WabaSyncError {
  const code = (error as { code?: unknown } | null)?.code;
  let detail = describe(error);
  const password = passwordOf(url);
  if (password !== null) detail = detail.split(password).join('***');
  const settingProblem = (typeof code === 'string' && SETTING_PROBLEMS.has(code)) || /timeout expired|timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(detail);
  return new WabaSyncError(settingProblem ? 'CONFIG' : 'DATABASE', `DATABASE_URL: the PostgreSQL database ${maskDatabaseUrl(url)}: ${what} (${detail})`, {
    cause: error,
  });
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const text = message === '' && typeof code === 'string' ? code : message;
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}
