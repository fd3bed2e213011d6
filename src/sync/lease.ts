/**
 * Leases: at most one process pulls a source at a time (daemon, one-shot, a second daemon on the
 * same database). A lease expires, so one left by a crashed process is taken over.
 */
import { hostname } from 'node:os';
import type { Db } from '../../db/database.js';

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
  // A holder on this machine whose process is gone (killed, crashed) need not be waited out.
  if (row && holderIsDeadLocalProcess(row.holder)) {
    await db.deleteFrom('lease').where('name', '=', name).where('holder', '=', row.holder).execute();
    return acquireLease(db, name, holder, now, ttlMs);
  }
  return false;
}

/** Holders are "host:pid:nonce"; only a holder on this host can be checked. */
function holderIsDeadLocalProcess(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
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
