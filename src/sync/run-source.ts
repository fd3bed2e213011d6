/**
 * One pull of one source, start to finish: lease, ledger row, stream pages into staging, and —
 * only when the source read everything — compare and apply in one transaction with its events.
 * Never throws: it ends in a recorded outcome (like kysely's Migrator returns results).
 */
import { performance } from 'node:perf_hooks';
import { type Db, checkpointWal, isDatabaseError, isPostgres } from '../../db/database.js';
import { serializeOn } from '../../db/serialize.js';
import { retryOnConflict } from '../../db/retry.js';
import type { Clock } from '../clock.js';
import { type ErrorCode, WabaSyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { SecretScrubber } from '../secrets.js';
import { stripControlChars } from '../render/plain-text.js';
import { BASELINE_IDLE_LIMIT_MS, BaselineTransaction } from './baseline-transaction.js';
import { commitPull, type KindCounts } from './commit.js';
import { withLease } from './lease.js';
import { clearCommittedStaging, clearStaging, createStager, indexStaged, prepareStagedForCommit } from './stage.js';
import { type Transaction, sql } from 'kysely';
import type { Database, RunScope } from '../../db/schema.js';
import { YieldedKeys, newestVersionId, yieldedSince } from './concurrent-writes.js';
import type { CheckFinding, Coverage, PullContext, RunMode, Source } from './types.js';
import { claimRunForCommit, lastCompleteRun, markRunComplete, markRunFailed, markRunInterrupted, runningRunIds, startRun } from './ledger.js';
import { type SnapshotCache, type SourceSnapshot, readSnapshot } from './snapshot.js';

export interface RunDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  /** Cuts known secrets out of a failure's message before it is stored, logged or returned (default: URL queries only). */
  readonly scrubber?: SecretScrubber;
  /** Identifies this process in leases. */
  readonly holder?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (source: string, message: string) => void;
  readonly onUsage?: (source: string, metric: string, percent: number) => void;
  /** Lease time-to-live (default LEASE_TTL_MS); renewed at a third of it while the pull runs. */
  readonly leaseTtlMs?: number;
  /** PostgreSQL: how long a baseline's transaction may sit idle (default BASELINE_IDLE_LIMIT_MS). */
  readonly baselineIdleLimitMs?: number;
  /** Snapshots kept between a long-running process's pulls (App.snapshots); without it each full pull reads its own. */
  readonly snapshots?: SnapshotCache;
}

export interface RunResult {
  readonly source: string;
  readonly runId: number | null;
  readonly mode: RunMode;
  readonly outcome: 'complete' | 'failed';
  readonly baseline: boolean;
  readonly entities: number;
  readonly events: number;
  readonly apiCalls: number;
  readonly retries: number;
  readonly durationMs: number;
  readonly eventTypes: Record<string, number>;
  readonly counts: Record<string, KindCounts>;
  /** Time spent storing (staging pages, then the commit transaction), for the benchmark; network wait excluded. */
  readonly stageMs: number;
  readonly commitMs: number;
  readonly error?: string;
  readonly errorCode?: ErrorCode;
}

export { processHolder } from './lease.js';

/** The counters of a result before anything was read. */
function emptyResult(source: string) {
  return { source, baseline: false, entities: 0, events: 0, apiCalls: 0, retries: 0, counts: {}, eventTypes: {}, stageMs: 0, commitMs: 0 };
}

/**
 * What a webhook asks of a source: read only these targets (the source's own words, e.g. a WABA
 * id) and apply them as a partial pull — adds and updates, never a removal.
 */
export interface TargetedRequest {
  readonly targets: readonly string[];
  /**
   * Runs inside the commit's transaction, after the entities are applied: writes what only the
   * webhook can tell (its own events) and marks the deliveries processed, atomically with the pull.
   */
  readonly within?: (trx: Transaction<Database>, run: { readonly runId: number; readonly detectedAt: string }) => Promise<EventTally>;
}

