/**
 * Fan-out: events in `event_feed` (written by a trigger with every event, in the event's own
 * transaction) become one `event_delivery` row per subscription (and the chat channel) that wants
 * them, and leave the feed — in one transaction, so an event is fanned out exactly once. The feed is
 * a queue, not a cursor over ids: on PostgreSQL an event with a lower id may commit after one with
 * a higher id, and a queue still sees it when it commits.
 *
 * One fan-out at a time across processes (`serializeOn`; SQLite's first statement, a delete, takes
 * the write lock), in id order, so an entity's deliveries are created in the order of its events
 * (one source's commits are serialized by its lease, so its ids follow commit order).
 */
import type { Transaction } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { serializeOn } from '../../db/serialize.js';
import { type EventRecord, toEventRecord } from '../events/query.js';
import { newWebhookId } from './signing.js';

/** A destination: a subscription, or the chat channel. */
export interface Lane {
  readonly name: string;
  accepts(event: EventRecord): boolean;
}

const BATCH = 500;
const INSERT_CHUNK = 200;

/** The entity key deliveries are ordered by. */
export function entityOf(event: { source: string; key: string }): string {
  return `${event.source}:${event.key}`; // a source name holds no ":"
}

/** Fans out everything in the feed; returns how many events it took. */
export async function fanOut(db: Db, lanes: readonly Lane[], now: Date): Promise<number> {
  // A read first: an empty feed (most looks) takes no write lock, which on SQLite would queue
  // behind (and hold up) a pull's commit.
  if (!(await db.selectFrom('event_feed').select('event_id').limit(1).executeTakeFirst())) return 0;
  let total = 0;
  for (;;) {
    const taken = await db.transaction().execute((trx) => fanOutBatch(trx, lanes, now));
    total += taken;
    if (taken < BATCH) return total;
  }
}

async function fanOutBatch(trx: Transaction<Database>, lanes: readonly Lane[], now: Date): Promise<number> {
  await serializeOn(trx, 'event-fan-out');
  const taken = await trx
    .deleteFrom('event_feed')
    .where('event_id', 'in', (eb) => eb.selectFrom('event_feed').select('event_id').orderBy('event_id').limit(BATCH))
    .returning('event_id')
    .execute();
  if (taken.length === 0 || lanes.length === 0) return taken.length;
  const ids = taken.map((row) => row.event_id).sort((a, b) => a - b);
  const events = await trx.selectFrom('event').selectAll().where('id', 'in', ids).orderBy('id').execute();
  const at = now.toISOString();
  const rows = events.flatMap((row) => {
    const event = toEventRecord(row);
    return lanes
      .filter((lane) => lane.accepts(event))
      .map((lane) => ({
        subscription: lane.name,
        event_id: event.id,
        event_type: event.type,
        entity: entityOf(event),
        webhook_id: newWebhookId(),
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: at,
        event_at: event.at,
        created_at: at,
      }));
  });
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('event_delivery')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .onConflict((oc) => oc.columns(['subscription', 'event_id']).doNothing())
      .execute();
  }
  return taken.length;
}
