/**
 * Leases: at most one process pulls a source, or drains the outbox, at a time (daemon, one-shot,
 * a second daemon on the same database, on any host).
 * - SQLite: a row in `lease` that expires, so one left by a crashed process is taken over; on this
 *   machine a dead holder is recognised at once and need not be waited out.
 * - PostgreSQL: a session advisory lock, taken on a connection of its own held for the work's
 *   whole life. The server releases it the moment that session ends — the holder killed, its host
 *   gone, the connection cut — so another daemon takes over at its next attempt, no timer to wait
 *   out. The `lease` row is still written, for who-holds-it messages only.
 * Either way the run-ownership checks at commit (ledger.ts claimRunForCommit, markRunComplete)
 * are the last line of defence for a holder that lost its lease without noticing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { hostname } from 'node:os';
import { type Db, isPostgres } from '../../db/database.js';
import { advisoryUnlock, tryAdvisoryLock } from '../../db/serialize.js';
import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * Short, so a holder on another machine that died is waited out for a minute at most; the holder
 * renews it every third of that while it works.
 */
export const LEASE_TTL_MS = 60_000;

/**
 * Holders this process holds right now. Two holders in one process (the daemon's digest drains
 * the outbox while a sync does) must exclude each other like two processes; a holder with our PID
 * that is not in here was left by an earlier process that had our PID (a restarted container).
 */
const heldHere = new Set<string>();

/** "host:pid:start:nonce": `start` is the process's start time (/proc/<pid>/stat), so a reused PID is told apart. */
export function processHolder(): string {
  return `${hostname()}:${process.pid}:${processStartTicks(process.pid) ?? '-'}:${randomBytes(3).toString('hex')}`;
}

export interface HeldLease {
  readonly holder: string;
  /** Extends the lease now; false when it was lost (we lapsed and another holder took it): stop. */
  renew(): Promise<boolean>;
}

export type LeaseOutcome<T> = { readonly acquired: true; readonly value: T } | { readonly acquired: false; readonly holder: string | null; readonly expiresAt: string | null };

export interface LeaseDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * Runs `work` holding the lease `name`, or returns who holds it. The lease is renewed every third
 * of its TTL while `work` runs and released afterwards, whatever `work` does.
 */
export async function withLease<T>(
  deps: LeaseDeps,
  name: string,
  work: (lease: HeldLease) => Promise<T>,
  options: { ttlMs?: number; holder?: string } = {},
): Promise<LeaseOutcome<T>> {
  const { db, clock, log } = deps;
  const ttl = options.ttlMs ?? LEASE_TTL_MS;
  const holder = options.holder ?? processHolder();
  if (isPostgres(db)) return withAdvisoryLease(deps, name, work, { ttl, holder });
  // Counted as held from the first attempt: another holder in this process that reads our row
  // before acquireLease returns must not take us for a leftover of an earlier process.
  heldHere.add(holder);
  if (!(await acquireLease(db, name, holder, clock(), ttl))) {
    heldHere.delete(holder);
    const current = await describeLease(db, name);
    return { acquired: false, holder: current?.holder ?? null, expiresAt: current?.expires_at ?? null };
  }
  const renew = () => renewLease(db, name, holder, clock(), ttl);
  const renewal = setInterval(() => {
    renew().catch((error) => log.warn({ lease: name, error: describeError(error) }, 'lease renewal failed'));
  }, ttl / 3);
  renewal.unref();
  try {
    return { acquired: true, value: await work({ holder, renew }) };
  } finally {
    clearInterval(renewal);
    heldHere.delete(holder);
    await releaseLease(db, name, holder).catch(() => undefined);
  }
}

/**
 * withLease on PostgreSQL: the session advisory lock `lease:<name>` decides; `renew` also proves
 * the lock's connection is still alive (a cut one means the lock is gone: false, stop).
 */
async function withAdvisoryLease<T>(
  deps: LeaseDeps,
  name: string,
  work: (lease: HeldLease) => Promise<T>,
  { ttl, holder }: { ttl: number; holder: string },
): Promise<LeaseOutcome<T>> {
  const { db, clock, log } = deps;
  const lock = `lease:${name}`;
  return db.connection().execute(async (session) => {
    if (!(await tryAdvisoryLock(session, lock))) {
      const current = await describeLease(db, name);
      return { acquired: false, holder: current?.holder ?? null, expiresAt: current?.expires_at ?? null };
    }
    // A holder whose host vanishes sends no FIN: have the server probe the connection, so it drops
    // the session — and the lock — about half a minute after the host went silent, not hours.
    await sql`select set_config('tcp_keepalives_idle', ${String(KEEPALIVE_IDLE_S)}, false), set_config('tcp_keepalives_interval', ${String(KEEPALIVE_INTERVAL_S)}, false), set_config('tcp_keepalives_count', ${String(KEEPALIVE_COUNT)}, false)`.execute(session);
    let alive = true;
    const renew = async () => {
      try {
        await sql`select 1`.execute(session);
      } catch {
        alive = false;
      }
      if (alive) await writeLeaseRow(db, name, holder, clock(), ttl);
      return alive;
    };
    const renewal = setInterval(() => {
      renew().catch((error) => log.warn({ lease: name, error: describeError(error) }, 'lease renewal failed'));
    }, ttl / 3);
    renewal.unref();
    try {
      await writeLeaseRow(db, name, holder, clock(), ttl);
      return { acquired: true, value: await work({ holder, renew }) };
    } finally {
      clearInterval(renewal);
      await releaseLease(db, name, holder).catch(() => undefined);
      // A session that died took its lock with it; one that lives must not go back to the pool holding it.
      if (alive) await advisoryUnlock(session, lock).catch(() => undefined);
    }
  });
}

