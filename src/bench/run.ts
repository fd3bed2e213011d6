/**
 * One benchmark run: the simulators here, the syncs in a worker process, churn between syncs,
 * and every measurement gathered into one report (targets are judged in targets.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Backend, backendOf } from '../../db/url.js';
import type { SourceName } from '../config.js';
import type { RunMode } from '../sync/types.js';
import { type ChurnRound, type EventCounts, dialog360Churn, digital99Churn, eventMismatches, metaChurn, metaNewWabas, sumCounts } from './churn.js';
import { type BenchUpstreams, type CallCounts, type FleetSize, callsBetween, scaledFleet, startUpstreams, totalCalls } from './fleet.js';
import { type CallMinimum, dialog360Minimum, digital99Minimum, latencyFloorMs, metaFullMinimum, metaIncrementalMinimum } from './limits.js';
import type { DbSizeReply, RawInsertReply, ReadFloorReply, RecordedRequest, SyncReply } from './protocol.js';
import { SyncWorker } from './worker-client.js';
import { BENCH_APP_SECRET, type WebhookMeasure, benchWebhooks } from './webhooks.js';
import { type ConsoleMeasure, benchConsole } from './console.js';
import { BENCH_DELIVERY_SECRET, type BenchReceiver, type DeliveryMeasure, awaitDeliveries, measureDeliveries, startBenchReceiver } from './delivery.js';

/** The sources, in the order the report lists them. */
export const BENCH_SOURCES: readonly SourceName[] = ['meta', 'digital99', 'dialog360'];

/**
 * The order the bench pulls them in, one after another so that each wall time is its own: the
 * order they end in when the daemon pulls them side by side (jobs/sync.ts) — the two quick lists,
 * then Meta's long walk. So what runs during each pull's event deliveries is what runs during them
 * in the daemon: the small bursts of the quick sources leave while a later pull runs, Meta's burst
 * after every pull has ended (meta first had its burst compete with two pulls the daemon would
 * have finished long before).
 */
const PULL_ORDER: readonly SourceName[] = ['digital99', 'dialog360', 'meta'];

/** Pulls made in PULL_ORDER, listed in BENCH_SOURCES' order. */
function listed(pulls: readonly PullMeasure[]): PullMeasure[] {
  return [...pulls].sort((a, b) => BENCH_SOURCES.indexOf(a.source) - BENCH_SOURCES.indexOf(b.source));
}

export interface BenchOptions {
  readonly scale: number;
  readonly latencyMs: number;
  /** META_CONCURRENCY and DIALOG360_CONCURRENCY. */
  readonly concurrency: number;
  readonly churnRuns: number;
  /** Share of each fleet changed per churn run (0.005 = 0.5 %). */
  readonly churnShare: number;
  /** New client WABAs before the incremental Meta pull. */
  readonly newWabas: number;
  /** Signed Meta webhook deliveries in the webhook phase (0: none), sent at `webhookRate` per second. */
  readonly webhookDeliveries: number;
  readonly webhookRate: number;
  /** Requests per console page in the console phase (0: none). */
  readonly consoleSamples?: number;
  /** Deliver every event to a loopback subscriber while the churn runs (default true). */
  readonly eventDelivery?: boolean;
  /** EVENT_WEBHOOK_CONCURRENCY of the bench subscriber (default 1, as in production). */
  readonly deliveryConcurrency?: number;
  /** Write a CPU profile of the sync worker into this directory. */
  readonly cpuProfileDir?: string;
  /** Lines of progress (stderr). */
  readonly progress?: (line: string) => void;
  /** A PostgreSQL database of the run's own (see postgres.ts); unset: a SQLite file in a temporary folder. */
  readonly databaseUrl?: string;
  /** How the report names that database (its password masked). */
  readonly databaseLabel?: string;
}

