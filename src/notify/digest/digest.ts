/**
 * A digest covers every event not yet in one, plus reconciliation findings that appeared or
 * cleared. Deciding and queueing happen in one transaction: the digest row, the events it covers,
 * the findings' new state and the outbox email commit together or not at all, so an event is in
 * exactly one digest email and a crash anywhere leaves it for the next one.
 */
import { type Transaction, sql } from 'kysely';
import type { Db } from '../../../db/database.js';
import { retryOnConflict } from '../../../db/retry.js';
import { serializeOn } from '../../../db/serialize.js';
import type { Database } from '../../../db/schema.js';
import { type Config, SOURCE_NAMES, type SourceName, enabledSources } from '../../config.js';
import { toEventRecord } from '../../events/query.js';
import { sourceStatus } from '../../status.js';
import type { OutgoingEmail } from '../email.js';
import { enqueueEmail } from '../outbox.js';
import { type Finding, compareFindings, runChecks } from './checks.js';
import { type RenderedDigest, type SourceHealth, renderDigest } from './render.js';
import { digestRow } from './sections.js';

export interface DigestSettings {
  readonly to: readonly string[];
  readonly timezone: string;
  readonly sectionLimit: number;
  readonly graceHours: number;
  readonly onboardingStuckDays?: number;
  readonly enabledSources: readonly SourceName[];
  readonly disabledReasons: Readonly<Partial<Record<SourceName, string>>>;
}

/** The digest's settings from the configuration. */
export function digestSettings(config: Config): DigestSettings {
  return {
    to: config.mail.digestTo,
    timezone: config.timezone,
    sectionLimit: config.notify.digestSectionLimit,
    graceHours: config.notify.reconcileGraceHours,
    onboardingStuckDays: config.notify.onboardingStuckDays,
    enabledSources: enabledSources(config),
    disabledReasons: config.disabledReasons,
  };
}

export interface DigestPlan {
  readonly digestId: number;
  readonly eventIds: readonly number[];
  readonly opened: readonly Finding[];
  readonly cleared: readonly Finding[];
  readonly period: { readonly from: string; readonly to: string };
  readonly rendered: RenderedDigest;
  readonly email: OutgoingEmail;
}

export type DigestOutcome =
  | { readonly kind: 'nothing'; readonly since: string | null }
  /** `queued`: committed and in the outbox; otherwise a preview that changed nothing. */
  | { readonly kind: 'digest'; readonly queued: boolean; readonly plan: DigestPlan };

class Rollback extends Error {
  constructor(readonly outcome: DigestOutcome) {
    super('rollback');
  }
}

/**
 * Builds the digest due now. With `commit` it is queued and its events marked covered; without,
 * the same work runs and is rolled back (a preview is exactly what would be sent).
 */
export async function queueDigest(db: Db, now: Date, settings: DigestSettings, options: { commit: boolean }): Promise<DigestOutcome> {
  try {
    // READ COMMITTED (see serializeOn); a conflict PostgreSQL aborts runs again from the start.
    return await retryOnConflict(() => db.transaction().execute(async (trx) => {
      const outcome = await prepareDigest(trx, now, settings);
      if (outcome.kind === 'nothing' || !options.commit) throw new Rollback(outcome);
      await commitDigest(trx, now, outcome.plan);
      return { ...outcome, queued: true };
    }));
  } catch (error) {
    if (error instanceof Rollback) return error.outcome;
    throw error;
  }
}

