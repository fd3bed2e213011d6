/**
 * `outbox [--send]`: emails waiting or failed, with their last error, then the most recent sent
 * ones; then event deliveries per subscription. `--send` first sends every pending email now,
 * whatever its backoff (after an outage), and delivers the events that are due.
 */
import { UsageError } from '../errors.js';
import { textTable } from '../render/text-table.js';
import { listOutbox } from '../notify/outbox.js';
import { commandConfig, withApp } from './context.js';
import { type CliIo, writeLine } from './io.js';
import { sendPendingNow } from './send-now.js';
import { createDispatcher, lanesFor } from '../delivery/dispatcher.js';
import { writeDeliveries } from './deliveries.js';

export interface OutboxOptions {
  send?: boolean;
}

export async function outboxCommand(io: CliIo, options: OutboxOptions = {}): Promise<number> {
  const config = commandConfig(io);
  const mail = config.mail.smtp !== null && config.mail.from !== null;
  if (options.send && !mail && lanesFor(config).length === 0) throw new UsageError('outbox --send: set SMTP_URL and MAIL_FROM to send email (or EVENT_WEBHOOK_<NAME>_URL to deliver events)');
  return withApp(io, config, async (app) => {
    const { db } = app;
    if (options.send && mail) await sendPendingNow(io, app, 'every pending email');
    if (options.send && lanesFor(config).length > 0) {
      const dispatcher = createDispatcher({ db, clock: app.clock, log: app.log, config, scrubber: app.scrubber }, { pollMs: 3_600_000 });
      try {
        const pass = await dispatcher.runOnce();
        writeLine(io.stdout, `Delivered ${pass.delivered} event${pass.delivered === 1 ? '' : 's'}; ${pass.attemptsFailed} attempt${pass.attemptsFailed === 1 ? '' : 's'} failed${pass.failed > 0 ? `, ${pass.failed} given up` : ''}.`);
      } finally {
        await dispatcher.stop();
      }
    }
    const rows = await listOutbox(db);
    const waiting = rows.filter((r) => r.status !== 'sent');
    writeLine(io.stdout, `${waiting.filter((r) => r.status === 'pending').length} pending, ${waiting.filter((r) => r.status === 'failed').length} failed${config.mail.smtp ? '' : ' (SMTP_URL is not set: nothing can be sent)'}`);
    if (rows.length === 0) {
      await writeDeliveries(io, config, db, app.scrubber);
      return 0;
    }
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
    await writeDeliveries(io, config, db, app.scrubber);
    return 0;
  });
}