export interface PullMeasure {
  readonly source: SourceName;
  readonly mode: RunMode;
  readonly outcome: 'complete' | 'failed';
  readonly error?: string;
  readonly wallMs: number;
  /** Staging pages plus the commit transaction: storing and diffing, network wait excluded. */
  readonly storeMs: number;
  readonly stageMs: number;
  readonly commitMs: number;
  /**
   * Parsing, validating, canonical JSON and hashing done on the page thread (Meta, 360dialog) —
   * off the pull's thread and outside `storeMs`, shown so the work moved there stays in sight.
   */
  readonly pageThreadMs: number;
  readonly entities: number;
  /** Requests the simulator received for this pull, per endpoint. */
  readonly calls: CallCounts;
  readonly apiCalls: number;
  readonly minimum: CallMinimum;
  readonly concurrency: number;
  readonly latencyFloorMs: number;
  readonly events: number;
  readonly eventTypes: EventCounts;
  /** Null where nothing is expected (the baseline: one sync.baseline event). */
  readonly expectedEvents: EventCounts | null;
  readonly mismatches: readonly string[];
  /** Rows the raw insert wrote and how long it took (the same rows this pull stored). */
  readonly raw: RawInsertReply | null;
  /**
   * The same requests sent again at `concurrency`, each answer JSON.parse'd, nothing else (see
   * read-floor.ts); null when the replay failed, with `readFloorError` saying why.
   */
  readonly readFloor: ReadFloorReply | null;
  readonly readFloorError?: string;
  /** Share of the time the simulators' process was busy during the pull (1 = the simulators were the bottleneck). */
  readonly simulatorBusy: number;
  readonly simulatorHandlerMs: number;
  /** The worker's peak RSS so far, after this pull (MB): a rise shows which pull needed the memory. */
  readonly maxRssMb: number;
}

export interface ChurnMeasure {
  readonly run: number;
  readonly operations: Record<SourceName, Record<string, number>>;
  readonly pulls: readonly PullMeasure[];
  readonly db: DbSizeReply;
}

