/**
 * Retention: deletes history older than the RETAIN_*_DAYS settings, table by table, never what is
 * still needed:
 * - entity versions: only closed ones (valid_to set), never a current version; and not those a
 *   report of the current or the previous month reads (reports/retention.ts);
 * - events: only those a digest already mailed (its email sent), when a digest is configured
 *   (SMTP_URL and DIGEST_TO): the next digest mails every event not yet in one, and an email
 *   still pending or failed may yet be sent;
 * - sync runs: never a running one, nor what status, alerts, health and pulls read (per source and
 *   mode the last complete run and everything after it — from before an open alert episode on), nor
 *   the pulls a report of this or last month reads; their data checks go with them;
 * - emails: only sent ones; pending and failed ones stay until sent or looked at.
 *
 * Deletes go in chunks, each its own short transaction, so a pull's commit or a digest waiting
 * for SQLite's write lock waits a moment, not the whole prune. Idempotent: running it twice, or in
 * two processes at once, deletes each row once. On SQLite, freed pages are reused by later writes;
 * a database created with auto_vacuum=INCREMENTAL (every one created since this version) also
 * returns them to the file system after a prune.
 */
import { type ExpressionBuilder, type Transaction, sql } from 'kysely';
import { type Db, isPostgres } from '../../db/database.js';
import type { Database, RunMode } from '../../db/schema.js';
import { reportHorizon } from '../../reports/retention.js';
import type { Config, RetentionConfig } from '../config.js';

const DAY_MS = 86_400_000;
const CHUNK = 2_000;

export interface PruneOptions {
  readonly now: Date;
  readonly timezone: string;
  readonly retention: RetentionConfig;
  /** SMTP_URL and DIGEST_TO are set: events not yet in a digest are still to be mailed. */
  readonly digestConfigured: boolean;
  /** A subscription or CHAT_WEBHOOK_URL is set: an event not yet fanned out to them is still to be delivered. */
  readonly deliveryConfigured: boolean;
  /** Count what would go, delete nothing. */
  readonly dryRun: boolean;
}

export interface TablePrune {
  readonly table: string;
  /** The setting governing it. */
  readonly variable: string;
  /** What goes, in words, or why nothing does. */
  readonly what: string;
  /** Rows deleted (or that would be); null when the setting is unset. */
  readonly rows: number | null;
}

export interface PruneResult {
  readonly tables: readonly TablePrune[];
  /** SQLite pages handed back to the file system by incremental vacuum (0 on PostgreSQL or without it). */
  readonly pagesReleased: number;
}

type Where<T extends keyof Database> = (eb: ExpressionBuilder<Database, T>) => ReturnType<ExpressionBuilder<Database, T>['and']>;

