/**
 * The one place the report meets the durable outbox (issue 5, src/notify/outbox.ts), which is
 * built in parallel. Until it is merged `outboxEnqueue` is null and `report --send`, the scheduled
 * report and the catch-up fail with a clear message instead of sending.
 *
 * TO WIRE after the outbox merge (one line each):
 *   import { enqueueEmail } from '../src/notify/outbox.js';
 *   export const outboxEnqueue: Enqueue | null = enqueueEmail;
 */
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { WabaSyncError } from '../src/errors.js';
import type { OutgoingEmail } from '../src/notify/email.js';

/** Queues one email inside `trx`; true when newly queued, false when its idempotency key was already there. */
export type Enqueue = (trx: Transaction<Database>, email: OutgoingEmail, now: Date) => Promise<boolean>;

export const outboxEnqueue: Enqueue | null = null;

export function requireOutbox(enqueue: Enqueue | null, what: string): Enqueue {
  if (!enqueue) {
    throw new WabaSyncError('UNAVAILABLE', `${what}: the email outbox is not available in this version yet, so nothing was sent; use --out DIR to write the report to files`);
  }
  return enqueue;
}
