/**
 * The targets, judged on a report. Each is judged on the worst pull it names (full pulls:
 * baseline and churn syncs alike; churn pulls; baselines): a target met only on average is not met.
 */
import type { SourceName } from '../config.js';
import { sumCounts } from './churn.js';
import { BENCH_SOURCES, type BenchReport, type PullMeasure } from './run.js';

export interface TargetResult {
  readonly target: string;
  readonly source: SourceName | null;
  /** What was measured, in words and units. */
  readonly measured: string;
  /** The limit it is held to. */
  readonly limit: string;
  /** measured ÷ allowed reference, where the target is a ratio. */
  readonly ratio: number | null;
  readonly allowed: number;
  /** null: could not be judged (e.g. latency 0 leaves no latency floor). */
  readonly pass: boolean | null;
}

export const TARGETS = {
  callsPerMinimum: 1.05,
  wallPerFloor: 1.5,
  /** Issue 20: a Meta churn pull waits on the network, not on itself. */
  metaChurnWallPerReadFloor: 1.3,
  metaChurnWallPerFloor: 1.5,
  metaBaselineWallPerFloor: 2,
  storePerRaw: 2,
  baselineStorePerSameSchema: 1.5,
  peakRssMb: 250,
  dbGrowth: 1.15,
  webhookP99Ms: 1000,
  graphCallsPerDelivery: 2,
  consolePageP95Ms: 100,
  deliveryLagP99Ms: 1000,
} as const;

export function fullPulls(report: BenchReport, source: SourceName): PullMeasure[] {
  return [...report.baseline.pulls, ...report.churn.flatMap((round) => round.pulls)].filter((pull) => pull.source === source);
}

export function churnPulls(report: BenchReport, source: SourceName): PullMeasure[] {
  return report.churn.flatMap((round) => round.pulls).filter((pull) => pull.source === source);
}

/** Wall time ÷ latency floor; null at latency 0, where there is no floor. */
export const wallPerLatencyFloor = (pull: PullMeasure) => (pull.latencyFloorMs > 0 ? pull.wallMs / pull.latencyFloorMs : null);
/** Wall time ÷ read floor; null where the read floor was not measured. */
export const wallPerReadFloor = (pull: PullMeasure) => (pull.readFloor && pull.readFloor.ms > 0 ? pull.wallMs / pull.readFloor.ms : null);

/** The pull with the highest ratio. */
function worst(pulls: PullMeasure[], ratio: (pull: PullMeasure) => number | null): { pull: PullMeasure; ratio: number } | null {
  let found: { pull: PullMeasure; ratio: number } | null = null;
  for (const pull of pulls) {
    const value = ratio(pull);
    if (value !== null && (found === null || value > found.ratio)) found = { pull, ratio: value };
  }
  return found;
}

export function phaseOf(report: BenchReport, pull: PullMeasure): string {
  if (report.baseline.pulls.includes(pull)) return 'baseline';
  const round = report.churn.find((r) => r.pulls.includes(pull));
  return round ? `churn ${round.run}` : pull.mode;
}

/**
 * `sqlite`: the SQLite report of the same invocation (`--database both`), which a PostgreSQL
 * report's storing is held to, pull by pull; without it that target is not judged.
 */
