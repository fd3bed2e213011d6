/**
 * Every `event_delivery` query: claiming due deliveries (one daemon each), recording an attempt's
 * outcome, and the listings `outbox`, `status`, /metrics and the console read.
 *
 * Claiming: a delivery is due when it is pending, its next attempt has come, no live lease holds
 * it, and no earlier delivery of the same entity to the same subscription is still pending — so an
 * entity's events go out in order. The claim is one conditional UPDATE per batch; both databases
 * re-check its WHERE on the row they update (SQLite's single writer; PostgreSQL re-reads a row
 * another transaction updated meanwhile), so two daemons never both win a delivery.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { DeliveryStatus, EventDeliveryRow } from '../../db/schema.js';
import { retryDelayMs } from './settings.js';

/**
 * `together` (the chat lane, which posts a batch one message after another in event order, or as
 * one summary): an entity's due deliveries may be claimed in one batch; only an earlier one that
 * waits out a retry or is held by another daemon keeps the later ones back.
 */
export async function claimDue(db: Db, subscription: string, holder: string, now: Date, leaseMs: number, limit: number, options: { together?: boolean } = {}): Promise<EventDeliveryRow[]> {
  const at = now.toISOString();
  const candidates = await db
    .selectFrom('event_delivery as d')
    .select('d.id')
    .where('d.subscription', '=', subscription)
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', at)
    .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<=', at)]))
    .where(({ not, exists, selectFrom }) => {
      let earlier = selectFrom('event_delivery as e')
        .select('e.id')
        .whereRef('e.subscription', '=', 'd.subscription')
        .whereRef('e.entity', '=', 'd.entity')
        .where('e.status', '=', 'pending')
        .whereRef('e.event_id', '<', 'd.event_id');
      if (options.together) earlier = earlier.where((eb) => eb.or([eb('e.next_attempt_at', '>', at), eb('e.lease_until', '>', at)]));
      return not(exists(earlier));
    })
    .orderBy('d.event_id')
    .limit(limit)
    .execute();
  if (candidates.length === 0) return [];
  const claimed = await db
    .updateTable('event_delivery')
    .set({ lease_until: new Date(now.getTime() + leaseMs).toISOString(), lease_holder: holder })
    .where('id', 'in', candidates.map((row) => row.id))
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', at)]))
    .returningAll()
    .execute();
  return claimed.sort((a, b) => a.event_id - b.event_id);
}

/** Gives claimed deliveries back unattempted (the endpoint went down mid-batch; stopping). */
export async function release(db: Db, ids: readonly number[], holder: string): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('event_delivery').set({ lease_until: null, lease_holder: null }).where('id', 'in', [...ids]).where('lease_holder', '=', holder).execute();
}

export async function markDelivered(db: Db, row: EventDeliveryRow, status: number | null, now: Date): Promise<void> {
  const at = now.toISOString();
  await db
    .updateTable('event_delivery')
    .set({ status: 'delivered', attempts: row.attempts + 1, first_attempt_at: row.first_attempt_at ?? at, delivered_at: at, last_status: status, last_error: null, lease_until: null, lease_holder: null })
    .where('id', '=', row.id)
    .execute();
}

export interface RetryPolicy {
  readonly retryDelaysMs: readonly number[];
  readonly giveUpAfterMs: number;
}

/**
 * Records a failed attempt: retried after the schedule's next delay, or failed for good once the
 * next attempt would fall past `giveUpAfterMs` from the first. Returns the new status.
 */
export async function markAttemptFailed(db: Db, row: EventDeliveryRow, outcome: { status: number | null; error: string }, policy: RetryPolicy, now: Date): Promise<DeliveryStatus> {
  const attempts = row.attempts + 1;
  const first = row.first_attempt_at ?? now.toISOString();
  const next = now.getTime() + retryDelayMs(policy.retryDelaysMs, attempts);
  const status: DeliveryStatus = next - Date.parse(first) > policy.giveUpAfterMs ? 'failed' : 'pending';
  await db
    .updateTable('event_delivery')
    .set({ status, attempts, first_attempt_at: first, next_attempt_at: new Date(next).toISOString(), last_status: outcome.status, last_error: outcome.error, lease_until: null, lease_holder: null })
    .where('id', '=', row.id)
    .execute();
  return status;
}

export interface SubscriptionBacklog {
  readonly subscription: string;
  readonly pending: number;
  readonly failed: number;
  readonly delivered: number;
  /** The oldest pending delivery's event time, null when none is pending. */
  readonly oldestPendingEventAt: string | null;
}

/** Counts per subscription (every name in the table, plus `names` with zeros). */
export async function backlogBySubscription(db: Db, names: readonly string[] = []): Promise<SubscriptionBacklog[]> {
  const rows = await db
    .selectFrom('event_delivery')
    .select(['subscription', 'status', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('event_at').as('oldest')])
    .groupBy(['subscription', 'status'])
    .execute();
  const bySubscription = new Map<string, { pending: number; failed: number; delivered: number; oldestPendingEventAt: string | null }>();
  for (const name of names) bySubscription.set(name, { pending: 0, failed: 0, delivered: 0, oldestPendingEventAt: null });
  for (const row of rows) {
    const entry = bySubscription.get(row.subscription) ?? { pending: 0, failed: 0, delivered: 0, oldestPendingEventAt: null };
    entry[row.status] = Number(row.n);
    if (row.status === 'pending') entry.oldestPendingEventAt = row.oldest as string | null;
    bySubscription.set(row.subscription, entry);
  }
  return [...bySubscription.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([subscription, counts]) => ({ subscription, ...counts }));
}

export interface DeliveryListing {
  readonly id: number;
  readonly subscription: string;
  readonly eventId: number;
  readonly eventType: string;
  readonly webhookId: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly eventAt: string;
  readonly nextAttemptAt: string;
  readonly deliveredAt: string | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
}

/**
 * Deliveries of one subscription (or all), for `outbox` and the console: pending and failed ones
 * (at most `limit` each, oldest first), then the most recent delivered ones.
 */
export async function listDeliveries(db: Db, options: { subscription?: string; statuses?: readonly DeliveryStatus[]; limit?: number } = {}): Promise<DeliveryListing[]> {
  const limit = options.limit ?? 50;
  const statuses = options.statuses ?? ['pending', 'failed', 'delivered'];
  const listings: DeliveryListing[] = [];
  for (const status of statuses) {
    let query = db.selectFrom('event_delivery').selectAll().where('status', '=', status);
    if (options.subscription !== undefined) query = query.where('subscription', '=', options.subscription);
    const rows = await query
      .orderBy('id', status === 'delivered' ? 'desc' : 'asc')
      .limit(limit)
      .execute();
    listings.push(...(status === 'delivered' ? rows.reverse() : rows).map(toListing));
  }
  return listings;
}

function toListing(row: EventDeliveryRow): DeliveryListing {
  return {
    id: row.id,
    subscription: row.subscription,
    eventId: row.event_id,
    eventType: row.event_type,
    webhookId: row.webhook_id,
    status: row.status,
    attempts: row.attempts,
    eventAt: row.event_at,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
  };
}

/** Fan-out not yet done: events written but not yet turned into deliveries. */
export async function feedDepth(db: Db): Promise<number> {
  const row = await db.selectFrom('event_feed').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
