/**
 * The webhook inbox (`webhook_inbox`): every authenticated delivery is written here before it is
 * answered 200, once per upstream and body (a duplicate only counts up `deliveries`), and processed
 * from here — so a delivery survives a restart, and a delivery that reached any daemon sharing
 * the database is processed by one of them, once (`claimDeliveries` in the processing transaction).
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database, WebhookInboxRow } from '../../db/schema.js';

export type RecordOutcome = 'recorded' | 'duplicate';

/**
 * `repeats`: a body already processed that comes again is processed again (the upstream's bodies
 * can't tell a repeat from a resend); a body still waiting is the same delivery either way.
 */
export async function recordDelivery(db: Kysely<Database>, delivery: { upstream: string; rawBody: Buffer; at: Date; repeats?: boolean }): Promise<RecordOutcome> {
  const bodyHash = createHash('sha256').update(delivery.rawBody).digest('hex');
  const at = delivery.at.toISOString();
  const inserted = await db
    .insertInto('webhook_inbox')
    // As text (PostgreSQL's can hold no NUL); the hash is of the bytes as received.
    .values({ upstream: delivery.upstream, body_hash: bodyHash, body: delivery.rawBody.toString('utf8').replaceAll('\u0000', '\uFFFD'), received_at: at, last_received_at: at, next_attempt_at: at })
    .onConflict((oc) => oc.columns(['upstream', 'body_hash']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return 'recorded';
  if (delivery.repeats) {
    const rearmed = await db
      .updateTable('webhook_inbox')
      // Arrived now, as far as processing goes: it waits its turn behind what came before it.
      .set((eb) => ({ deliveries: eb('deliveries', '+', 1), received_at: at, last_received_at: at, processed_at: null, outcome: null, note: null, error: null, attempts: 0, next_attempt_at: at }))
      .where('upstream', '=', delivery.upstream)
      .where('body_hash', '=', bodyHash)
      .where('processed_at', 'is not', null)
      .returning('id')
      .executeTakeFirst();
    if (rearmed) return 'recorded';
  }
  await db
    .updateTable('webhook_inbox')
    .set((eb) => ({ deliveries: eb('deliveries', '+', 1), last_received_at: at }))
    .where('upstream', '=', delivery.upstream)
    .where('body_hash', '=', bodyHash)
    .execute();
  return 'duplicate';
}

/** Deliveries of an upstream waiting to be processed and due, oldest first. */
export async function dueDeliveries(db: Kysely<Database>, upstream: string, now: Date, limit: number): Promise<WebhookInboxRow[]> {
  return db
    .selectFrom('webhook_inbox')
    .selectAll()
    .where('upstream', '=', upstream)
    .where('processed_at', 'is', null)
    .where('next_attempt_at', '<=', now.toISOString())
    // Arrival order: a body that came again (recordDelivery's `repeats`) keeps its first row's id.
    .orderBy('received_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Marks the deliveries processed, in the transaction that applied them; returns the ids this
 * transaction claimed — another daemon may have processed some first, and only the claimed ones'
 * events are written.
 */
export async function claimDeliveries(trx: Transaction<Database>, ids: readonly number[], done: { at: string; outcome: string; note: string }): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await trx
    .updateTable('webhook_inbox')
    .set({ processed_at: done.at, outcome: done.outcome, note: done.note, error: null })
    .where('id', 'in', ids)
    .where('processed_at', 'is', null)
    .returning('id')
    .execute();
  return new Set(rows.map((row) => row.id));
}

/**
 * A failed attempt, tried again at `nextAttemptAt`. `counted: false` when nothing was tried (another
 * daemon held the source): waiting on it must not use up the attempts a real failure gets.
 */
export async function recordAttemptFailed(db: Kysely<Database>, ids: readonly number[], failure: { at: Date; error: string; nextAttemptAt: Date; counted?: boolean }): Promise<void> {
  if (ids.length === 0) return;
  const added = failure.counted === false ? 0 : 1;
  await db
    .updateTable('webhook_inbox')
    .set((eb) => ({ attempts: eb('attempts', '+', added), error: failure.error, next_attempt_at: failure.nextAttemptAt.toISOString() }))
    .where('id', 'in', ids)
    .where('processed_at', 'is', null)
    .execute();
}

export interface IntakeSummary {
  readonly upstream: string;
  readonly lastReceivedAt: string | null;
  /** Recorded, not yet processed. */
  readonly backlog: number;
  readonly oldestPendingAt: string | null;
}

export async function intakeSummary(db: Kysely<Database>, upstreams: readonly string[]): Promise<IntakeSummary[]> {
  const summaries: IntakeSummary[] = [];
  for (const upstream of upstreams) {
    const last = await db.selectFrom('webhook_inbox').select((eb) => eb.fn.max('last_received_at').as('at')).where('upstream', '=', upstream).executeTakeFirst();
    const pending = await db
      .selectFrom('webhook_inbox')
      .select((eb) => [eb.fn.countAll<number | bigint>().as('n'), eb.fn.min('received_at').as('oldest')])
      .where('upstream', '=', upstream)
      .where('processed_at', 'is', null)
      .executeTakeFirst();
    summaries.push({ upstream, lastReceivedAt: last?.at ?? null, backlog: Number(pending?.n ?? 0), oldestPendingAt: pending?.oldest ?? null });
  }
  return summaries;
}