export function judgeTargets(report: BenchReport, sqlite?: BenchReport): TargetResult[] {
  const results: TargetResult[] = [];
  const judge = (ratio: number | null, allowed: number) => (ratio === null ? null : ratio <= allowed);

  for (const source of BENCH_SOURCES) {
    const pulls = fullPulls(report, source);
    const calls = worst(pulls, (p) => p.apiCalls / p.minimum.total);
    results.push({
      target: 'API calls ≤ 1.05 × minimum',
      source,
      measured: calls ? `${calls.pull.apiCalls} calls vs ${calls.pull.minimum.total} (${phaseOf(report, calls.pull)})` : 'no pull',
      limit: `≤ ${TARGETS.callsPerMinimum} ×`,
      ratio: calls?.ratio ?? null,
      allowed: TARGETS.callsPerMinimum,
      pass: judge(calls?.ratio ?? null, TARGETS.callsPerMinimum),
    });
  }
  results.push(...metaWallTargets(report));
  // Issue 20's Meta targets (above) replace this one for Meta; the others are still held to it.
  for (const source of BENCH_SOURCES.filter((name) => name !== 'meta')) {
    const wall = worst(fullPulls(report, source), wallPerLatencyFloor);
    results.push({
      target: 'full pull wall time ≤ 1.5 × latency floor',
      source,
      measured: wall ? `${seconds(wall.pull.wallMs)} vs ${seconds(wall.pull.latencyFloorMs)} (${phaseOf(report, wall.pull)})` : 'no latency floor at latency 0',
      limit: `≤ ${TARGETS.wallPerFloor} ×`,
      ratio: wall?.ratio ?? null,
      allowed: TARGETS.wallPerFloor,
      pass: judge(wall?.ratio ?? null, TARGETS.wallPerFloor),
    });
  }
  for (const source of BENCH_SOURCES) {
    if (report.database.backend === 'postgres') {
      results.push(storeAgainstSqlite(report, sqlite, source));
      continue;
    }
    // Baselines are held to the same-schema insert (below); a churn pull to the bare keyed insert.
    const store = worst(churnPulls(report, source), (p) => (p.raw && p.raw.ms > 0 ? p.storeMs / p.raw.ms : null));
    results.push({
      target: 'churn-pull storing ≤ 2 × raw insert',
      source,
      measured: store ? `${seconds(store.pull.storeMs)} vs ${seconds(store.pull.raw!.ms)} for ${store.pull.raw!.rows} rows (${phaseOf(report, store.pull)})` : report.churn.length === 0 ? 'no churn pulls' : 'not measured',
      limit: `≤ ${TARGETS.storePerRaw} ×`,
      ratio: store?.ratio ?? null,
      allowed: TARGETS.storePerRaw,
      pass: judge(store?.ratio ?? null, TARGETS.storePerRaw),
    });
  }
  if (report.database.backend === 'sqlite') {
    for (const pull of report.baseline.pulls) {
      const same = pull.raw?.sameSchemaMs;
      const ratio = same && same > 0 ? pull.storeMs / same : null;
      results.push({
        target: 'baseline storing ≤ 1.5 × same-schema insert',
        source: pull.source,
        measured: same ? `${seconds(pull.storeMs)} vs ${seconds(same)} for ${pull.raw!.rows} rows into entity_version's columns and indexes` : 'not measured',
        limit: `≤ ${TARGETS.baselineStorePerSameSchema} ×`,
        ratio,
        allowed: TARGETS.baselineStorePerSameSchema,
        pass: judge(ratio, TARGETS.baselineStorePerSameSchema),
      });
    }
  }
  results.push({
    target: 'peak RSS of the baseline sync ≤ 250 MB',
    source: null,
    measured: `${report.baseline.peakRssMb.toFixed(0)} MB`,
    limit: `≤ ${TARGETS.peakRssMb} MB`,
    ratio: report.baseline.peakRssMb / TARGETS.peakRssMb,
    allowed: 1,
    pass: report.baseline.peakRssMb <= TARGETS.peakRssMb,
  });
  const last = report.churn.at(-1);
  const growth = last ? last.db.bytes / report.baseline.db.bytes : null;
  results.push({
    target: `database after ${report.churn.length} churn syncs ≤ 1.15 × baseline`,
    source: null,
    measured: last
      ? `${megabytes(last.db.bytes)} vs ${megabytes(report.baseline.db.bytes)}${report.database.backend === 'postgres' ? ' (pg_total_relation_size of our tables)' : ''}`
      : 'no churn runs',
    limit: `≤ ${TARGETS.dbGrowth} ×`,
    ratio: growth,
    allowed: TARGETS.dbGrowth,
    pass: judge(growth, TARGETS.dbGrowth),
  });
  const checked = [...report.churn.flatMap((round) => round.pulls), report.incremental];
  const mismatched = checked.filter((pull) => pull.mismatches.length > 0);
  const expected = checked.reduce((sum, pull) => sum + sumCounts(pull.expectedEvents ?? {}), 0);
  const emitted = checked.reduce((sum, pull) => sum + pull.events, 0);
  results.push({
    target: 'events = churn applied, exactly, in every run',
    source: null,
    measured: `${emitted} emitted, ${expected} expected over ${checked.length} pulls; ${mismatched.length} pull(s) differ`,
    limit: 'equal',
    ratio: expected > 0 ? emitted / expected : null,
    allowed: 1,
    pass: mismatched.length === 0,
  });
  if (report.webhooks) results.push(...webhookTargets(report.webhooks));
  for (const page of report.console?.pages ?? []) {
    results.push({
      target: `console page p95 ≤ ${TARGETS.consolePageP95Ms} ms: ${page.page}`,
      source: null,
      measured: `p95 ${page.p95Ms} ms (p50 ${page.p50Ms} ms, max ${page.maxMs} ms) over ${page.samples} requests`,
      limit: `≤ ${TARGETS.consolePageP95Ms} ms`,
      ratio: page.p95Ms / TARGETS.consolePageP95Ms,
      allowed: 1,
      pass: page.p95Ms <= TARGETS.consolePageP95Ms,
    });
  }
  if (report.delivery) results.push(deliveryTarget(report.delivery));
  return results;
}

