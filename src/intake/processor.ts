/**
 * Processing the webhook inbox: one lane per upstream, woken when a delivery is recorded and every
 * few seconds anyway (a delivery another daemon recorded and could not process, or one left from
 * before a restart). A lane takes the due deliveries of its upstream in arrival order, asks the
 * upstream's reader what each one means, and then:
 * - targets and webhook-only events → one targeted pull of the source for the whole batch (mode
 *   `webhook`), whose commit also writes the events and marks the deliveries processed — atomically,
 *   and only the deliveries this transaction claimed (another daemon may have been first);
 * - a full pull asked `now` (99digital) → one running and at most one queued; asked `debounced`
 *   (a removal only a full listing confirms) → at most one per WEBHOOK_FULL_PULL_MIN_INTERVAL_SECONDS,
 *   the next one scheduled rather than dropped.
 * A failed targeted pull is tried again with backoff; after MAX_ATTEMPTS the deliveries' own events
 * are still written and the entities left to the next poll.
 */
import type { Transaction } from 'kysely';
import type { Db } from '../../db/database.js';
import { serializeOn } from '../../db/serialize.js';
import type { Database, WebhookInboxRow } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { canonicalJson } from '../diff/canonical.js';
import type { Logger } from '../log.js';
import { queueAccountAlert } from '../notify/account-alerts.js';
import type { Metrics } from '../observability/metrics.js';
import type { SecretScrubber } from '../secrets.js';
import type { WebhookPlan, WebhookReader } from '../sources/upstream.js';
import { type EventTally, type RunDeps, type RunResult, runSourcePull, runTargetedPull } from '../sync/run-source.js';
import type { SourceLocks } from '../sync/source-locks.js';
import type { Source } from '../sync/types.js';
import { claimDeliveries, dueDeliveries, recordAttemptFailed } from './inbox.js';

/** Attempts at a targeted pull before its deliveries are processed without it. */
export const MAX_ATTEMPTS = 5;
const BATCH = 200;
const RETRY_BASE_MS = 5_000;
/** Another daemon holds the source's webhook lease: look again this soon. */
const LEASE_RETRY_MS = 1_000;

export interface IntakeProcessorDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly scrubber: SecretScrubber;
  readonly metrics: Metrics;
  readonly locks: SourceLocks;
  readonly signal: AbortSignal;
  /** The enabled sources that have a webhook reader, by name (the inbox's `upstream`). */
  readonly lanes: ReadonlyMap<string, { readonly source: Source; readonly reader: WebhookReader<unknown> }>;
  readonly alertTo: readonly string[];
  readonly fullPullMinIntervalSeconds: number;
  /** After deliveries queued alert emails (drain the outbox) or a triggered pull ended. */
  readonly notify: () => Promise<void>;
  /** How often a lane looks at the inbox without being woken (default 2 s). */
  readonly pollMs?: number;
  /** After each batch is processed (its events, if any, are written): e.g. wake the event dispatcher. */
  readonly onProcessed?: () => void;
}

