/** The benchmark report as text tables, one section per step of the run, then the targets. */
import { textTable } from '../render/text-table.js';
import { sumCounts } from './churn.js';
import { BENCH_SOURCES, type BenchReport, type PullMeasure } from './run.js';
import { type TargetResult, fullPulls, megabytes, seconds, wallPerLatencyFloor, wallPerReadFloor } from './targets.js';

const ratio = (value: number | null) => (value === null || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(2)}×`);
const percent = (value: number) => `${(value * 100).toFixed(0)} %`;
const endpoints = (pull: PullMeasure) =>
  Object.entries(pull.calls)
    .map(([endpoint, n]) => `${endpoint} ${n}`)
    .join(', ');
const readFloor = (pull: PullMeasure) => (pull.readFloor ? seconds(pull.readFloor.ms) : 'n/a');
const rawRatio = (pull: PullMeasure) => (pull.raw && pull.raw.ms > 0 ? pull.storeMs / pull.raw.ms : null);

export function renderReport(report: BenchReport, targets: readonly TargetResult[]): string {
  const { options, fleet, machine } = report;
  const lines: string[] = [];
  const add = (text = '') => lines.push(text);

  add(`waba-sync bench — ${report.date}, ${machine.cpus} cores (${machine.cpuModel}), Node ${machine.node}, ${machine.platform}`);
  add(
    `scale ${options.scale}: ${fleet.metaWabas} Meta client WABAs (1 number each) + ${fleet.metaOwned} owned, ` +
      `${fleet.digital99Onboardings} 99digital onboardings / ${fleet.digital99Numbers} numbers, ` +
      `${fleet.dialog360Clients} 360dialog clients / ${fleet.dialog360Channels} channels`,
  );
  if (report.database.backend === 'postgres') add(`database: ${report.database.label}`);
  add(`latency ${options.latencyMs} ms per request, concurrency ${options.concurrency}, ${options.churnRuns} churn runs of ${(options.churnShare * 100).toFixed(2)} %; seeding took ${seconds(report.seedMs)}, the whole run ${seconds(report.totalMs)}`);

  add('\n1. Baseline full sync (sources one after another, syncs in a worker process)');
  add(
    textTable(
      ['SOURCE', 'WALL', 'STORE', 'PAGE THREAD', 'ENTITIES', 'API CALLS', 'SIM BUSY', 'PEAK RSS SO FAR', 'CALLS PER ENDPOINT'],
      report.baseline.pulls.map((p) => [
        p.source,
        seconds(p.wallMs),
        seconds(p.storeMs),
        seconds(p.pageThreadMs),
        String(p.entities),
        String(p.apiCalls),
        percent(p.simulatorBusy),
        `${p.maxRssMb.toFixed(0)} MB`,
        endpoints(p),
      ]),
    ),
  );
  add(
    `baseline: ${seconds(report.baseline.wallMs)} in all; peak RSS of the sync worker ${report.baseline.peakRssMb.toFixed(0)} MB (${report.baseline.rssBeforeMb.toFixed(0)} MB before the first pull); database ${megabytes(report.baseline.db.bytes)} (${
      report.database.backend === 'postgres' ? 'pg_total_relation_size of our tables' : `file + WAL after a checkpoint, ${report.baseline.db.freePages} free pages`
    })`,
  );

  add(`\n2. Full syncs after ${(options.churnShare * 100).toFixed(2)} % churn each`);
  add(
    textTable(
      ['RUN', 'SOURCE', 'WALL', 'STORE', 'PAGE THREAD', 'API CALLS', 'CHURN OPS', 'EVENTS EXPECTED', 'EMITTED', 'CHECK', 'DATABASE'],
      report.churn.flatMap((round) =>
        round.pulls.map((p, index) => [
          String(round.run),
          p.source,
          seconds(p.wallMs),
          seconds(p.storeMs),
          seconds(p.pageThreadMs),
          String(p.apiCalls),
          String(sumCounts(round.operations[p.source])),
          String(sumCounts(p.expectedEvents ?? {})),
          String(p.events),
          p.mismatches.length === 0 ? 'ok' : `MISMATCH: ${p.mismatches.join('; ')}`,
          index === round.pulls.length - 1 ? `${megabytes(round.db.bytes)} (${ratio(round.db.bytes / report.baseline.db.bytes)})` : '',
        ]),
      ),
    ),
  );

  const d = report.delivery;
  if (d) {
    add(
      `event delivery to a loopback subscriber (signed webhooks, dispatcher on its own thread in the sync worker, ${options.deliveryConcurrency ?? 1} in flight): ${d.delivered} of ${d.events} churn events, ` +
        `${d.perSecond} deliveries/s while they flowed, lag event → subscriber p50 ${d.p50Ms} ms, p99 ${d.p99Ms} ms, max ${d.maxMs} ms; ${d.lost} lost, ${d.repeated} repeated`,
    );
  }

  const inc = report.incremental;
  add(`\n3. Incremental Meta sync after ${options.newWabas} new client WABAs`);
  add(
    textTable(
      ['WALL', 'STORE', 'ENTITIES READ', 'API CALLS', 'MINIMUM', 'LATENCY FLOOR', 'READ FLOOR', 'EVENTS EXPECTED', 'EMITTED', 'CHECK'],
      [
        [
          seconds(inc.wallMs),
          seconds(inc.storeMs),
          String(inc.entities),
          String(inc.apiCalls),
          String(inc.minimum.total),
          seconds(inc.latencyFloorMs),
          readFloor(inc),
          String(sumCounts(inc.expectedEvents ?? {})),
          String(inc.events),
          inc.mismatches.length === 0 ? 'ok' : `MISMATCH: ${inc.mismatches.join('; ')}`,
        ],
      ],
    ),
  );

  const w = report.webhooks;
  if (w) {
    add(`\n4. Webhooks: ${w.deliveries} signed Meta deliveries at ${w.ratePerSecond}/s (one in ten a new WABA, the rest review decisions)`);
    add(
      textTable(
        ['P50', 'P99', 'MAX', 'GRAPH CALLS', 'PER DELIVERY', 'EVENTS EXPECTED', 'WRITTEN', 'LOST', 'REPEATED', 'RETRIED'],
        [[`${w.p50Ms} ms`, `${w.p99Ms} ms`, `${w.maxMs} ms`, String(w.graphCalls), w.callsPerDelivery.toFixed(2), String(w.expectedEvents), String(w.events), String(w.lost.length), String(w.repeated.length), String(w.retried)]],
      ),
    );
  }

  const c = report.console;
  let step = w ? 5 : 4;
  if (c) {
    add(`\n${step++}. Web console: server time per page (${c.events} events, ${c.entityVersions} entity versions; the search index built in ${c.indexBuildMs} ms on the first search)`);
    add(textTable(['PAGE', 'REQUESTS', 'P50', 'P95', 'MAX'], c.pages.map((p) => [p.page, String(p.samples), `${p.p50Ms} ms`, `${p.p95Ms} ms`, `${p.maxMs} ms`])));
  }

  add(`\n${step}. Limits measured in this run, and ours against them (baseline / worst churn sync)`);
  add(
    textTable(
      ['SOURCE', 'MIN CALLS', 'LATENCY FLOOR', 'READ FLOOR', 'RAW INSERT', 'SAME-SCHEMA INSERT', 'CALLS ÷ MIN', 'WALL ÷ FLOOR', 'WALL ÷ READ FLOOR', 'STORE ÷ RAW', 'SIM BUSY'],
      BENCH_SOURCES.map((source) => {
        const pulls = fullPulls(report, source);
        const base = pulls[0]!;
        const churned = pulls.slice(1);
        const worstOf = (f: (p: PullMeasure) => number | null) => {
          const values = churned.map(f).filter((v): v is number => v !== null);
          return values.length > 0 ? Math.max(...values) : null;
        };
        return [
          source,
          String(base.minimum.total),
          `${seconds(base.latencyFloorMs)} (${base.concurrency} at a time)`,
          readFloor(base),
          base.raw ? `${seconds(base.raw.ms)} (${base.raw.rows} rows)` : 'n/a',
          base.raw ? seconds(base.raw.sameSchemaMs) : 'n/a',
          `${ratio(base.apiCalls / base.minimum.total)} / ${ratio(worstOf((p) => p.apiCalls / p.minimum.total))}`,
          `${ratio(wallPerLatencyFloor(base))} / ${ratio(worstOf(wallPerLatencyFloor))}`,
          `${ratio(wallPerReadFloor(base))} / ${ratio(worstOf(wallPerReadFloor))}`,
          `${ratio(rawRatio(base))} / ${ratio(worstOf(rawRatio))}`,
          `${percent(base.simulatorBusy)} / ${percent(Math.max(0, ...churned.map((p) => p.simulatorBusy)))}`,
        ];
      }),
    ),
  );

  add(
    'read floor: the pull\'s own requests sent again at its concurrency (node:http, keep-alive), each answer JSON.parse\'d, nothing else; ' +
      'a flat list, so no page waits for the cursor of the one before (a lower bound)',
  );

  add('\nTargets (each on the worst of the pulls it names)');
  add(
    textTable(
      ['TARGET', 'SOURCE', 'MEASURED', 'LIMIT', 'RATIO', 'RESULT'],
      targets.map((t) => [t.target, t.source ?? '', t.measured, t.limit, ratio(t.ratio), t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'MISS']),
    ),
  );
  return lines.join('\n');
}

/** `--database both`: the two runs side by side, pull by pull (same fleet, same seeded churn). */
export function renderComparison(sqlite: BenchReport, postgres: BenchReport): string {
  const pulls = (report: BenchReport) => [...report.baseline.pulls, ...report.churn.flatMap((round) => round.pulls), report.incremental];
  const theirs = pulls(postgres);
  const phase = (report: BenchReport, pull: PullMeasure) => (report.baseline.pulls.includes(pull) ? 'baseline' : pull.mode === 'incremental' ? 'incremental' : `churn ${report.churn.find((r) => r.pulls.includes(pull))?.run}`);
  const rows = pulls(sqlite).map((ours, index) => {
    const other = theirs[index]!;
    return [
      phase(sqlite, ours),
      ours.source,
      seconds(ours.wallMs),
      seconds(other.wallMs),
      seconds(ours.storeMs),
      seconds(other.storeMs),
      ratio(ours.storeMs > 0 ? other.storeMs / ours.storeMs : null),
      `${ours.events} / ${other.events}`,
    ];
  });
  const size = (report: BenchReport) => {
    const last = report.churn.at(-1);
    return `${megabytes(report.baseline.db.bytes)} → ${last ? `${megabytes(last.db.bytes)} (${ratio(last.db.bytes / report.baseline.db.bytes)})` : 'no churn runs'}`;
  };
  return [
    'SQLite and PostgreSQL side by side (store = staging + commit; PG ÷ SQLITE on the same pull)',
    textTable(['PHASE', 'SOURCE', 'WALL SQLITE', 'WALL PG', 'STORE SQLITE', 'STORE PG', 'PG ÷ SQLITE', 'EVENTS SQLITE / PG'], rows),
    `database, baseline → after ${sqlite.churn.length} churn syncs: SQLite ${size(sqlite)} (file + WAL); PostgreSQL ${size(postgres)} (pg_total_relation_size)`,
  ].join('\n');
}
