/**
 * The ledger of sync runs (`sync_run`): every query on it lives here, so the pull, status, health,
 * alerts, metrics and the report agree on what a run, a complete pull and a failure are.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, RunMode, RunScope, SyncRunRow } from '../../db/schema.js';
import type { ErrorCode } from '../errors.js';

type Ledger = Kysely<Database>;

/**
 * Failures that say something about the source. An aborted pull (a shutdown) does not: it is
 * recorded, but neither shown as a failure nor counted towards an alert.
 */
const NOT_A_SOURCE_FAILURE: ReadonlySet<string> = new Set<ErrorCode>(['ABORTED']);

export function countsAsFailure(run: Pick<SyncRunRow, 'outcome' | 'error_code'>): boolean {
  return run.outcome === 'failed' && !NOT_A_SOURCE_FAILURE.has(run.error_code ?? '');
}

/**
 * The runs of a source that a question about "its pulls" means:
 * - no mode: every pull that read all its mode reads — a targeted webhook pull (scope `targeted`,
 *   a few entities) says nothing about the source's freshness or health and is left out;
 * - `full`: pulls that read everything, scheduled or triggered by a webhook (mode `webhook`, scope `all`);
 * - `incremental`, `webhook`: that mode alone (`webhook`: targeted and triggered pulls).
 */
function runsOf(db: Ledger, source: string, mode?: RunMode) {
  const query = db.selectFrom('sync_run').where('source', '=', source);
  if (mode === undefined) return query.where('scope', '=', 'all');
  if (mode === 'full') return query.where('scope', '=', 'all').where('mode', 'in', ['full', 'webhook']);
  return query.where('mode', '=', mode);
}

// ---- a pull's own row ----

