/**
 * `report --month YYYY-MM [--out DIR] [--send] [--force]`: the monthly conversation report.
 * Without flags prints the text summary; --out writes the files; --send queues the email for each
 * REPORT_TO recipient through the outbox, once per month and recipient (--force sends again),
 * and sends every pending email now (a backoff from an outage included).
 */
import { queueReport } from '../../reports/deliver.js';
import { makeReport, statisticsReader } from '../../reports/generate.js';
import { compareMonths, monthKey, monthOf, parseMonth } from '../../reports/month.js';
import { type Enqueue, outboxEnqueue } from '../../reports/outbox.js';
import { writeReportFiles } from '../../reports/render.js';
import { systemClock } from '../clock.js';
import { UsageError } from '../errors.js';
import { commandConfig, withApp } from './context.js';
import { type CliIo, outputFolder, writeLine } from './io.js';
import { sendPendingNow } from './send-now.js';

export interface ReportOptions {
  month: string;
  out?: string;
  send?: boolean;
  force?: boolean;
}

export interface ReportCommandDeps {
  /** The outbox's enqueue (tests may wrap it). */
  readonly enqueue?: Enqueue;
}

export async function reportCommand(io: CliIo, options: ReportOptions, deps: ReportCommandDeps = {}): Promise<number> {
  const config = commandConfig(io);
  const month = parseMonth(options.month);
  const clock = io.clock ?? systemClock;
  const now = clock();
  if (compareMonths(month, monthOf(now, config.timezone)) > 0) {
    throw new UsageError(`--month ${monthKey(month)}: this month has not started yet (in ${config.timezone})`);
  }
  if (options.force && !options.send) throw new UsageError('--force: only with --send (it sends the report again)');
  if (options.out) outputFolder('--out', options.out);
  let enqueue: Enqueue | null = null;
  if (options.send) {
    if (config.report.to.length === 0) throw new UsageError('--send: REPORT_TO is not set, so there is nobody to send the report to');
    if (!config.mail.smtp || !config.mail.from) throw new UsageError('--send: set SMTP_URL and MAIL_FROM to send email');
    enqueue = deps.enqueue ?? outboxEnqueue;
  }

  return withApp(io, config, async (app) => {
    const { db } = app;
    const rendered = await makeReport(
      { db, timezone: config.timezone, staleHours: config.report.staleHours, statistics: statisticsReader(app), now, signal: io.signal },
      month,
    );
    if (!options.out && !options.send) io.stdout.write(rendered.text);
    if (options.out) {
      const paths = await writeReportFiles(rendered, options.out);
      writeLine(io.stdout, `Wrote the ${rendered.report.title} report:`);
      for (const path of paths) writeLine(io.stdout, `  ${path}`);
    }
    if (enqueue) {
      const deliveries = await queueReport({ db, enqueue, now }, rendered, config.report.to, { force: options.force });
      for (const d of deliveries) {
        writeLine(io.stdout, d.queued ? `${d.recipient}: queued (${d.idempotencyKey})` : `${d.recipient}: already sent for ${rendered.report.month}; use --force to send it again`);
      }
      await sendPendingNow(io, app, 'the report');
    }
    return 0;
  });
}
