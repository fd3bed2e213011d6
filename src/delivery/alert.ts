/**
 * A delivery failed for good (past the retry schedule): one alert email to ALERT_TO per
 * subscription and UTC day, through the outbox under an idempotency key, so however many
 * deliveries fail that day — and however many daemons notice — one email goes out.
 */
import type { Db } from '../../db/database.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { enqueueEmail } from '../notify/outbox.js';
import { escapeHtml } from '../render/html.js';

export interface FailedDelivery {
  readonly subscription: string;
  readonly eventId: number;
  readonly attempts: number;
  /** Already scrubbed and short. */
  readonly lastError: string;
}

export async function alertDeliveryFailed(db: Db, config: Config, log: Logger, failure: FailedDelivery, now: Date): Promise<void> {
  const where = failure.subscription === 'chat' ? 'CHAT_WEBHOOK_URL' : `EVENT_WEBHOOK_${failure.subscription}_URL`;
  log.error({ subscription: failure.subscription, eventId: failure.eventId, attempts: failure.attempts, err: { message: failure.lastError } }, `event delivery to ${where} failed for good`);
  if (config.mail.alertTo.length === 0 || !config.mail.smtp) return;
  const day = now.toISOString().slice(0, 10);
  const text = [
    `waba-sync gave up delivering event ${failure.eventId} to ${where} after ${failure.attempts} attempts.`,
    `Last error: ${failure.lastError}`,
    '',
    'Later failures to this endpoint today are not mailed again. `npm run --silent cli -- outbox` lists every failed delivery with its last error.',
  ].join('\n');
  await db.transaction().execute((trx) =>
    enqueueEmail(
      trx,
      {
        idempotencyKey: `event-delivery-failed:${failure.subscription}:${day}`,
        to: config.mail.alertTo,
        subject: `waba-sync: event deliveries to ${where} failed`,
        text,
        // Line by line: escapeHtml makes a line break a space, and the <pre> is meant to keep them.
        html: `<pre>${text.split('\n').map(escapeHtml).join('\n')}</pre>`,
      },
      now,
    ),
  );
}