export async function prune(db: Db, options: PruneOptions): Promise<PruneResult> {
  const { retention } = options;
  const cutoff = (days: number) => new Date(options.now.getTime() - days * DAY_MS).toISOString();
  const tables: TablePrune[] = [];

  if (retention.eventsDays === null) {
    tables.push(unset('event', 'RETAIN_EVENTS_DAYS'));
  } else {
    const before = cutoff(retention.eventsDays);
    const where: Where<'event'> = (eb) =>
      eb.and([
        eb('event.at', '<', before),
        // Delivered: not waiting to be fanned out to the subscriptions (when there are any), nor to reach one of them.
        ...(options.deliveryConfigured ? [eb.not(eb.exists(eb.selectFrom('event_feed').select('event_feed.event_id').whereRef('event_feed.event_id', '=', 'event.id')))] : []),
        eb.not(eb.exists(eb.selectFrom('event_delivery').select('event_delivery.id').whereRef('event_delivery.event_id', '=', 'event.id').where('event_delivery.status', '=', 'pending'))),
        // Mailed: in a digest whose email is no longer waiting (pending) or given up on (failed);
        // a sent email's row may itself be pruned already.
        ...(options.digestConfigured
          ? [
              eb.exists(
                eb
                  .selectFrom('digest_event')
                  .innerJoin('digest', 'digest.id', 'digest_event.digest_id')
                  .select('digest_event.event_id')
                  .whereRef('digest_event.event_id', '=', 'event.id')
                  .where(({ not, exists, selectFrom }) =>
                    not(exists(selectFrom('outbox').select('outbox.id').whereRef('outbox.idempotency_key', '=', 'digest.idempotency_key').where('outbox.status', 'in', ['pending', 'failed']))),
                  ),
              ),
            ]
          : []),
      ]);
    const rows = await pruneById(db, 'event', where, options.dryRun, async (trx, ids) => {
      await trx.deleteFrom('digest_event').where('event_id', 'in', ids).execute();
      await trx.deleteFrom('event_delivery').where('event_id', 'in', ids).execute();
      await trx.deleteFrom('event_feed').where('event_id', 'in', ids).execute();
    });
    tables.push({
      table: 'event',
      variable: 'RETAIN_EVENTS_DAYS',
      rows,
      what: `detected before ${before}${options.digestConfigured ? ', already mailed in a digest' : ''}, delivered to every subscription (with their digest_event and event_delivery rows)`,
    });
  }

  if (retention.historyDays === null) {
    tables.push(unset('entity_version', 'RETAIN_HISTORY_DAYS'));
  } else {
    const before = cutoff(retention.historyDays);
    const horizon = await reportHorizon(db, options.now, options.timezone);
    const where: Where<'entity_version'> = (eb) =>
      eb.and([
        eb('entity_version.valid_to', 'is not', null),
        eb('entity_version.valid_to', '<', before),
        // What the reports of this and last month read: valid at the floor or later, or at a trend pull's start.
        eb.not(
          eb.and([
            eb('entity_version.source', '=', horizon.source),
            eb.or([
              eb('entity_version.valid_to', '>', horizon.floor),
              ...horizon.trendPulls.map((pull) => eb.and([eb('entity_version.valid_from', '<=', pull.started_at), eb('entity_version.valid_to', '>', pull.started_at)])),
            ]),
          ]),
        ),
      ]);
    const rows = await pruneById(db, 'entity_version', where, options.dryRun);
    tables.push({ table: 'entity_version', variable: 'RETAIN_HISTORY_DAYS', rows, what: `versions replaced before ${before} (current versions and what this and last month's reports read stay)` });
  }

  if (retention.runsDays === null) {
    tables.push(unset('sync_run', 'RETAIN_RUNS_DAYS'));
  } else {
    const before = cutoff(retention.runsDays);
    const kept = await runsStillRead(db, options);
    const where: Where<'sync_run'> = (eb) =>
      eb.and([
        eb('sync_run.started_at', '<', before),
        eb('sync_run.outcome', '!=', 'running'),
        ...kept.fromId.map(({ source, mode, id }) => eb.not(eb.and([eb('sync_run.source', '=', source), eb('sync_run.mode', '=', mode), eb('sync_run.id', '>=', id)]))),
        eb.not(eb.and([eb('sync_run.source', '=', kept.reportSource), eb('sync_run.started_at', '>=', kept.reportFloor)])),
        ...(kept.ids.length > 0 ? [eb('sync_run.id', 'not in', kept.ids)] : []),
      ]);
    let checks = 0;
    const rows = await pruneById(db, 'sync_run', where, options.dryRun, async (trx, ids) => {
      const deleted = await trx.deleteFrom('data_check').where('run_id', 'in', ids).executeTakeFirst();
      checks += Number(deleted.numDeletedRows);
    });
    if (options.dryRun) checks = await countDataChecksOf(db, where);
    tables.push({ table: 'sync_run', variable: 'RETAIN_RUNS_DAYS', rows, what: `pulls started before ${before} (the latest of each source and what reports read stay)` });
    tables.push({ table: 'data_check', variable: 'RETAIN_RUNS_DAYS', rows: checks, what: 'data checks of those pulls' });
    // Processed webhook deliveries go with the ledger, but never within the week Meta may still
    // repeat one (a repeat of a pruned delivery is processed again, and changes nothing).
    const inboxBefore = cutoff(Math.max(retention.runsDays, WEBHOOK_REPEAT_DAYS));
    const inboxWhere: Where<'webhook_inbox'> = (eb) => eb.and([eb('webhook_inbox.processed_at', 'is not', null), eb('webhook_inbox.processed_at', '<', inboxBefore)]);
    const inboxRows = await pruneById(db, 'webhook_inbox', inboxWhere, options.dryRun);
    tables.push({ table: 'webhook_inbox', variable: 'RETAIN_RUNS_DAYS', rows: inboxRows, what: `webhook deliveries processed before ${inboxBefore} (at least ${WEBHOOK_REPEAT_DAYS} days; unprocessed ones stay)` });
  }

  if (retention.sentMailDays === null) {
    tables.push(unset('outbox', 'RETAIN_SENT_MAIL_DAYS'));
  } else {
    const before = cutoff(retention.sentMailDays);
    const where: Where<'outbox'> = (eb) => eb.and([eb('outbox.status', '=', 'sent'), eb('outbox.sent_at', '<', before)]);
    const rows = await pruneById(db, 'outbox', where, options.dryRun);
    tables.push({ table: 'outbox', variable: 'RETAIN_SENT_MAIL_DAYS', rows, what: `emails sent before ${before} (pending and failed ones stay)` });
  }

  const deletedAny = tables.some((table) => (table.rows ?? 0) > 0);
  const pagesReleased = !options.dryRun && deletedAny ? await releaseFreePages(db) : 0;
  return { tables, pagesReleased };
}

