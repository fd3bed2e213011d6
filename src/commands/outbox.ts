/** `outbox`: emails waiting or failed, with their last error, then the most recent sent ones. */
import { openDatabase } from '../../db/database.js';
import { loadEnv, parseConfig } from '../config.js';
import { table } from '../events/format.js';
import { listOutbox } from '../notify/outbox.js';
import { type CliIo, writeLine } from './io.js';

export async function outboxCommand(io: CliIo): Promise<number> {
  const config = parseConfig(loadEnv(io.env, io.cwd));
  const db = await openDatabase(config.databasePath, { busyTimeoutMs: config.databaseBusyTimeoutMs });
  try {
    const rows = await listOutbox(db);
    const waiting = rows.filter((r) => r.status !== 'sent');
    writeLine(io.stdout, `${waiting.filter((r) => r.status === 'pending').length} pending, ${waiting.filter((r) => r.status === 'failed').length} failed${config.mail.smtp ? '' : ' (SMTP_URL is not set: nothing can be sent)'}`);
    if (rows.length === 0) return 0;
    writeLine(
      io.stdout,
      table(
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