function webhookTargets(w: NonNullable<BenchReport['webhooks']>): TargetResult[] {
  return [
    {
      target: 'webhook delivery → event p99 ≤ 1 s',
      source: 'meta',
      measured: `p99 ${w.p99Ms} ms (p50 ${w.p50Ms} ms) over ${w.deliveries} deliveries at ${w.ratePerSecond}/s`,
      limit: `≤ ${TARGETS.webhookP99Ms} ms`,
      ratio: w.p99Ms / TARGETS.webhookP99Ms,
      allowed: 1,
      pass: Number.isFinite(w.p99Ms) ? w.p99Ms <= TARGETS.webhookP99Ms : false,
    },
    {
      target: 'Graph calls per WABA-scoped delivery ≤ 2',
      source: 'meta',
      measured: `${w.graphCalls} calls for ${w.deliveries} deliveries`,
      limit: `≤ ${TARGETS.graphCallsPerDelivery}`,
      ratio: w.callsPerDelivery / TARGETS.graphCallsPerDelivery,
      allowed: 1,
      pass: w.callsPerDelivery <= TARGETS.graphCallsPerDelivery,
    },
    {
      target: 'webhook events: none lost or repeated',
      source: 'meta',
      measured: `${w.events} written, ${w.expectedEvents} expected; ${w.lost.length} lost, ${w.repeated.length} repeated`,
      limit: '0 lost, 0 repeated',
      ratio: null,
      allowed: 0,
      pass: w.lost.length === 0 && w.repeated.length === 0 && w.events === w.expectedEvents,
    },
  ];
}