export async function startRun(db: Ledger, run: { source: string; mode: RunMode; startedAt: string; scope?: RunScope }): Promise<number> {
  const { id } = await db
    .insertInto('sync_run')
    .values({ source: run.source, mode: run.mode, scope: run.scope ?? 'all', started_at: run.startedAt, outcome: 'running', entities: 0, events: 0, api_calls: 0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * In the commit's transaction, before anything else: writing first takes SQLite's write lock now
 * (instead of failing with SQLITE_BUSY_SNAPSHOT when another process commits in between) and
 * proves the run is still ours. False: another process declared it dead.
 */
export async function claimRunForCommit(trx: Transaction<Database>, runId: number, at: string): Promise<boolean> {
  const claimed = await trx.updateTable('sync_run').set({ finished_at: at }).where('id', '=', runId).where('outcome', '=', 'running').executeTakeFirst();
  return claimed.numUpdatedRows === 1n;
}

export interface CompletedRun {
  readonly finishedAt: string;
  readonly entities: number;
  readonly events: number;
  readonly apiCalls: number;
  readonly counts: unknown;
}

/** False when the run is no longer ours (the caller rolls its transaction back). */
export async function markRunComplete(trx: Transaction<Database>, runId: number, run: CompletedRun): Promise<boolean> {
  const marked = await trx
    .updateTable('sync_run')
    .set({ outcome: 'complete', finished_at: run.finishedAt, entities: run.entities, events: run.events, api_calls: run.apiCalls, counts: JSON.stringify(run.counts) })
    .where('id', '=', runId)
    .where('outcome', '=', 'running')
    .executeTakeFirst();
  return marked.numUpdatedRows === 1n;
}

export async function markRunFailed(
  db: Ledger,
  runId: number,
  run: { finishedAt: string; entities: number; apiCalls: number; error: string; errorCode: ErrorCode },
): Promise<void> {
  await db
    .updateTable('sync_run')
    .set({ outcome: 'failed', finished_at: run.finishedAt, entities: run.entities, api_calls: run.apiCalls, error: run.error, error_code: run.errorCode })
    .where('id', '=', runId)
    // A commit whose reply was lost may have landed: a run recorded complete stays complete.
    .where('outcome', '=', 'running')
    .execute();
}

/**
 * Runs of a source and scope still `running`: after taking the lease of that scope (`sync:` or
 * `webhook:`), those were left by a process that died.
 */
export async function runningRunIds(db: Ledger, source: string, scope: RunScope = 'all'): Promise<number[]> {
  return (await db.selectFrom('sync_run').select('id').where('source', '=', source).where('scope', '=', scope).where('outcome', '=', 'running').execute()).map((row) => row.id);
}

export async function markRunInterrupted(trx: Transaction<Database>, runId: number, at: string): Promise<void> {
  await trx
    .updateTable('sync_run')
    .set({ outcome: 'failed', finished_at: at, error: 'interrupted: the process ended before the pull completed', error_code: 'INTERRUPTED' })
    .where('id', '=', runId)
    // A holder that lost its lease unnoticed may be committing right now: on PostgreSQL this update
    // waits for that commit's row lock and must then leave the completed run alone.
    .where('outcome', '=', 'running')
    .execute();
}

// ---- reading the history ----

export async function lastRun(db: Ledger, source: string): Promise<SyncRunRow | undefined> {
  return runsOf(db, source).selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** The last complete pull of a source (of one mode, when given), or undefined when there is none. */
export async function lastCompleteRun(db: Ledger, source: string, mode?: RunMode): Promise<SyncRunRow | undefined> {
  return runsOf(db, source, mode).selectAll().where('outcome', '=', 'complete').orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** The complete pull (of one mode, when given) before the run `beforeId`. */
export async function previousCompleteRun(db: Ledger, source: string, beforeId: number, mode?: RunMode): Promise<SyncRunRow | undefined> {
  return runsOf(db, source, mode).selectAll().where('outcome', '=', 'complete').where('id', '<', beforeId).orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** Failures that count (countsAsFailure) after the run `afterId` (and before `beforeId`, when given), oldest first. */
export async function failuresBetween(db: Ledger, source: string, range: { afterId: number; beforeId?: number }, mode?: RunMode): Promise<SyncRunRow[]> {
  let query = runsOf(db, source, mode).selectAll().where('outcome', '=', 'failed').where('id', '>', range.afterId);
  if (range.beforeId !== undefined) query = query.where('id', '<', range.beforeId);
  return (await query.orderBy('id').execute()).filter(countsAsFailure);
}

/**
 * THE failures since the last complete pull of a source (of one mode, when given): what `status`,
 * the digest's source health and the alerts count.
 */
export async function failuresSinceLastComplete(db: Ledger, source: string, mode?: RunMode): Promise<{ lastComplete: SyncRunRow | undefined; failures: SyncRunRow[] }> {
  const lastComplete = await lastCompleteRun(db, source, mode);
  return { lastComplete, failures: await failuresBetween(db, source, { afterId: lastComplete?.id ?? 0 }, mode) };
}

/** A complete pull of a source, as the report cites it. */
export interface CompletePullRef {
  readonly id: number;
  readonly started_at: string;
  readonly finished_at: string | null;
}

/** The first or the last complete pull that started in [from, to), or null. */
export async function completePullStartedIn(db: Ledger, source: string, range: { from: string; to: string }, which: 'first' | 'last'): Promise<CompletePullRef | null> {
  const order = which === 'first' ? 'asc' : 'desc';
  const row = await completePulls(db, source)
    .where('started_at', '>=', range.from)
    .where('started_at', '<', range.to)
    .orderBy('started_at', order)
    .orderBy('id', order)
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}

/** The last complete pull that started before `instant`, or null. */
export async function lastCompletePullStartedBefore(db: Ledger, source: string, instant: string): Promise<CompletePullRef | null> {
  const row = await completePulls(db, source).where('started_at', '<', instant).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ?? null;
}

function completePulls(db: Ledger, source: string) {
  return runsOf(db, source).select(['id', 'started_at', 'finished_at']).where('outcome', '=', 'complete');
}
