/** Event deliveries as `outbox` and `status` print them (issue 19). */
import type { Db } from '../../db/database.js';
import type { Config } from '../config.js';
import { CHAT_LANE } from '../delivery/chat.js';
import { backlogBySubscription, listDeliveries } from '../delivery/store.js';
import { stripControlChars } from '../render/plain-text.js';
import { textTable } from '../render/text-table.js';
import type { SecretScrubber } from '../secrets.js';
import { type CliIo, writeLine } from './io.js';

/** Every configured subscription (and chat), plus any name that still has rows. */
function laneNames(config: Config): string[] {
  return [...config.delivery.subscriptions.map((s) => s.name), ...(config.delivery.chatUrl ? [CHAT_LANE] : [])];
}

/** `status`: one line per subscription with its backlog. */
export async function writeDeliveryBacklog(io: CliIo, config: Config, db: Db): Promise<void> {
  const backlog = await backlogBySubscription(db, laneNames(config));
  if (backlog.length === 0) {
    writeLine(io.stdout, 'Event delivery: no EVENT_WEBHOOK_<NAME>_URL or CHAT_WEBHOOK_URL is set');
    return;
  }
  writeLine(io.stdout, 'Event delivery (details: npm run --silent cli -- outbox):');
  writeLine(
    io.stdout,
    textTable(
      ['SUBSCRIPTION', 'PENDING', 'OLDEST PENDING EVENT', 'FAILED', 'DELIVERED'],
      backlog.map((b) => [b.subscription, String(b.pending), b.oldestPendingEventAt ?? '-', String(b.failed), String(b.delivered)]),
    ),
  );
}

/** `outbox`: per subscription the counts, then its waiting and failed deliveries with attempts and last error. */
export async function writeDeliveries(io: CliIo, config: Config, db: Db, scrubber: SecretScrubber): Promise<void> {
  const backlog = await backlogBySubscription(db, laneNames(config));
  if (backlog.length === 0) return;
  writeLine(io.stdout);
  writeLine(io.stdout, `Event deliveries: ${backlog.map((b) => `${b.subscription} ${b.pending} pending, ${b.failed} failed, ${b.delivered} delivered`).join('; ')}`);
  const rows = await listDeliveries(db, { statuses: ['pending', 'failed'], limit: 100 });
  if (rows.length === 0) return;
  writeLine(
    io.stdout,
    textTable(
      ['SUBSCRIPTION', 'EVENT', 'TYPE', 'STATUS', 'ATTEMPTS', 'NEXT ATTEMPT', 'WEBHOOK-ID', 'LAST ERROR'],
      rows.map((r) => [r.subscription, String(r.eventId), r.eventType, r.status, String(r.attempts), r.status === 'failed' ? '-' : r.nextAttemptAt, r.webhookId, stripControlChars(scrubber.scrub(r.lastError ?? ''))]),
    ),
  );
}
