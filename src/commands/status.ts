/** `status`: per source, the last run and its outcome, the last complete (and complete full) pull, failures since, entity counts. */
import { databaseSchemaVersion } from '../../db/schema-version.js';
import { maskDatabaseUrl } from '../../db/url.js';
import { SOURCE_NAMES } from '../config.js';
import { textTable } from '../render/text-table.js';
import { scheduleTable } from '../../jobs/schedule.js';
import { nextRuns } from '../schedule.js';
import { sourceStatus } from '../status.js';
import type { Config } from '../config.js';
import type { Db } from '../../db/database.js';
import { intakeRoutes } from '../intake/index.js';
import { intakeSummary } from '../intake/inbox.js';
import { VERSION } from '../version.js';
import { commandConfig, withApp } from './context.js';
import { writeDeliveryBacklog } from './deliveries.js';
import { type CliIo, writeLine } from './io.js';

/** The webhook intake: where it listens, and per upstream whose webhook is configured, the last delivery and what waits. */
async function writeIntake(io: CliIo, config: Config, db: Db): Promise<void> {
  const open = intakeRoutes({ config }).filter((route) => route.config !== null && route.reader.enabled(route.config));
  const listening = config.webhook.port === null ? 'WEBHOOK_PORT is not set, no listener' : `the daemon listens on ${config.webhook.host}:${config.webhook.port}`;
  if (open.length === 0) {
    writeLine(io.stdout, `Webhook intake: no upstream's webhook secret is set (${listening})`);
    return;
  }
  const summaries = await intakeSummary(db, open.map((route) => route.upstream));
  writeLine(io.stdout, `Webhook intake: ${listening}`);
  writeLine(
    io.stdout,
    textTable(
      ['UPSTREAM', 'LAST DELIVERY', 'BACKLOG', 'OLDEST WAITING'],
      summaries.map((s) => [s.upstream, s.lastReceivedAt ?? 'never', String(s.backlog), s.oldestPendingAt ?? '-']),
    ),
  );
}

export async function statusCommand(io: CliIo): Promise<number> {
  return withApp(io, commandConfig(io), async ({ config, db, scrubber }) => {
    // Errors are stored scrubbed; the scrubber also covers rows written before that (or with other credentials).
    const rows: string[][] = [];
    const details: string[] = [];
    for (const source of SOURCE_NAMES) {
      const status = await sourceStatus(db, source, config.disabledReasons[source] ?? null);
      if (!status.enabled && !status.lastRun) {
        rows.push([source, 'disabled', '-', '-', '-', '-', status.disabledReason ?? '']);
        continue;
      }
      const last = status.lastRun;
      rows.push([
        source,
        status.enabled ? 'enabled' : 'disabled',
        last ? `${last.mode} ${last.outcome} ${last.started_at}` : 'never run',
        status.lastComplete?.finished_at ?? 'never',
        status.lastCompleteFull?.finished_at ?? 'never',
        String(status.failuresSinceComplete),
        Object.entries(status.entities)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(', ') || '-',
      ]);
      if (last?.outcome === 'failed' && last.error) details.push(`${source}: last error: ${scrubber.scrub(last.error)}`);
    }
    writeLine(io.stdout, `Database: ${maskDatabaseUrl(config.databasePath)}`);
    writeLine(io.stdout, `Version: waba-sync ${VERSION}, database schema ${(await databaseSchemaVersion(db)) ?? 'none'}`);
    writeLine(io.stdout, textTable(['SOURCE', 'STATE', 'LAST RUN', 'LAST COMPLETE', 'LAST COMPLETE FULL', 'FAILURES SINCE', 'ENTITIES'], rows));
    for (const line of details) writeLine(io.stdout, line);
    const outbox = await db
      .selectFrom('outbox')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
      .where('status', 'in', ['pending', 'failed'])
      .groupBy('status')
      .execute();
    const count = (status: string) => Number(outbox.find((row) => row.status === status)?.n ?? 0);
    const oldestPending = outbox.find((row) => row.status === 'pending')?.oldest;
    writeLine(
      io.stdout,
      `Outbox: ${count('pending')} pending${oldestPending ? ` (oldest queued ${oldestPending})` : ''}, ${count('failed')} failed${config.mail.smtp ? '' : ' — SMTP_URL is not set, nothing is sent'}; details: npm run --silent cli -- outbox`,
    );
    await writeIntake(io, config, db);
    await writeDeliveryBacklog(io, config, db);
    writeLine(io.stdout);
    writeLine(io.stdout, `Schedule (npm start, ${config.timezone}):`);
    writeLine(
      io.stdout,
      textTable(
        ['JOB', 'CRON', 'VARIABLE', 'NEXT RUN'],
        scheduleTable(config).map((job) => [job.name, job.cron, job.variable, nextRuns(job.cron, config.timezone, 1)[0]?.toISOString() ?? '-']),
      ),
    );
    return 0;
  });
}