export interface IntakeProcessor {
  wake(upstream: string): void;
  /** Resolves once no lane is working and no triggered pull runs or is queued (tests, demo). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export function startIntakeProcessor(deps: IntakeProcessorDeps): IntakeProcessor {
  const pollMs = deps.pollMs ?? 2_000;
  let stopped = false;
  const wakers = new Map<string, () => void>();
  const busy = new Set<string>();
  const triggers = new Map<string, FullPullTrigger>();
  const runDeps: RunDeps = { db: deps.db, clock: deps.clock, log: deps.log, scrubber: deps.scrubber, signal: deps.signal, onUsage: deps.metrics.recordUsage };

  const triggerOf = (name: string, source: Source) => {
    let trigger = triggers.get(name);
    if (!trigger) {
      trigger = new FullPullTrigger(source, deps, runDeps, () => stopped);
      triggers.set(name, trigger);
    }
    return trigger;
  };

  /** One batch; true when there was one (more may have arrived meanwhile). */
  const processDue = async (name: string, source: Source, reader: WebhookReader<unknown>, trigger: FullPullTrigger): Promise<boolean> => {
    const rows = await dueDeliveries(deps.db, name, deps.clock(), BATCH);
    if (rows.length === 0) return false;
    const read = rows.map((row) => ({ row, plan: reader.interpret(row.body) }));
    const targets = [...new Set(read.flatMap(({ plan }) => plan.targets))];
    const hasEvents = read.some(({ plan }) => plan.events.length > 0);
    const ids = rows.map((row) => row.id);
    let alerts = 0;
    /** Marks the batch processed and writes the events of the deliveries this transaction claimed. */
    const apply = async (trx: Transaction<Database>, run: { runId: number | null; detectedAt: string }, outcome: string, note: string): Promise<EventTally> => {
      const claimed = await claimDeliveries(trx, ids, { at: run.detectedAt, outcome, note });
      const written = await writeWebhookEvents(trx, { source: source.name, runId: run.runId, at: run.detectedAt, alertTo: deps.alertTo, now: deps.clock() }, read.filter(({ row }) => claimed.has(row.id)));
      alerts = written.alerts;
      return written;
    };
    const within = (outcome: string, error?: string) => (trx: Transaction<Database>, run: { runId: number; detectedAt: string }) => apply(trx, run, outcome, describeBatch(read, targets, error));

    if (targets.length > 0 || hasEvents) {
      const result = await runTargetedPull(runDeps, source, { targets, within: within('applied') });
      if (result === null) {
        // No baseline yet: the entities are left to it, but what only a webhook tells (a ban, a violation) is told now.
        const note = `no complete pull of ${source.name} yet: its first full pull is the baseline and reports none of this entity by entity`;
        if (hasEvents) {
          await deps.db.transaction().execute(async (trx) => {
            // After any commit of the source under way, as a pull's events would be (their ids follow commit order).
            await serializeOn(trx, `commit:${source.name}`);
            await apply(trx, { runId: null, detectedAt: deps.clock().toISOString() }, 'applied', `${describeBatch(read, [])}; entities left to the baseline: ${note}`);
          });
        } else await processWithoutPull(ids, 'ignored', note);
      } else if (result.outcome === 'failed') {
        await retryOrGiveUp(name, source, rows, result, within);
      } else {
        deps.metrics.recordRun(result);
        deps.metrics.webhooks.pull(source.name, 'targeted');
      }
    } else {
      await processWithoutPull(ids, 'applied', describeBatch(read, targets));
    }
    for (const { plan } of read) for (const what of plan.unhandled) deps.metrics.webhooks.unhandled(name, metricLabel(what));
    const done = deps.clock().getTime();
    for (const row of rows) deps.metrics.webhooks.processed(name, Math.max(0, done - Date.parse(row.received_at)) / 1000);
    deps.onProcessed?.();
    const full = read.map(({ plan }) => plan.fullPull).filter((kind) => kind !== null);
    if (full.includes('now')) trigger.now();
    else if (full.includes('debounced')) await trigger.debounced();
    if (alerts > 0) await deps.notify();
    // A batch that failed and waits for its retry leaves nothing due: the loop ends there.
    return true;
  };

  const processWithoutPull = async (ids: readonly number[], outcome: string, note: string) => {
    await deps.db.transaction().execute((trx) => claimDeliveries(trx, ids, { at: deps.clock().toISOString(), outcome, note }));
  };

  const retryOrGiveUp = async (
    name: string,
    source: Source,
    rows: readonly WebhookInboxRow[],
    result: RunResult,
    within: (outcome: string, error?: string) => (trx: Transaction<Database>, run: { runId: number; detectedAt: string }) => Promise<EventTally>,
  ) => {
    const now = deps.clock();
    const error = result.error ?? 'failed';
    if (result.errorCode === 'LEASE' || result.errorCode === 'ABORTED') {
      await recordAttemptFailed(deps.db, rows.map((row) => row.id), { at: now, error, nextAttemptAt: new Date(now.getTime() + LEASE_RETRY_MS), counted: false });
      return;
    }
    deps.metrics.recordRun(result);
    const attempts = Math.max(...rows.map((row) => row.attempts)) + 1;
    if (attempts < MAX_ATTEMPTS) {
      const wait = RETRY_BASE_MS * 2 ** (attempts - 1);
      deps.log.warn({ upstream: name, attempts, error }, `webhook intake: a targeted ${source.name} pull failed; trying again in ${wait / 1000} s`);
      await recordAttemptFailed(deps.db, rows.map((row) => row.id), { at: now, error, nextAttemptAt: new Date(now.getTime() + wait) });
      return;
    }
    // Given up on reading the entities (the next poll finds them); what only the webhook told is still written.
    deps.log.warn({ upstream: name, attempts, error }, `webhook intake: gave up on a targeted ${source.name} pull; the next poll finds its changes`);
    const eventsOnly = await runTargetedPull(runDeps, source, { targets: [], within: within('gave_up', error) });
    if (eventsOnly === null || eventsOnly.outcome === 'failed') {
      await recordAttemptFailed(deps.db, rows.map((row) => row.id), { at: now, error, nextAttemptAt: new Date(now.getTime() + RETRY_BASE_MS * 2 ** attempts) });
    }
  };