/** Issue 20: a Meta churn pull against the read floor and the latency floor, a Meta baseline against the latency floor. */
function metaWallTargets(report: BenchReport): TargetResult[] {
  const churned = churnPulls(report, 'meta');
  const baseline = report.baseline.pulls.filter((pull) => pull.source === 'meta');
  const noChurn = report.churn.length === 0 ? 'no churn pulls' : null;
  const read = worst(churned, wallPerReadFloor);
  const churnFloor = worst(churned, wallPerLatencyFloor);
  const baseFloor = worst(baseline, wallPerLatencyFloor);
  const latencyMeasured = (found: { pull: PullMeasure } | null, none: string) =>
    found ? `${seconds(found.pull.wallMs)} vs ${seconds(found.pull.latencyFloorMs)} (${phaseOf(report, found.pull)})` : none;
  const ratioTarget = (target: string, found: { pull: PullMeasure; ratio: number } | null, measured: string, allowed: number): TargetResult => ({
    target,
    source: 'meta',
    measured,
    limit: `≤ ${allowed} ×`,
    ratio: found?.ratio ?? null,
    allowed,
    pass: found ? found.ratio <= allowed : null,
  });
  return [
    ratioTarget(
      'Meta churn pull wall ≤ 1.3 × read floor',
      read,
      read ? `${seconds(read.pull.wallMs)} vs ${seconds(read.pull.readFloor!.ms)} for ${read.pull.readFloor!.requests} requests (${phaseOf(report, read.pull)})` : (noChurn ?? 'read floor not measured'),
      TARGETS.metaChurnWallPerReadFloor,
    ),
    ratioTarget('Meta churn pull wall ≤ 1.5 × latency floor', churnFloor, latencyMeasured(churnFloor, noChurn ?? 'no latency floor at latency 0'), TARGETS.metaChurnWallPerFloor),
    ratioTarget('Meta baseline wall ≤ 2 × latency floor', baseFloor, latencyMeasured(baseFloor, 'no latency floor at latency 0'), TARGETS.metaBaselineWallPerFloor),
  ];
}

/** Outgoing event delivery (issue 19): the churn runs' events at the subscriber within a second. */
function deliveryTarget(d: NonNullable<BenchReport['delivery']>): TargetResult {
  return {
    target: 'event → subscriber delivery lag p99 ≤ 1 s (churn runs)',
    source: null,
    measured: `p99 ${d.p99Ms} ms (p50 ${d.p50Ms} ms) over ${d.delivered} of ${d.events} events at ${d.perSecond}/s; ${d.lost} lost, ${d.repeated} repeated`,
    limit: `≤ ${TARGETS.deliveryLagP99Ms} ms, none lost`,
    ratio: d.p99Ms / TARGETS.deliveryLagP99Ms,
    allowed: 1,
    pass: d.lost === 0 && d.p99Ms <= TARGETS.deliveryLagP99Ms,
  };
}

/** PostgreSQL: each pull's storing (staging + commit) against the same pull's on SQLite in the same invocation. */
function storeAgainstSqlite(report: BenchReport, sqlite: BenchReport | undefined, source: SourceName): TargetResult {
  const target = 'storing + diffing ≤ 2 × SQLite storing the same pull';
  if (!sqlite) {
    return { target, source, measured: 'not measured: run with --database both', limit: `≤ ${TARGETS.storePerRaw} ×`, ratio: null, allowed: TARGETS.storePerRaw, pass: null };
  }
  const ours = [...fullPulls(report, source), ...(source === 'meta' ? [report.incremental] : [])];
  const theirs = [...fullPulls(sqlite, source), ...(source === 'meta' ? [sqlite.incremental] : [])];
  const pairs = new Map(ours.map((pull, index) => [pull, theirs[index]]));
  const store = worst(ours, (p) => {
    const other = pairs.get(p);
    return other && other.storeMs > 0 ? p.storeMs / other.storeMs : null;
  });
  return {
    target,
    source,
    measured: store ? `${seconds(store.pull.storeMs)} vs ${seconds(pairs.get(store.pull)!.storeMs)} on SQLite (${phaseOf(report, store.pull)})` : 'not measured',
    limit: `≤ ${TARGETS.storePerRaw} ×`,
    ratio: store?.ratio ?? null,
    allowed: TARGETS.storePerRaw,
    pass: store ? store.ratio <= TARGETS.storePerRaw : null,
  };
}

/** The run is correct when every pull completed and every event count matched. */
export function eventsChecked(report: BenchReport): boolean {
  const pulls = [...report.baseline.pulls, ...report.churn.flatMap((round) => round.pulls), report.incremental];
  const webhooks = report.webhooks;
  const webhooksExact = !webhooks || (webhooks.lost.length === 0 && webhooks.repeated.length === 0 && webhooks.events === webhooks.expectedEvents);
  const deliveredAll = !report.delivery || report.delivery.lost === 0;
  return webhooksExact && deliveredAll && pulls.every((pull) => pull.outcome === 'complete' && pull.mismatches.length === 0);
}

export function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
