/**
 * Handing a rendered report to the outbox, once per month and recipient, and remembering it in
 * report_delivery (in the same transaction) so the daemon's catch-up can tell what was never sent.
 * A month-to-date report is a snapshot: it gets a key of its own per send and is not recorded, so
 * the month's final report still goes out on the 1st.
 */
import { retryOnConflict } from '../db/retry.js';
import type { Db } from '../db/database.js';
import type { RenderedReport } from './render.js';
import { monthToDateIdempotencyKey, normalizeRecipient, reportEmail, reportIdempotencyKey } from './email.js';
import type { Enqueue } from './outbox.js';

export interface DeliveryDeps {
  readonly db: Db;
  readonly enqueue: Enqueue;
  readonly now: Date;
}

export interface Delivery {
  readonly recipient: string;
  readonly idempotencyKey: string;
  /** False when this month's report was already queued for the recipient (nothing new sent). */
  readonly queued: boolean;
}

export async function queueReport(deps: DeliveryDeps, rendered: RenderedReport, recipients: readonly string[], options: { force?: boolean } = {}): Promise<Delivery[]> {
  const month = rendered.report.month;
  const deliveries: Delivery[] = [];
  for (const recipient of recipients.map(normalizeRecipient)) {
    const toDate = rendered.report.monthToDate;
    const idempotencyKey = toDate ? monthToDateIdempotencyKey(month, recipient, deps.now) : reportIdempotencyKey(month, recipient, options.force ? deps.now : undefined);
    const email = reportEmail(rendered, recipient, idempotencyKey);
    // READ COMMITTED suffices: the outbox's and report_delivery's unique keys decide, so a second
    // daemon queuing the same month's report for the same recipient inserts nothing (its insert
    // waits for ours to commit, then finds the key taken).
    const queued = await retryOnConflict(() => deps.db.transaction().execute(async (trx) => {
      const fresh = await deps.enqueue(trx, email, deps.now);
      if (toDate) return fresh;
      // Recorded either way: an email the outbox already holds has been sent (or will be).
      await trx
        .insertInto('report_delivery')
        .values({ idempotency_key: idempotencyKey, month, recipient, queued_at: deps.now.toISOString(), forced: options.force ? 1 : 0 })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .execute();
      return fresh;
    }));
    deliveries.push({ recipient, idempotencyKey, queued });
  }
  return deliveries;
}

/** The recipients that have no record of `month`'s report. */
export async function recipientsWithoutReport(db: Db, month: string, recipients: readonly string[]): Promise<string[]> {
  const sent = new Set((await db.selectFrom('report_delivery').select('recipient').where('month', '=', month).execute()).map((row) => row.recipient));
  return recipients.map(normalizeRecipient).filter((recipient) => !sent.has(recipient));
}
