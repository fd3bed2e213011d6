/**
 * `outbox [--send]`: emails waiting or failed, with their last error, then the most recent sent
 * ones. `--send` first sends every pending email now, whatever its backoff (after an outage).
 */
import { UsageError } from '../errors.js';
import { textTable } from '../render/text-table.js';
import { listOutbox } from '../notify/outbox.js';
import { commandConfig, withApp } from './context.js';
import { type CliIo, writeLine } from './io.js';
import { sendPendingNow } from './send-now.js';

export interface OutboxOptions {
  send?: boolean;
}

export async function outboxCommand(io: CliIo, options: OutboxOptions = {}): Promise<number> {
  const config = commandConfig(io);
  if (options.send && (!config.mail.smtp || !config.mail.from)) throw new UsageError('outbox --send: set SMTP_URL and MAIL_FROM to send email');
  return withApp(io, config, async (app) => {
    const { db } = app;
    if (options.send) await sendPendingNow(io, app, 'every pending email');
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
  });
}