/** Events written, in total and per type. */
export interface EventTally {
  readonly events: number;
  readonly eventTypes: Record<string, number>;
}

export async function runSourcePull(deps: RunDeps, source: Source, requestedMode: RunMode): Promise<RunResult> {
  return leased(deps, source, `sync:${source.name}`, requestedMode, (started) => pullHoldingLease(deps, source, requestedMode, started));
}

/**
 * A targeted pull (mode `webhook`, scope `targeted`) under the source's `webhook:` lease, beside
 * any full pull of it (concurrent-writes.ts says how the two are ordered). Null when the source
 * has no complete pull yet: the first one is its baseline, and reports nothing entity by entity.
 */
export async function runTargetedPull(deps: RunDeps, source: Source, request: TargetedRequest): Promise<RunResult | null> {
  if (!source.pullTargets) throw new Error(`${source.name}: no targeted pulls`);
  if ((await lastCompleteRun(deps.db, source.name)) === undefined) return null;
  return leased(deps, source, `webhook:${source.name}`, 'webhook', (started) => pullHoldingLease(deps, source, 'webhook', started, request));
}

async function leased(deps: RunDeps, source: Source, leaseName: string, requestedMode: RunMode, pull: (started: Date) => Promise<RunResult>): Promise<RunResult> {
  const { clock, log } = deps;
  const started = clock();
  const base = emptyResult(source.name);
  const elapsed = () => clock().getTime() - started.getTime();
  const leased = await withLease(deps, leaseName, () => pull(started), { ttlMs: deps.leaseTtlMs, holder: deps.holder });
  if (leased.acquired) return leased.value;
  const error = `${source.name}: another process is pulling this source (${leased.holder ?? 'unknown'}, lease until ${leased.expiresAt ?? '?'})`;
  log.warn({ source: source.name, outcome: 'failed' }, error);
  return { ...base, runId: null, mode: requestedMode, outcome: 'failed', durationMs: elapsed(), error, errorCode: 'LEASE' };
}

