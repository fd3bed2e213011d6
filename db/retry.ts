/**
 * PostgreSQL may abort a transaction that collides with another one — a serialization failure
 * (40001) or a deadlock it broke (40P01). Neither is a fault of the data: the transaction is run
 * again from the start, a few times, rather than surfacing as a failed pull or job. SQLite never
 * reports either (one writer at a time, waiting on busy_timeout).
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** SQLSTATEs after which the same transaction, run again, can succeed. */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01']);

const ATTEMPTS = 5;

export function isTransactionConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_SQLSTATES.has(code);
}

/**
 * Runs `transaction` (which must begin and end its own transaction, so a retry starts afresh),
 * again after a short random pause when it fails with a conflict; other errors pass through.
 */
export async function retryOnConflict<T>(transaction: () => Promise<T>, attempts = ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (!isTransactionConflict(error) || attempt >= attempts) throw error;
      // Randomised so the two colliding transactions do not collide again in step.
      await sleep(Math.round(Math.random() * 20 * attempt));
    }
  }
}
