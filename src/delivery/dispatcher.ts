/**
 * The dispatcher: fans new events out (fan-out.ts), then runs one lane per subscription and one
 * for chat, each on its own, so a slow or dead endpoint holds up only its own lane. A lane claims
 * its due deliveries (store.ts: one daemon each, in event order per entity), sends them one at a
 * time (EVENT_WEBHOOK_CONCURRENCY: that many at once, each for another entity) — so a crash
 * between sending and marking repeats at most the deliveries in flight, with the same
 * webhook-id — and records each outcome before taking the next.
 *
 * An endpoint that is down (no answer, 5xx, 429) pauses its lane until the failed delivery's next
 * attempt, rather than spending every pending delivery's attempts on the outage; a refusal of one
 * delivery (another 4xx, a redirect) only backs that delivery off.
 */
import type { Db } from '../../db/database.js';
import type { EventDeliveryRow, EventRow } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { eventJsonLine } from '../events/format.js';
import { type EventRecord, toEventRecord } from '../events/query.js';
import type { Logger } from '../log.js';
import type { SecretScrubber } from '../secrets.js';
import { processHolder } from '../sync/lease.js';
import { alertDeliveryFailed } from './alert.js';
import { CHAT_LANE, CHAT_MESSAGES_PER_MINUTE, chatMessage, chatSummary, isChatWorthy } from './chat.js';
import { type Lane, fanOut } from './fan-out.js';
import { type PostOutcome, postJson } from './post.js';
import { type EventSubscription, retryDelayMs, subscribes } from './settings.js';
import { claimDue, markAttemptFailed, markDelivered, release } from './store.js';
import { signatureHeaders } from './signing.js';

/** What the dispatcher reports (src/observability/metrics.ts implements it). */
export interface DeliveryMetrics {
  delivered(subscription: string, lagSeconds: number): void;
  attemptFailed(subscription: string): void;
  failed(subscription: string): void;
}

export interface DispatcherDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly config: Config;
  readonly scrubber: SecretScrubber;
  readonly metrics?: DeliveryMetrics;
  /** This process's name on its leases (default processHolder()). */
  readonly holder?: string;
}

export interface DispatcherOptions {
  /** How often to look for new events without a wake-up (default 250 ms). */
  readonly pollMs?: number;
}

export interface PassResult {
  readonly fannedOut: number;
  readonly delivered: number;
  readonly attemptsFailed: number;
  readonly failed: number;
}

export interface Dispatcher {
  /** Look now (after a pull or webhook processing wrote events). */
  wake(): void;
  /** One whole pass, awaited: fan out, then every lane until nothing is due (ignoring pauses). */
  runOnce(): Promise<PassResult>;
  /** Stop looking, abort requests in flight (their deliveries are released, not counted), wait. */
  stop(): Promise<void>;
}

/** Deliveries claimed at a time; the lease covers sending them all at the timeout each. */
const CLAIM_BATCH = 20;
const CHAT_CLAIM = 200;

/** How a chat batch went: every message posted, one refused (the rest given back), or stopping. */
type Sent = 'all' | 'refused' | 'stopped';

interface LaneRunner extends Lane {
  run(counts: MutablePass, signal: AbortSignal): Promise<void>;
  pausedUntil: number;
  running: Promise<void> | null;
  again: boolean;
}

type MutablePass = { -readonly [K in keyof PassResult]: PassResult[K] };

/** A lane's state before its first run: not paused, not running. */
function idleLane(name: string, accepts: Lane['accepts']): Omit<LaneRunner, 'run'> {
  return { name, accepts, pausedUntil: 0, running: null, again: false };
}

export function lanesFor(config: Config): Lane[] {
  const lanes: Lane[] = config.delivery.subscriptions.map((subscription) => ({ name: subscription.name, accepts: (event: EventRecord) => subscribes(subscription, event.type) }));
  if (config.delivery.chatUrl) lanes.push({ name: CHAT_LANE, accepts: isChatWorthy });
  return lanes;
}