async function prepareDigest(trx: Transaction<Database>, now: Date, settings: DigestSettings): Promise<DigestOutcome> {
  const at = now.toISOString();
  // Writing first takes SQLite's write lock, so what we read next cannot change under us (a
  // concurrent digest — another daemon, `digest` — waits, then finds these events covered).
  // PostgreSQL locks per row: there serializeOn waits for any other digest's transaction instead.
  await serializeOn(trx, 'digest');
  // Numbered here, not by the database: a PostgreSQL sequence keeps a number a preview (rolled
  // back) used, and the numbers are shown ("digest #3"); SQLite's AUTOINCREMENT would not.
  // One statement, so that on SQLite the write still comes first.
  const { id: digestId } = await trx
    .insertInto('digest')
    .values({ id: sql<number>`(select coalesce(max(id), 0) + 1 from digest)`, created_at: at, period_from: at, period_to: at, events: 0, findings_opened: 0, findings_cleared: 0, idempotency_key: '' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const previous = await trx.selectFrom('digest').select('period_to').where('id', '<', digestId).orderBy('id', 'desc').limit(1).executeTakeFirst();

  const events = (
    await trx
      .selectFrom('event')
      .selectAll()
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('digest_event').select('digest_event.event_id').whereRef('digest_event.event_id', '=', 'event.id'))))
      .orderBy('id')
      .execute()
  ).map(toEventRecord);
  const checks = await runChecks(trx, { now, graceHours: settings.graceHours, onboardingStuckDays: settings.onboardingStuckDays, enabledSources: settings.enabledSources });
  const open = await trx.selectFrom('check_finding').selectAll().execute();
  const { opened, cleared } = compareFindings(open, checks);
  if (events.length === 0 && opened.length === 0 && cleared.length === 0) return { kind: 'nothing', since: previous?.period_to ?? null };

  const period = { from: previous?.period_to ?? events[0]?.at ?? at, to: at };
  const rendered = renderDigest({
    digestId,
    period,
    timezone: settings.timezone,
    sectionLimit: settings.sectionLimit,
    rows: events.map(digestRow),
    opened,
    cleared,
    health: await health(trx, settings),
  });
  const email: OutgoingEmail = {
    idempotencyKey: `digest:${digestId}`,
    to: settings.to,
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    attachments: rendered.csv ? [{ filename: rendered.csv.filename, contentType: 'text/csv; charset=utf-8', content: rendered.csv.content }] : [],
  };
  return { kind: 'digest', queued: false, plan: { digestId, eventIds: events.map((e) => e.id), opened, cleared, period, rendered, email } };
}

const CHUNK = 400;

async function commitDigest(trx: Transaction<Database>, now: Date, plan: DigestPlan): Promise<void> {
  const at = now.toISOString();
  await trx
    .updateTable('digest')
    .set({
      period_from: plan.period.from,
      period_to: plan.period.to,
      events: plan.eventIds.length,
      findings_opened: plan.opened.length,
      findings_cleared: plan.cleared.length,
      idempotency_key: plan.email.idempotencyKey,
    })
    .where('id', '=', plan.digestId)
    .execute();
  for (let i = 0; i < plan.eventIds.length; i += CHUNK) {
    await trx
      .insertInto('digest_event')
      .values(plan.eventIds.slice(i, i + CHUNK).map((eventId) => ({ event_id: eventId, digest_id: plan.digestId })))
      .execute();
  }
  for (const f of plan.opened) {
    await trx.insertInto('check_finding').values({ check: f.check, key: f.key, detail: f.detail, opened_at: at, digest_id: plan.digestId }).execute();
  }
  for (const f of plan.cleared) {
    await trx.deleteFrom('check_finding').where('check', '=', f.check).where('key', '=', f.key).execute();
  }
  if (!(await enqueueEmail(trx, plan.email, now))) throw new Error(`digest ${plan.digestId}: an email with key ${plan.email.idempotencyKey} was already queued`);
}

/** Enabled sources, and disabled ones that have run before. */
async function health(trx: Transaction<Database>, settings: DigestSettings): Promise<SourceHealth[]> {
  const result: SourceHealth[] = [];
  for (const source of SOURCE_NAMES) {
    const status = await sourceStatus(trx, source, settings.enabledSources.includes(source) ? null : (settings.disabledReasons[source] ?? 'disabled'));
    if (!status.enabled && !status.lastRun) continue;
    result.push({
      source,
      enabled: status.enabled,
      lastComplete: status.lastComplete?.finished_at ?? null,
      failuresSince: status.failuresSinceComplete,
      lastError: status.lastRun?.outcome === 'failed' ? status.lastRun.error : null,
    });
  }
  return result;
}