function unset(table: string, variable: string): TablePrune {
  return { table, variable, rows: null, what: `${variable} is unset: everything is kept` };
}

type IdTable = 'event' | 'entity_version' | 'sync_run' | 'outbox' | 'webhook_inbox';

/** Meta repeats an unanswered webhook for up to 7 days: processed deliveries stay at least this long. */
const WEBHOOK_REPEAT_DAYS = 8;

/**
 * Counts (dry run) or deletes the rows `where` selects, walking the table by id in chunks: each
 * chunk one short transaction, with `alsoDelete` removing what hangs off those rows in it.
 */
async function pruneById<T extends IdTable>(
  db: Db,
  table: T,
  where: Where<T>,
  dryRun: boolean,
  alsoDelete?: (trx: Transaction<Database>, ids: number[]) => Promise<void>,
): Promise<number> {
  // The generic table makes Kysely's column types unknowable here; each caller's `where` is typed.
  const anyDb = db as unknown as Db;
  const w = where as unknown as Where<'event'>;
  if (dryRun) {
    const row = await anyDb.selectFrom(table as 'event').select((eb) => eb.fn.countAll<number>().as('n')).where(w).executeTakeFirstOrThrow();
    return Number(row.n);
  }
  let deleted = 0;
  let afterId = 0;
  for (;;) {
    const { ids, gone } = await anyDb.transaction().execute(async (trx) => {
      const chunk = (await trx.selectFrom(table as 'event').select(`${table}.id` as 'event.id').where(`${table}.id` as 'event.id', '>', afterId).where(w).orderBy(`${table}.id` as 'event.id').limit(CHUNK).execute()).map((row) => row.id);
      if (chunk.length === 0) return { ids: chunk, gone: 0 };
      if (alsoDelete) await alsoDelete(trx, chunk);
      // The condition again where nothing else went with the rows: on PostgreSQL a row may have
      // changed since it was read (a webhook delivery that came again, waiting to be processed once
      // more) and must then stay. (Rows with dependants only ever age into prunable.)
      const deleting = trx.deleteFrom(table as 'event').where('id', 'in', chunk);
      const result = await (alsoDelete ? deleting : deleting.where(w)).executeTakeFirst();
      return { ids: chunk, gone: Number(result.numDeletedRows) };
    });
    deleted += gone;
    if (ids.length < CHUNK) return deleted;
    afterId = ids[ids.length - 1]!;
  }
}