  // Started once everything they call is defined.
  const lanes = [...deps.lanes].map(async ([name, lane]) => {
    while (!stopped) {
      busy.add(name);
      try {
        // Until nothing is due: deliveries that arrived while a batch was processed go next, at once.
        while (!stopped && (await processDue(name, lane.source, lane.reader, triggerOf(name, lane.source)))) {
          // another batch
        }
      } catch (error) {
        deps.metrics.recordUnexpectedError('webhook-intake');
        deps.log.error({ upstream: name, error: deps.scrubber.describe(error) }, 'webhook intake: processing failed; trying again shortly');
      } finally {
        busy.delete(name);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        timer.unref();
        wakers.set(name, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      wakers.delete(name);
    }
  });

  return {
    wake(upstream) {
      wakers.get(upstream)?.();
    },
    async settled() {
      for (;;) {
        const pending = await deps.db.selectFrom('webhook_inbox').select('id').where('processed_at', 'is', null).where('next_attempt_at', '<=', deps.clock().toISOString()).limit(1).execute();
        const idle = pending.length === 0 && busy.size === 0 && [...triggers.values()].every((t) => t.idle());
        if (idle || stopped) return;
        for (const wake of wakers.values()) wake();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async stop() {
      stopped = true;
      for (const trigger of triggers.values()) trigger.cancel();
      for (const wake of wakers.values()) wake();
      await Promise.allSettled(lanes);
      await Promise.allSettled([...triggers.values()].map((trigger) => trigger.finished()));
    },
  };
}

interface ReadDelivery {
  readonly row: WebhookInboxRow;
  readonly plan: WebhookPlan;
}

/** Without a time from the upstream: an event the same as the entity's last one of its type, within this long, is the same news again. */
export const REPEAT_WINDOW_MS = 24 * 3_600_000;
/** How far our clock may run behind the upstream's when its time tells a resend (below). */
const CLOCK_SKEW_MS = 60_000;

/**
 * The deliveries' own events, each once, and news again each time it is news:
 * - With the upstream's time of the change (Meta's `entry.time`): an identical event (type, key,
 *   content) detected at or after that time is this very change, sent again (Meta's retries, a
 *   second subscribed app, the change batched with others) — nothing is written. One detected
 *   before it happened is an earlier occurrence: the same violation a month later is written.
 * - Without one (360dialog): identical to the entity's latest of that type, detected within
 *   REPEAT_WINDOW_MS, is the same news; after something else, or later, it is news again.
 * `runId` null: no complete pull of the source yet (what only a webhook tells is still told).
 */
async function writeWebhookEvents(
  trx: Transaction<Database>,
  run: { source: string; runId: number | null; at: string; alertTo: readonly string[]; now: Date },
  read: readonly ReadDelivery[],
): Promise<EventTally & { alerts: number }> {
  let events = 0;
  let alerts = 0;
  const eventTypes: Record<string, number> = {};
  for (const { plan } of read) {
    for (const event of plan.events) {
      const after = canonicalJson(event.after);
      const ofEntity = trx.selectFrom('event').where('type', '=', event.type).where('source', '=', run.source).where('key', '=', event.key);
      if (event.occurredAt !== undefined) {
        const since = new Date(Date.parse(event.occurredAt) - CLOCK_SKEW_MS).toISOString();
        if (await ofEntity.select('id').where('after', '=', after).where('at', '>=', since).limit(1).executeTakeFirst()) continue;
      } else {
        const latest = await ofEntity.select(['after', 'at']).orderBy('id', 'desc').limit(1).executeTakeFirst();
        if (latest && latest.after === after && Date.parse(run.at) - Date.parse(latest.at) < REPEAT_WINDOW_MS) continue;
      }
      const written = await trx
        .insertInto('event')
        .values({ type: event.type, source: run.source, key: event.key, at: run.at, run_id: run.runId, before: null, after, changes: null })
        .returning('id')
        .executeTakeFirstOrThrow();
      events += 1;
      eventTypes[event.type] = (eventTypes[event.type] ?? 0) + 1;
      const alert = { source: run.source, type: event.type, key: event.key, after: event.after, headline: event.alert ?? '', at: run.at, eventId: written.id };
      if (event.alert && (await queueAccountAlert(trx, alert, run.alertTo, run.now))) alerts += 1;
    }
  }
  return { events, eventTypes, alerts };
}

/** The inbox note: what the batch asked for, in words. */
function describeBatch(read: readonly ReadDelivery[], targets: readonly string[], error?: string): string {
  const parts: string[] = [];
  if (targets.length > 0) parts.push(`read ${targets.length > 5 ? `${targets.slice(0, 5).join(', ')} and ${targets.length - 5} more` : targets.join(', ')}`);
  const events = read.reduce((n, { plan }) => n + plan.events.length, 0);
  if (events > 0) parts.push(`${events} webhook event(s)`);
  if (read.some(({ plan }) => plan.fullPull !== null)) parts.push('full pull asked');
  const unhandled = [...new Set(read.flatMap(({ plan }) => plan.unhandled))];
  if (unhandled.length > 0) parts.push(`left alone: ${unhandled.slice(0, 10).join(', ')}`);
  if (error) parts.push(`targeted pull given up: ${error}`);
  return parts.join('; ') || 'nothing to do';
}

/** A bounded metric label from upstream text: its first word, when it looks like a field name. */
function metricLabel(what: string): string {
  const first = what.split(' ')[0] ?? '';
  return /^[a-z_]{1,40}$/.test(first) ? first : 'other';
}

/**
 * Full pulls that webhooks ask for, per source: `now` — one running and at most one queued (a
 * delivery during a pull may describe what that pull already read past); `debounced` — at most one
 * per WEBHOOK_FULL_PULL_MIN_INTERVAL_SECONDS, counted from the last webhook-triggered full pull in
 * the ledger (any daemon's), the next one scheduled for when the interval ends — also when it is
 * asked while a pull runs, which is then counted from that pull.
 */
class FullPullTrigger {
  private running: Promise<void> | null = null;
  private queued = false;
  /** A debounced pull asked while one ran: scheduled from the ledger once it ends, not run at once. */
  private debounceAfter = false;
  /** That schedule being worked out (the ledger read). */
  private scheduling: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly source: Source,
    private readonly deps: IntakeProcessorDeps,
    private readonly runDeps: RunDeps,
    private readonly stopped: () => boolean,
  ) {}

  /** No pull running or queued (one scheduled for when the interval ends does not count). */
  idle(): boolean {
    return this.running === null && !this.queued && this.scheduling === null;
  }

  now(): void {
    if (this.stopped()) return;
    if (this.running) {
      this.queued = true;
      return;
    }
    this.running = this.pull().finally(() => {
      this.running = null;
      if (this.stopped()) return;
      if (this.queued) {
        this.queued = false;
        this.debounceAfter = false;
        this.now();
      } else if (this.debounceAfter) {
        // The pull that just ended may have listed the entity before it went: one more, when the interval allows.
        this.debounceAfter = false;
        this.scheduling = this.debounced()
          .catch((error) => this.deps.log.error({ source: this.source.name, error: this.deps.scrubber.describe(error) }, `${this.source.name}: could not schedule a webhook-triggered full pull`))
          .finally(() => {
            this.scheduling = null;
          });
      }
    });
  }

  async debounced(): Promise<void> {
    if (this.running) {
      this.debounceAfter = true;
      return;
    }
    if (this.timer !== null || this.scheduling !== null) return;
    const last = await this.deps.db
      .selectFrom('sync_run')
      .select((eb) => eb.fn.max('started_at').as('at'))
      .where('source', '=', this.source.name)
      .where('mode', '=', 'webhook')
      .where('scope', '=', 'all')
      .executeTakeFirst();
    const gapMs = this.deps.fullPullMinIntervalSeconds * 1000;
    const dueAt = last?.at ? Date.parse(last.at) + gapMs : 0;
    const waitMs = dueAt - this.deps.clock().getTime();
    if (waitMs <= 0) {
      this.now();
      return;
    }
    this.deps.log.info({ source: this.source.name, inSeconds: Math.ceil(waitMs / 1000) }, `${this.source.name}: a webhook asks for a full pull; the last one was recent, so it runs when WEBHOOK_FULL_PULL_MIN_INTERVAL_SECONDS has passed`);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.now();
    }, waitMs);
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queued = false;
    this.debounceAfter = false;
  }

  async finished(): Promise<void> {
    await this.running;
  }

  private async pull(): Promise<void> {
    this.deps.metrics.webhooks.pull(this.source.name, 'full');
    try {
      const result = await this.deps.locks.run(this.source.name, 'webhook', () => runSourcePull(this.runDeps, this.source, 'webhook'));
      if (result) this.deps.metrics.recordRun(result);
      // Another daemon is pulling the source: ours must still follow it (it may have read past the change).
      if (result?.errorCode === 'LEASE' && !this.stopped() && this.timer === null) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.now();
        }, LEASE_RETRY_MS * 5);
        this.timer.unref();
      }
      await this.deps.notify();
    } catch (error) {
      this.deps.log.error({ source: this.source.name, error: this.deps.scrubber.describe(error) }, `${this.source.name}: a webhook-triggered full pull failed`);
    }
  }
}
