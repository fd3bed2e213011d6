/**
 * `outbox [--send]`: emails waiting or failed, with their last error, then the most recent sent
 * ones. `--send` first sends every pending email now, whatever its backoff (after an outage).
 */
import { openDatabase } from '../../db/database.js';
import { systemClock } from '../clock.js';
import { loadEnv, parseConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { textTable } from '../render/text-table.js';
import { listOutbox } from '../notify/outbox.js';
import { type CliIo, writeLine } from './io.js';
import { sendPendingNow } from './send-now.js';

export interface OutboxOptions {
  send?: boolean;
}

export async function outboxCommand(io: CliIo, options: OutboxOptions = {}): Promise<number> {
  const config = parseConfig(loadEnv(io.env, io.cwd));
  if (options.send && (!config.mail.smtp || !config.mail.from)) throw new UsageError('outbox --send: set SMTP_URL and MAIL_FROM to send email');
  const db = await openDatabase(config.databasePath, { busyTimeoutMs: config.databaseBusyTimeoutMs });
  try {
    if (options.send) {
      const clock = io.clock ?? systemClock;
      await sendPendingNow(io, { db, clock, log: io.log ?? createLogger({ level: config.logLevel }), config }, 'every pending email');
    }
    const rows = await listOutbox(db);
    const waiting = rows.filter((r) => r.status !== 'sent');
    writeLine(io.stdout, `${waiting.filter((r) => r.status === 'pending').length} pending, ${waiting.filter((r) => r.status === 'failed').length} failed${config.mail.smtp ? '' : ' (SMTP_URL is not set: nothing can be sent)'}`);
    if (rows.length === 0) return 0;
    writeLine(
      io.stdout,
      textTable(
        ['ID', 'STATUS', 'ATTEMPTS', 'QUEUED', 'NEXT ATTEMPT / SENT', 'TO', 'SUBJECT', 'LAST ERROR'],
        rows.map((r) => [
          String(r.id),
          r.status,
          String(r.attempts),
          r.createdAt,
          r.status === 'sent' ? (r.sentAt ?? '') : r.status === 'failed' ? '-' : r.nextAttemptAt,
          r.to.join(', '),
          r.subject,
          r.lastError ?? '',
        ]),
      ),
    );
    return 0;
  } finally {
    await db.destroy();
  }
}
