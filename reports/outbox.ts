/** Where the report meets the durable outbox: the enqueue it uses, injectable for tests. */
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { OutgoingEmail } from '../src/notify/email.js';
import { enqueueEmail } from '../src/notify/outbox.js';

/** Queues one email inside `trx`; true when newly queued, false when its idempotency key was already there. */
export type Enqueue = (trx: Transaction<Database>, email: OutgoingEmail, now: Date) => Promise<boolean>;

export const outboxEnqueue: Enqueue = enqueueEmail;