export function createDispatcher(deps: DispatcherDeps, options: DispatcherOptions = {}): Dispatcher {
  const { db, clock, log, config } = deps;
  const delivery = config.delivery;
  const holder = deps.holder ?? processHolder();
  const controller = new AbortController();
  const claimBatch = Math.max(CLAIM_BATCH, 4 * delivery.concurrency);
  const leaseMs = (Math.ceil(claimBatch / delivery.concurrency) + 1) * delivery.timeoutMs + 30_000;
  const policy = { retryDelaysMs: delivery.retryDelaysMs, giveUpAfterMs: delivery.giveUpAfterMs };
  const lanes = lanesFor(config);
  let stopping = false;
  // The dispatcher looks 4 times a second: while the database is away (the daemon waits for it),
  // one line per failure and minute, not one per look.
  let lastProblem = { text: '', at: 0 };
  const logProblem = (fields: Record<string, unknown>, error: unknown, message: string) => {
    const text = deps.scrubber.describe(error);
    const now = Date.now();
    if (text === lastProblem.text && now - lastProblem.at < 60_000) return;
    lastProblem = { text, at: now };
    log.error({ ...fields, error: text }, message);
  };

  const loadEvents = async (ids: readonly number[]): Promise<Map<number, EventRecord>> => {
    const rows: EventRow[] = ids.length === 0 ? [] : await db.selectFrom('event').selectAll().where('id', 'in', [...ids]).execute();
    return new Map(rows.map((row) => [row.id, toEventRecord(row)]));
  };

  /** Records one attempt's outcome; true when the lane should pause (the endpoint is down). */
  const record = async (lane: LaneRunner, row: Parameters<typeof markDelivered>[1], event: EventRecord | undefined, outcome: PostOutcome, counts: MutablePass): Promise<boolean> => {
    const now = clock();
    if (outcome.ok) {
      await markDelivered(db, row, outcome.status, now);
      counts.delivered += 1;
      if (event) deps.metrics?.delivered(lane.name, Math.max(0, (now.getTime() - Date.parse(event.at)) / 1000));
      return false;
    }
    const error = deps.scrubber.scrub(outcome.error ?? 'failed').slice(0, 500);
    const status = await markAttemptFailed(db, row, { status: outcome.status, error }, policy, now);
    counts.attemptsFailed += 1;
    deps.metrics?.attemptFailed(lane.name);
    log.warn({ subscription: lane.name, eventId: row.event_id, webhookId: row.webhook_id, attempts: row.attempts + 1, status, err: { message: error } }, status === 'failed' ? 'event delivery failed for good' : 'event delivery failed; will retry');
    if (status === 'failed') {
      counts.failed += 1;
      deps.metrics?.failed(lane.name);
      await alertDeliveryFailed(db, config, log, { subscription: lane.name, eventId: row.event_id, attempts: row.attempts + 1, lastError: error }, now);
    }
    if (outcome.endpointDown) lane.pausedUntil = now.getTime() + retryDelayMs(delivery.retryDelaysMs, row.attempts + 1);
    return outcome.endpointDown;
  };

  const webhookLane = (subscription: EventSubscription): LaneRunner => {
    const lane: LaneRunner = {
      ...idleLane(subscription.name, (event) => subscribes(subscription, event.type)),
      async run(counts, signal) {
        for (;;) {
          if (signal.aborted) return;
          // At most one delivery per entity in a batch (claimDue takes each entity's oldest), so
          // sending them side by side keeps every entity's order.
          const rows = await claimDue(db, subscription.name, holder, clock(), leaseMs, claimBatch);
          if (rows.length === 0) return;
          const events = await loadEvents(rows.map((row) => row.event_id));
          let next = 0;
          let stop = false;
          const sendNext = async (): Promise<void> => {
            while (!stop && next < rows.length) {
              const row = rows[next++]!;
              const event = events.get(row.event_id);
              let outcome: PostOutcome;
              if (!event) {
                outcome = { ok: false, status: null, error: 'the event no longer exists (pruned before it was delivered)', endpointDown: false };
              } else {
                const body = eventJsonLine(event);
                outcome = await postJson(subscription.url, body, { ...signatureHeaders(subscription.secret, row.webhook_id, clock(), body) }, delivery.timeoutMs, signal);
              }
              if (signal.aborted) {
                // Stopping: what was in flight is sent again by whoever runs next (same webhook-id).
                await release(db, [row.id], holder);
                stop = true;
                return;
              }
              if (await record(lane, row, event, outcome, counts)) stop = true;
            }
          };
          await Promise.all(Array.from({ length: Math.min(delivery.concurrency, rows.length) }, sendNext));
          // Claimed and never tried (the endpoint went down, or stopping): free for the next look.
          await release(db, rows.slice(next).map((r) => r.id), holder);
          if (stop) return;
        }
      },
    };
    return lane;
  };

  const chatLane = (url: string): LaneRunner => {
    /** When recent messages went out: at most CHAT_MESSAGES_PER_MINUTE a minute, the rest summarised. */
    const sentAt: number[] = [];
    const lane: LaneRunner = {
      ...idleLane(CHAT_LANE, isChatWorthy),
      async run(counts, signal) {
        for (;;) {
          if (signal.aborted) return;
          const now = clock().getTime();
          while (sentAt.length > 0 && sentAt[0]! <= now - 60_000) sentAt.shift();
          if (sentAt.length >= CHAT_MESSAGES_PER_MINUTE) {
            // The minute's allowance is used: what arrives meanwhile waits and goes as one summary.
            lane.pausedUntil = sentAt[0]! + 60_000;
            return;
          }
          // An entity's due events together: a burst about one WABA is one summary, not a message a minute.
          const rows = await claimDue(db, CHAT_LANE, holder, clock(), leaseMs, CHAT_CLAIM, { together: true });
          if (rows.length === 0) return;
          const events = await loadEvents(rows.map((row) => row.event_id));
          const present = rows.map((row) => events.get(row.event_id)).filter((event): event is EventRecord => event !== undefined);
          const allowance = CHAT_MESSAGES_PER_MINUTE - sentAt.length;
          const sent = present.length <= allowance ? await postOneByOne(rows, events, counts, signal) : await postSummary(rows, events, present, counts, signal);
          // A refusal backs off what was refused, and the entity's later events wait for it
          // (claimDue); the others go on — unless the endpoint is down, which pauses the lane (`record`).
          if (sent === 'stopped' || lane.pausedUntil > clock().getTime()) return;
        }
      },
    };
    const OK: PostOutcome = { ok: true, status: null, error: null, endpointDown: false };
    const post = (message: string, signal: AbortSignal) => postJson(url, message, {}, delivery.timeoutMs, signal, { resendOnReset: false });
    /**
     * A message per event: each delivery stands alone, so one that failed is retried without
     * posting again those before it; those after it are given back untried. Events pruned before
     * they were posted leave nothing to say.
     */
    const postOneByOne = async (rows: readonly EventDeliveryRow[], events: ReadonlyMap<number, EventRecord>, counts: MutablePass, signal: AbortSignal): Promise<Sent> => {
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const event = events.get(row.event_id);
        const outcome = event ? await post(chatMessage(event), signal) : OK;
        if (signal.aborted) {
          await release(db, rows.slice(i).map((r) => r.id), holder);
          return 'stopped';
        }
        if (event && outcome.ok) sentAt.push(clock().getTime());
        await record(lane, row, event, outcome, counts);
        if (!outcome.ok) {
          await release(db, rows.slice(i + 1).map((r) => r.id), holder);
          return 'refused';
        }
      }
      return 'all';
    };
    /** One summary for the batch: it stands or falls whole (it can't be half sent), and a retry resends it. */
    const postSummary = async (rows: readonly EventDeliveryRow[], events: ReadonlyMap<number, EventRecord>, present: readonly EventRecord[], counts: MutablePass, signal: AbortSignal): Promise<Sent> => {
      const outcome = await post(chatSummary(present), signal);
      if (signal.aborted) {
        await release(db, rows.map((r) => r.id), holder);
        return 'stopped';
      }
      if (outcome.ok) sentAt.push(clock().getTime());
      for (const row of rows) await record(lane, row, events.get(row.event_id), outcome, counts);
      return outcome.ok ? 'all' : 'refused';
    };
    return lane;
  };

  const runners: LaneRunner[] = [...delivery.subscriptions.map(webhookLane), ...(delivery.chatUrl ? [chatLane(delivery.chatUrl)] : [])];

  const startLane = (lane: LaneRunner, counts: MutablePass, ignorePause: boolean): Promise<void> => {
    if (lane.running) {
      lane.again = true;
      return lane.running;
    }
    if (!ignorePause && lane.pausedUntil > clock().getTime()) return Promise.resolve();
    lane.running = (async () => {
      try {
        do {
          lane.again = false;
          await lane.run(counts, controller.signal);
        } while (lane.again && !stopping && lane.pausedUntil <= clock().getTime());
      } catch (error) {
        logProblem({ subscription: lane.name }, error, 'event delivery lane failed; retrying at the next look');
      } finally {
        lane.running = null;
      }
    })();
    return lane.running;
  };

  const emptyPass = (): MutablePass => ({ fannedOut: 0, delivered: 0, attemptsFailed: 0, failed: 0 });
  let ticking = false;
  let tickAgain = false;
  const tick = async (): Promise<void> => {
    if (stopping) return;
    if (ticking) {
      tickAgain = true;
      return;
    }
    ticking = true;
    try {
      do {
        tickAgain = false;
        const counts = emptyPass();
        counts.fannedOut = await fanOut(db, lanes, clock());
        for (const lane of runners) void startLane(lane, counts, false);
      } while (tickAgain && !stopping);
    } catch (error) {
      logProblem({}, error, 'event fan-out failed; retrying at the next look');
    } finally {
      ticking = false;
    }
  };

  const timer = setInterval(() => void tick(), options.pollMs ?? 250);
  timer.unref();

  return {
    wake() {
      setImmediate(() => void tick());
    },
    async runOnce() {
      const counts = emptyPass();
      counts.fannedOut = await fanOut(db, lanes, clock());
      await Promise.all(runners.map((lane) => startLane(lane, counts, true)));
      // A lane that was already running: run it once more now that it is done.
      await Promise.all(runners.map((lane) => (lane.running ? lane.running : Promise.resolve())));
      return counts;
    },
    async stop() {
      stopping = true;
      clearInterval(timer);
      controller.abort();
      await Promise.allSettled(runners.map((lane) => lane.running ?? Promise.resolve()));
    },
  };
}
