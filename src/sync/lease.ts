/**
 * Leases: at most one process pulls a source at a time (daemon, one-shot, a second daemon on the
 * same database). A lease expires, so one left by a crashed process is taken over.
 */
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
  return row?.holder === holder;
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