/** The pull proper, while this process holds the source's lease. */
async function pullHoldingLease(deps: RunDeps, source: Source, requestedMode: RunMode, started: Date, targeted?: TargetedRequest): Promise<RunResult> {
  const { db, clock, log } = deps;
  const base = emptyResult(source.name);
  const elapsed = () => clock().getTime() - started.getTime();
  // The one text a failure becomes, for the ledger, the log and the result the CLI prints: upstream
  // text in it may echo a credential or carry terminal escapes.
  const scrubber = deps.scrubber ?? new SecretScrubber();
  const describe = (error: unknown) => stripControlChars(scrubber.describe(error), { keepNewlines: true });
  let opened: BaselineTransaction | null = null;
  try {
    const scope = targeted ? 'targeted' : 'all';
    await recoverInterrupted(db, source.name, clock(), scope);
    const hasBaseline = (await lastCompleteRun(db, source.name)) !== undefined;
    const hasFull = hasBaseline && (await lastCompleteRun(db, source.name, 'full')) !== undefined;
    // An incremental pull needs a full one to build on; a source without incremental reads all. A
    // full pull a webhook triggered keeps its mode `webhook` and reads everything.
    const mode: RunMode = requestedMode === 'webhook' ? 'webhook' : requestedMode === 'incremental' && source.supportsIncremental && hasFull ? 'incremental' : 'full';
    // Full pulls running now: a targeted pull yields to what they remove (concurrent-writes.ts).
    const runningAtStart = targeted ? await runningRunIds(db, source.name, 'all') : [];
    const observedAt = clock().toISOString();
    // PostgreSQL: a baseline writes its rows as first versions inside the transaction that commits
    // it, instead of staging them and copying them over (stage.ts). Opened before the run is
    // recorded, so a pool that has no connection for it fails the pull without leaving a run behind.
    const direct = isPostgres(db) && !hasBaseline && !targeted ? await BaselineTransaction.open(db, source.name, deps.baselineIdleLimitMs ?? BASELINE_IDLE_LIMIT_MS) : null;
    opened = direct;
    const runId = await startRun(db, { source: source.name, mode, scope, startedAt: observedAt });

    let apiCalls = 0;
    let retries = 0;
    let entities = 0;
    let stageMs = 0;
    let staging = 0;
    let stagingSince = 0;
    const checks: CheckFinding[] = [];
    const stateWrites = new Map<string, string>();
    const signal = deps.signal ?? new AbortController().signal;
    // Chains stage concurrently and queue for the one connection: count the time during which
    // anything is being stored, once, rather than each chain's wait for the others.
    const storing = async (work: () => Promise<void>): Promise<void> => {
      if (staging++ === 0) stagingSince = performance.now();
      try {
        await work();
      } finally {
        if (--staging === 0) stageMs += performance.now() - stagingSince;
      }
    };
    // SQLite: start a poll with the write-ahead log copied into the file (counted as storing), so
    // that its commit, which writes the burst of events, finds it short and returns without
    // copying it (db/database.ts: WAL_AUTOCHECKPOINT_PAGES) — time every event of the burst would
    // wait before it could leave (docs/benchmark.md, "Event delivery"). Targeted pulls (webhooks)
    // write a few rows and skip it.
    if (!targeted) await storing(() => checkpointWal(db));
    let snapshot: SourceSnapshot | null = null;
    // A targeted or incremental pull reads a few entities and removes none: it compares them at
    // commit instead of reading the keys and hashes of every current version of the source.
    if (hasBaseline && !targeted && mode !== 'incremental') {
      await storing(async () => {
        snapshot = await readSnapshot(
          db,
          source.name,
          source.kinds.map((spec) => spec.kind),
          undefined,
          deps.snapshots,
        );
      });
    }
    const current = snapshot as SourceSnapshot | null;
    const newestId: number = current?.newestId ?? (await newestVersionId(db, source.name));
    const stager = createStager(db, source.name, runId, snapshot, storing, direct ? { transaction: direct, observedAt } : undefined);
    /** A targeted pull's staged keys per kind (a few): the ones whose removal by a full pull it must respect. */
    const stagedKeys = new Map<string, string[]>();
    const ctx: PullContext = {
      runId,
      mode,
      signal,
      now: clock,
      stage: async (kind, items) => {
        if (signal.aborted) throw new WabaSyncError('ABORTED', `${source.name}: pull aborted`);
        if (!source.kinds.some((spec) => spec.kind === kind)) throw new Error(`${source.name}: unknown kind ${kind}`);
        await storing(() => stager.stage(kind, items));
        if (targeted) (stagedKeys.get(kind) ?? stagedKeys.set(kind, []).get(kind)!).push(...items.map((item) => item.key));
        entities += items.length;
      },
      discard: async (kind) => {
        // The stager counts what it saw per kind: that many entities are read again.
        entities -= stager.seen(kind);
        await stager.discard(kind);
      },
      countApiCall: () => {
        apiCalls += 1;
      },
      countRetry: () => {
        retries += 1;
      },
      reportUsage: (metric, percent) => deps.onUsage?.(source.name, metric, percent),
      recordCheck: (finding) => checks.push(finding),
      readState: async (name) =>
        (await db.selectFrom('source_state').select('value').where('source', '=', source.name).where('name', '=', name).executeTakeFirst())?.value ?? null,
      writeState: (name, value) => {
        // A targeted pull read a few entities: nothing it saw describes the whole listing.
        if (!targeted) stateWrites.set(name, value);
      },
      progress: (message) => deps.onProgress?.(source.name, message),
    };

    try {
      const coverage = targeted ? partialOnly((await source.pullTargets!(ctx, targeted.targets)).coverage) : (await source.pull(ctx)).coverage;
      if (signal.aborted) throw new WabaSyncError('ABORTED', `${source.name}: pull aborted`);
      await storing(() => stager.flush());
      const detectedAt = clock().toISOString();
      const commitStarted = performance.now();
      await prepareStagedForCommit(db, source.name, runId);
      // READ COMMITTED is enough: claimRunForCommit's row lock (PostgreSQL) or write lock (SQLite)
      // makes the run ours for the transaction, and the source's lease keeps other pulls of it out.
      const apply = async (trx: Transaction<Database>) => {
        // Write first (see claimRunForCommit): the write lock now, and proof the run is still ours.
        if (!(await claimRunForCommit(trx, runId, detectedAt))) throw new WabaSyncError('LEASE', `${source.name}: run ${runId} was taken over`);
        await indexStaged(trx);
        // A baseline written as it was read has no current versions to compare and wrote its own:
        // it only waits for the source's other commits (none can have written it: targeted pulls
        // wait for a baseline, and another full pull would collide on the current-version index).
        const yielded = direct
          ? await serializeOn(trx, `commit:${source.name}`).then(() => new YieldedKeys())
          : await yieldedSince(trx, { source: source.name, runId, newestId, scope, runningAtStart }, stagedKeys);
        if (yielded.size === 0) await snapshot?.verify(trx);
        const committed = await commitPull(trx, {
          source: source.name,
          runId,
          kinds: source.kinds,
          coverage,
          observedAt,
          detectedAt,
          baseline: !hasBaseline,
          written: direct !== null,
          seen: (kind) => stager.seen(kind),
          unseen: (kind) => stager.unseen(kind),
          yielded,
        });
        if (yielded.size > 0) log.info({ source: source.name, mode, runId, yielded: yielded.size }, `${source.name}: left ${yielded.size} entities that a concurrent pull wrote first to the next pull`);
        const extra = (await targeted?.within?.(trx, { runId, detectedAt })) ?? { events: 0, eventTypes: {} };
        if (checks.length > 0) {
          await trx
            .insertInto('data_check')
            .values(checks.map((c) => ({ run_id: runId, source: source.name, ...c, at: detectedAt })))
            .execute();
        }
        for (const [name, value] of stateWrites) {
          await trx
            .insertInto('source_state')
            .values({ source: source.name, name, value, updated_at: detectedAt })
            .onConflict((oc) => oc.columns(['source', 'name']).doUpdateSet({ value, updated_at: detectedAt }))
            .execute();
        }
        await clearCommittedStaging(trx, runId);
        // What this commit leaves is what the source's next full pull would read back: kept once
        // the commit is through, unless another pull's writes were left alone (then only the
        // database knows the result).
        const keptAt =
          deps.snapshots && current && yielded.size === 0 && source.kinds.every((spec) => stager.changed(spec.kind) !== null)
            ? await current.fingerprintAfter(trx, appliedCounts(committed.counts))
            : null;
        const events = committed.events + extra.events;
        const marked = await markRunComplete(trx, runId, { finishedAt: detectedAt, entities, events, apiCalls, counts: committed.counts });
        // Another process declared this run dead (our lease had lapsed): roll everything back.
        if (!marked) throw new WabaSyncError('LEASE', `${source.name}: run ${runId} was taken over`);
        const eventTypes = { ...committed.eventTypes };
        for (const [type, n] of Object.entries(extra.eventTypes)) eventTypes[type] = (eventTypes[type] ?? 0) + n;
        return { ...committed, events, eventTypes, keptAt };
      };
      // Staged: a deadlock or serialization failure reruns the whole transaction. Written as read:
      // the rows are in this transaction, so a failure fails the pull (and the next one re-reads).
      const outcome = direct
        ? await direct.run(apply).then(async (applied) => {
            await direct.commit();
            return applied;
          })
        : await retryOnConflict(() => db.transaction().execute(apply));
      if (outcome.keptAt) deps.snapshots!.put(source.name, current!.successor((kind) => stager.changed(kind)!, coverage, outcome.keptAt));
      const commitMs = performance.now() - commitStarted;
      // SQLite: what this commit wrote is copied into the file by this pull (counted as its
      // storing), not left in the log for whichever commit comes next. The pull is complete
      // whatever happens here: a checkpoint that fails is left to the next one.
      if (!targeted) {
        await storing(() => checkpointWal(db)).catch((error: unknown) =>
          log.warn({ source: source.name, runId, err: describe(error) }, `${source.name}: copying the write-ahead log into the database file failed; the next pull tries again`),
        );
      }
      const result: RunResult = {
        ...base,
        runId,
        mode,
        outcome: 'complete',
        baseline: !hasBaseline,
        entities,
        events: outcome.events,
        eventTypes: outcome.eventTypes,
        apiCalls,
        retries,
        durationMs: elapsed(),
        counts: outcome.counts,
        stageMs,
        commitMs,
      };
      log.info(
        { source: source.name, mode, runId, outcome: 'complete', entities, events: outcome.events, apiCalls, durationMs: result.durationMs },
        `${source.name} ${mode} pull complete`,
      );
      return result;
    } catch (error) {
      const message = describe(error);
      const code = error instanceof WabaSyncError ? error.code : 'INTERNAL';
      await stager.close();
      await direct?.rollBack(log);
      await clearStaging(db, runId);
      await markRunFailed(db, runId, { finishedAt: clock().toISOString(), entities, apiCalls, error: message, errorCode: code });
      log.error({ source: source.name, mode, runId, outcome: 'failed', entities, apiCalls, errorCode: code, error: message }, `${source.name} ${mode} pull failed`);
      return { ...base, runId, mode, outcome: 'failed', entities, apiCalls, retries, stageMs, durationMs: elapsed(), error: message, errorCode: code };
    }
  } catch (error) {
    await opened?.rollBack(log);
    // The database itself failed (disk full, locked, the server gone): nothing was applied. A run
    // row left `running` is recovered as INTERRUPTED by the next pull.
    const message = describe(error);
    const code: ErrorCode = isDatabaseError(error) ? 'DATABASE' : 'INTERNAL';
    log.error({ source: source.name, errorCode: code, error: message }, `${source.name} pull could not be recorded`);
    return { ...base, runId: null, mode: requestedMode, outcome: 'failed', durationMs: elapsed(), error: message, errorCode: code };
  }
}