async function countDataChecksOf(db: Db, where: Where<'sync_run'>): Promise<number> {
  const row = await db
    .selectFrom('data_check')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('data_check.run_id', 'in', (eb) => eb.selectFrom('sync_run').select('sync_run.id').where(where))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

interface RunsStillRead {
  /** Per source and mode: runs from this id on are read (the last complete one, or the one before an open alert episode, and all after). */
  readonly fromId: readonly { source: string; mode: RunMode; id: number }[];
  readonly reportSource: string;
  /** The report's source: runs started from here on are read by this or last month's report. */
  readonly reportFloor: string;
  /** Single runs still read: the trend's pulls, the runs that opened alert episodes. */
  readonly ids: readonly number[];
}

async function runsStillRead(db: Db, options: PruneOptions): Promise<RunsStillRead> {
  const horizon = await reportHorizon(db, options.now, options.timezone);
  const episodes = await db.selectFrom('alert_episode').select(['source', 'mode', 'opened_run_id']).execute();
  const kinds = await db.selectFrom('sync_run').select(['source', 'mode']).distinct().execute();
  const fromId: { source: string; mode: RunMode; id: number }[] = [];
  for (const { source, mode } of kinds) {
    const episode = episodes.find((e) => e.source === source && e.mode === mode);
    // The recovery email counts the failures since the complete pull before the episode opened.
    let query = db.selectFrom('sync_run').select('id').where('source', '=', source).where('mode', '=', mode).where('outcome', '=', 'complete');
    if (episode) query = query.where('id', '<', episode.opened_run_id);
    const complete = await query.orderBy('id', 'desc').limit(1).executeTakeFirst();
    // Never complete: every run is a failure status and alerts still count.
    fromId.push({ source, mode, id: complete?.id ?? 0 });
  }
  return {
    fromId,
    reportSource: horizon.source,
    reportFloor: horizon.floor,
    ids: [...horizon.trendPulls.map((pull) => pull.id), ...episodes.map((e) => e.opened_run_id)],
  };
}

/** SQLite with auto_vacuum=INCREMENTAL: hand the pages the prune freed back to the file system. */
async function releaseFreePages(db: Db): Promise<number> {
  if (isPostgres(db)) return 0;
  const mode = await sql<{ auto_vacuum: number }>`pragma auto_vacuum`.execute(db);
  if (mode.rows[0]?.auto_vacuum !== 2) return 0;
  const before = await freePages(db);
  await sql`pragma incremental_vacuum`.execute(db);
  return before - (await freePages(db));
}

async function freePages(db: Db): Promise<number> {
  const result = await sql<{ freelist_count: number }>`pragma freelist_count`.execute(db);
  return Number(result.rows[0]?.freelist_count ?? 0);
}

/** The options from the configuration: the digest counts as configured exactly when the daemon schedules it. */
export function pruneOptions(config: Pick<Config, 'timezone' | 'retention' | 'mail' | 'delivery'>, now: Date, dryRun: boolean): PruneOptions {
  return { now, timezone: config.timezone, retention: config.retention, digestConfigured: config.mail.smtp !== null && config.mail.digestTo.length > 0, deliveryConfigured: config.delivery.subscriptions.length > 0 || config.delivery.chatUrl !== null, dryRun };
}

/** Whether any RETAIN_*_DAYS is set (the daemon schedules its prune job only then). */
export function retentionConfigured(retention: RetentionConfig): boolean {
  return Object.values(retention).some((days) => days !== null);
}
