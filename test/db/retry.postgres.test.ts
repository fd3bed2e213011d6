/**
 * A deadlock PostgreSQL breaks (40P01) reruns the aborted transaction instead of failing it; any
 * other error passes through at once.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../db/database.js';
import { retryOnConflict } from '../../db/retry.js';
import { tempDbPath } from '../helpers/temp.js';
import { until } from '../helpers/wait.js';

describe('retryOnConflict', () => {
  it('reruns the transaction PostgreSQL aborted to break a deadlock, so both complete', { timeout: 30_000 }, async () => {
    const url = tempDbPath();
    const dbs: Db[] = [await openDatabase(url), await openDatabase(url, { migrate: false })];
    try {
      const holding = new Set<number>();
      let attempts = 0;
      // First attempts: each takes its own lock, waits until the other holds its own, then wants
      // the other's. The one PostgreSQL aborts runs again and waits for the other to commit.
      const crossing = (db: Db, mine: number, theirs: number) => {
        let first = true;
        return retryOnConflict(() =>
          db.transaction().execute(async (trx) => {
            attempts += 1;
            await sql`select pg_advisory_xact_lock(${mine})`.execute(trx);
            if (first) {
              first = false;
              holding.add(mine);
              await until(() => holding.has(theirs), 'the other transaction to hold its lock');
            }
            await sql`select pg_advisory_xact_lock(${theirs})`.execute(trx);
            return mine;
          }),
        );
      };
      expect(await Promise.all([crossing(dbs[0]!, 1, 2), crossing(dbs[1]!, 2, 1)])).toEqual([1, 2]);
      expect(attempts).toBe(3);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
  });

  it('lets any other error through at once', async () => {
    let attempts = 0;
    const failing = retryOnConflict(async () => {
      attempts += 1;
      throw Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    });
    await expect(failing).rejects.toThrow('duplicate key');
    expect(attempts).toBe(1);
  });
});