export interface BenchReport {
  readonly date: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string; readonly platform: string };
  readonly options: Omit<BenchOptions, 'progress' | 'cpuProfileDir' | 'databaseUrl' | 'databaseLabel'>;
  readonly database: { readonly backend: Backend; readonly label: string };
  readonly fleet: FleetSize;
  readonly seedMs: number;
  readonly baseline: {
    readonly pulls: readonly PullMeasure[];
    readonly peakRssMb: number;
    /** The worker's RSS with the app open, before any pull: Node, tsx and the modules. */
    readonly rssBeforeMb: number;
    readonly db: DbSizeReply;
    readonly wallMs: number;
  };
  readonly churn: readonly ChurnMeasure[];
  readonly incremental: PullMeasure;
  /** Null when the run sent no webhooks. */
  readonly webhooks: WebhookMeasure | null;
  /** Null when the run skipped the console phase. */
  readonly console: ConsoleMeasure | null;
  /** The churn runs' events delivered to a loopback subscriber; null with --no-delivery. */
  readonly delivery: DeliveryMeasure | null;
  readonly totalMs: number;
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const say = options.progress ?? (() => undefined);
  const began = performance.now();
  const fleet = scaledFleet(options.scale);
  const dir = mkdtempSync(join(tmpdir(), 'waba-sync-bench-'));
  const databaseUrl = options.databaseUrl ?? join(dir, 'bench.sqlite');
  const backend = backendOf(databaseUrl);
  say(`seeding ${fleet.metaWabas} Meta client WABAs, ${fleet.digital99Onboardings} 99digital onboardings, ${fleet.dialog360Channels} 360dialog channels`);
  const seedStarted = performance.now();
  const upstreams = await startUpstreams(fleet, options.latencyMs);
  const seedMs = performance.now() - seedStarted;
  const worker = SyncWorker.start({ cpuProfileDir: options.cpuProfileDir });
  const receiver: BenchReceiver | null = options.eventDelivery === false ? null : await startBenchReceiver();
  try {
    const opened = await worker.request<{ maxRssMb: number }>({
      op: 'open',
      env: {
        ...upstreams.env,
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: 'warn',
        FINGERPRINT_SECRET: 'bench-fingerprint-secret',
        HTTP_TIMEOUT_MS: '120000',
        // The largest pages each upstream serves: the fewest calls.
        META_PAGE_SIZE: String(upstreams.meta.maxLimit),
        DIALOG360_PAGE_SIZE: String(upstreams.dialog360.maxLimit),
        META_CONCURRENCY: String(options.concurrency),
        DIALOG360_CONCURRENCY: String(options.concurrency),
        // The webhook phase's intake (started only for it, on a free loopback port).
        WEBHOOK_PORT: '0',
        META_APP_SECRET: BENCH_APP_SECRET,
        META_WEBHOOK_VERIFY_TOKEN: 'bench-verify-token',
        ...(receiver ? { EVENT_WEBHOOK_BENCH_URL: receiver.url, EVENT_WEBHOOK_BENCH_SECRET: BENCH_DELIVERY_SECRET, EVENT_WEBHOOK_CONCURRENCY: String(options.deliveryConcurrency ?? 1) } : {}),
      },
    });
    if (receiver) await worker.request({ op: 'startDelivery' });
    let digital99HasToken = false;
    const pull = async (source: SourceName, mode: RunMode, expected: EventCounts | null, given?: CallMinimum): Promise<PullMeasure> => {
      const minimum =
        given ??
        (source === 'meta'
          ? metaFullMinimum(upstreams)
          : source === 'digital99'
            ? digital99Minimum(!digital99HasToken)
            : dialog360Minimum(upstreams));
      // 99digital's client reads its two lists one after the other; the others are configured.
      const concurrency = source === 'digital99' ? 1 : options.concurrency;
      const callsBefore = { ...upstreams.calls(source) };
      const handlerBefore = upstreams.handlerMs(source);
      const recording = upstreams.record(source);
      const elu = performance.eventLoopUtilization();
      const reply = await worker.request<SyncReply>({ op: 'sync', source, mode }).finally(() => recorded.set(source, recording.stop()));
      const busy = performance.eventLoopUtilization(elu).utilization;
      if (source === 'digital99') digital99HasToken = true;
      const calls = callsBetween(callsBefore, upstreams.calls(source));
      const measure: PullMeasure = {
        source,
        mode,
        outcome: reply.outcome,
        ...(reply.error ? { error: reply.error } : {}),
        wallMs: reply.wallMs,
        storeMs: reply.stageMs + reply.commitMs,
        stageMs: reply.stageMs,
        commitMs: reply.commitMs,
        pageThreadMs: reply.pageThreadMs,
        entities: reply.entities,
        calls,
        apiCalls: totalCalls(calls),
        minimum,
        concurrency,
        latencyFloorMs: latencyFloorMs(minimum.total, concurrency, options.latencyMs),
        events: reply.events,
        eventTypes: reply.eventTypes,
        expectedEvents: expected,
        mismatches: [
          ...(reply.outcome === 'complete' ? [] : [`the pull failed: ${reply.error}`]),
          ...(expected ? eventMismatches(expected, reply.eventTypes) : []),
        ],
        raw: null,
        readFloor: null,
        simulatorBusy: busy,
        simulatorHandlerMs: upstreams.handlerMs(source) - handlerBefore,
        maxRssMb: reply.maxRssMb,
      };
      lastRss = reply.maxRssMb;
      say(
        `${source} ${mode}: ${(reply.wallMs / 1000).toFixed(2)} s, ${measure.apiCalls} calls, ${reply.entities} entities, ${reply.events} events` +
          (expected ? ` (expected ${sumCounts(expected)})` : '') +
          (measure.mismatches.length > 0 ? ` — MISMATCH: ${measure.mismatches.join('; ')}` : ''),
      );
      return measure;
    };
    let lastRss = 0;
    /** Each source's requests in its last pull, replayed by withReadFloor. */
    const recorded = new Map<SourceName, RecordedRequest[]>();
    /**
     * The read floor of each pull, replayed while the simulators still hold the data the pull read
     * (before the next churn or webhooks change it) and outside every pull's timing and call counts
     * (the fakes count the replayed requests too, but between pulls, where no pull's counts look).
     */
    const withReadFloor = async (measures: PullMeasure[]): Promise<PullMeasure[]> => {
      const out: PullMeasure[] = [];
      for (const measure of measures) {
        const requests = recorded.get(measure.source) ?? [];
        recorded.delete(measure.source);
        try {
          out.push({ ...measure, readFloor: await worker.request<ReadFloorReply>({ op: 'readFloor', source: measure.source, requests, concurrency: measure.concurrency }) });
        } catch (error) {
          const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
          say(`${measure.source} ${measure.mode}: read floor not measured — ${message}`);
          out.push({ ...measure, readFloorError: message });
        }
      }
      return out;
    };
    const withRaw = async (measures: PullMeasure[]): Promise<PullMeasure[]> => {
      const out: PullMeasure[] = [];
      for (const measure of measures) {
        // The raw-insert limit is SQLite's; PostgreSQL is held to SQLite's storing instead (targets.ts).
        if (backend !== 'sqlite') {
          out.push(measure);
          continue;
        }
        out.push({ ...measure, raw: await worker.request<RawInsertReply>({ op: 'rawInsert', source: measure.source, dir }) });
      }
      return out;
    };

    // 1. Baseline: each source on its own, so each wall time is its own.
    say('1. baseline full sync');
    const baselineStarted = performance.now();
    const baselinePulls: PullMeasure[] = [];
    for (const source of PULL_ORDER) baselinePulls.push(await pull(source, 'full', null));
    const baselineWallMs = performance.now() - baselineStarted;
    // Read before the raw inserts, which hold their rows in memory.
    const peakRssMb = lastRss;
    const baselineDb = await worker.request<DbSizeReply>({ op: 'dbSize' });
    const baseline = { pulls: await withRaw(await withReadFloor(listed(baselinePulls))), peakRssMb, rssBeforeMb: opened.maxRssMb, db: baselineDb, wallMs: baselineWallMs };

    // 2. Churn rounds.
    const churn: ChurnMeasure[] = [];
    const deliveryRounds: number[][] = [];
    for (let run = 1; run <= options.churnRuns; run++) {
      const lastBefore = receiver ? await worker.request<number>({ op: 'lastEventId' }) : 0;
      say(`2. churn run ${run}/${options.churnRuns}`);
      const rounds: Record<SourceName, ChurnRound> = {
        meta: metaChurn(upstreams.meta, options.churnShare, 1000 + run),
        digital99: digital99Churn(upstreams.digital99, options.churnShare, 2000 + run),
        dialog360: dialog360Churn(upstreams.dialog360, options.churnShare, 3000 + run),
      };
      const pulls: PullMeasure[] = [];
      for (const source of PULL_ORDER) pulls.push(await pull(source, 'full', rounds[source].expected));
      if (receiver) {
        // Delivered while the pulls ran and just after; waited for here, outside every pull's timing.
        const ids = await worker.request<number[]>({ op: 'eventIdsAfter', after: lastBefore });
        await awaitDeliveries(receiver, ids, 120_000);
        deliveryRounds.push(ids);
      }
      churn.push({
        run,
        operations: { meta: rounds.meta.operations, digital99: rounds.digital99.operations, dialog360: rounds.dialog360.operations },
        pulls: await withRaw(await withReadFloor(listed(pulls))),
        db: await worker.request<DbSizeReply>({ op: 'dbSize' }),
      });
    }

    // 3. Incremental Meta pull after new WABAs were shared.
    say(`3. incremental Meta sync with ${options.newWabas} new WABAs`);
    const since = metaSince(upstreams);
    const added = metaNewWabas(upstreams.meta, options.newWabas);
    const incremental = (await withReadFloor([await pull('meta', 'incremental', added.expected, metaIncrementalMinimum(upstreams, since))]))[0]!;

    // 4. Webhooks against the whole fleet.
    const delivery = receiver ? measureDeliveries(receiver, deliveryRounds) : null;
    if (delivery) say(`event delivery: ${delivery.delivered}/${delivery.events} churn events at ${delivery.perSecond}/s, lag p99 ${delivery.p99Ms} ms`);
    const webhooks = options.webhookDeliveries > 0 ? await benchWebhooks(upstreams.meta, worker, { deliveries: options.webhookDeliveries, ratePerSecond: options.webhookRate, say }) : null;

    // 5. The console's pages on this database, history and all.
    const consoleMeasure = (options.consoleSamples ?? 0) > 0 ? await benchConsole(databaseUrl, { samples: options.consoleSamples!, say }) : null;

    return {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform} ${process.arch}` },
      options: {
        scale: options.scale,
        latencyMs: options.latencyMs,
        concurrency: options.concurrency,
        churnRuns: options.churnRuns,
        churnShare: options.churnShare,
        newWabas: options.newWabas,
        webhookDeliveries: options.webhookDeliveries,
        webhookRate: options.webhookRate,
        consoleSamples: options.consoleSamples ?? 0,
        eventDelivery: receiver !== null,
        deliveryConcurrency: options.deliveryConcurrency ?? 1,
      },
      database: { backend, label: options.databaseLabel ?? (backend === 'sqlite' ? 'SQLite, a file in a temporary folder' : 'PostgreSQL') },
      fleet,
      seedMs,
      baseline,
      churn,
      incremental,
      webhooks,
      console: consoleMeasure,
      delivery,
      totalMs: performance.now() - began,
    };
  } finally {
    await worker.stop();
    await receiver?.close();
    await upstreams.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Where the incremental pull starts reading: the newest creation_time the last complete pull saw
 * (the world as the last full pull read it) minus the default lookback, one day.
 */
function metaSince(upstreams: BenchUpstreams): number {
  return upstreams.meta.clients.items.reduce((max, waba) => Math.max(max, waba.creation_time), 0) - 86_400;
}