/** Server-side keepalive of a lock session: silent for 10 s, then 4 probes 5 s apart (≈ 30 s). */
const KEEPALIVE_IDLE_S = 10;
const KEEPALIVE_INTERVAL_S = 5;
const KEEPALIVE_COUNT = 4;

/**
 * Whether nobody holds the lease `name` right now (a hint: it may be taken the next moment; take it
 * with withLease). PostgreSQL: no session holds its lock. SQLite: no row, an expired one, or a
 * holder on this machine that is gone.
 */
export async function leaseIsFree(db: Db, name: string, now: Date): Promise<boolean> {
  if (isPostgres(db)) {
    return db.connection().execute(async (session) => {
      if (!(await tryAdvisoryLock(session, `lease:${name}`))) return false;
      await advisoryUnlock(session, `lease:${name}`);
      return true;
    });
  }
  const current = await describeLease(db, name);
  return !current || current.expires_at < now.toISOString() || holderIsGone(current.holder);
}

/** PostgreSQL: the advisory lock is held, so the row is simply ours (whoever wrote it before). */
async function writeLeaseRow(db: Db, name: string, holder: string, now: Date, ttlMs: number): Promise<void> {
  const acquired = now.toISOString();
  const expires = new Date(now.getTime() + ttlMs).toISOString();
  await db
    .insertInto('lease')
    .values({ name, holder, acquired_at: acquired, expires_at: expires })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({ holder, expires_at: expires, acquired_at: sql<string>`case when lease.holder = excluded.holder then lease.acquired_at else excluded.acquired_at end` }),
    )
    .execute();
}

export async function acquireLease(db: Db, name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
  const nowIso = now.toISOString();
  const expires = new Date(now.getTime() + ttlMs).toISOString();
  await db
    .insertInto('lease')
    .values({ name, holder, acquired_at: nowIso, expires_at: expires })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, acquired_at: nowIso, expires_at: expires })
        .where((eb) => eb.or([eb('lease.expires_at', '<', nowIso), eb('lease.holder', '=', holder)])),
    )
    .execute();
  const row = await db.selectFrom('lease').select('holder').where('name', '=', name).executeTakeFirst();
  if (row?.holder === holder) return true;
  if (row && holderIsGone(row.holder)) {
    await db.deleteFrom('lease').where('name', '=', name).where('holder', '=', row.holder).execute();
    return acquireLease(db, name, holder, now, ttlMs);
  }
  return false;
}

/**
 * Whether a holder on this machine has certainly ended: no such process, a zombie (killed but not
 * yet reaped: it still answers `kill(pid, 0)`), a different process under the same PID (its start
 * time differs from the one recorded), or our own PID when this process does not hold it. A
 * holder on another host can't be checked: its lease runs out instead.
 */
export function holderIsGone(holder: string): boolean {
  const parts = holder.split(':');
  const [host, pidText] = parts;
  if (host !== hostname() || !pidText || !/^\d+$/.test(pidText)) return false;
  const pid = Number(pidText);
  if (pid === process.pid) return !heldHere.has(holder);
  if (!hasProc()) return !processExists(pid);
  const stat = readProcStat(pid);
  if (stat === null) return true;
  if (stat.state === 'Z' || stat.state === 'X') return true;
  // Holders written before the start time was recorded ("host:pid:nonce") have none to compare.
  const recorded = parts.length >= 4 && parts[2] !== '-' ? parts[2] : undefined;
  return recorded !== undefined && recorded !== stat.startTicks;
}

export async function renewLease(db: Db, name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
  const result = await db
    .updateTable('lease')
    .set({ expires_at: new Date(now.getTime() + ttlMs).toISOString() })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.deleteFrom('lease').where('name', '=', name).where('holder', '=', holder).execute();
}

export async function describeLease(db: Db, name: string): Promise<{ holder: string; expires_at: string } | undefined> {
  return db.selectFrom('lease').select(['holder', 'expires_at']).where('name', '=', name).executeTakeFirst();
}

interface ProcStat {
  /** R, S, D, Z (zombie), X (dead), … */
  readonly state: string;
  /** Start time in clock ticks since boot (field 22): with the PID, identifies one process. */
  readonly startTicks: string;
}

/** Linux tells a process's state and start time in /proc; elsewhere only whether the PID exists. */
function hasProc(): boolean {
  return existsSync('/proc/self/stat');
}

/** null: no such process. */
function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (command) state ppid …": the command may hold spaces and parentheses; fields follow the last ")".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', startTicks: fields[19] ?? '' };
}

function processStartTicks(pid: number): string | null {
  return readProcStat(pid)?.startTicks ?? null;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