/** A commit's new versions (added and changed entities), added and removed entities, over its kinds. */
function appliedCounts(counts: Record<string, KindCounts>): { inserted: number; added: number; removed: number } {
  const all = Object.values(counts);
  const sum = (pick: (c: KindCounts) => number) => all.reduce((total, c) => total + pick(c), 0);
  return { inserted: sum((c) => c.added + c.changed), added: sum((c) => c.added), removed: sum((c) => c.removed) };
}

/** A targeted pull only adds and updates, whatever its source says. */
function partialOnly(coverage: Coverage): Coverage {
  return Object.fromEntries(Object.keys(coverage).map((kind) => [kind, 'partial' as const]));
}

/** Runs of the lease's scope left `running` by a process that died: we hold the lease, so nobody is working on them. */
async function recoverInterrupted(db: Db, source: string, now: Date, scope: RunScope): Promise<void> {
  for (const id of await runningRunIds(db, source, scope)) {
    // READ COMMITTED: markRunInterrupted's `outcome = 'running'` condition, re-checked after any
    // row lock, leaves a run its former holder managed to commit alone.
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('pull_item').where('run_id', '=', id).execute();
      // SQLite: the connection's own staging table answers to pull_item (db/database.ts); a run
      // interrupted before 2026-12-01 staged in the file's table.
      if (!isPostgres(trx)) await sql`delete from main.pull_item where run_id = ${id}`.execute(trx);
      await markRunInterrupted(trx, id, now.toISOString());
    });
  }
}
