/**
 * `npm run bench [-- options]`: parses the options, runs the benchmark, prints the report (and
 * writes it as JSON with --json). Exit 0 when every pull completed and every event count matched
 * the churn; 1 when not (targets missed are reported, not failed); 2 on a usage error.
 */
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { backendOf, maskDatabaseUrl } from '../../db/url.js';
import { benchPostgres } from './postgres.js';
import { renderComparison, renderReport } from './render.js';
import { type BenchOptions, type BenchReport, runBench } from './run.js';
import { eventsChecked, judgeTargets } from './targets.js';

export interface BenchIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};
const whole = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number of at least ${min}`);
  return n;
};

export async function runBenchCli(argv: readonly string[], io: BenchIo): Promise<number> {
  const program = new Command('bench')
    .description('Syncs a simulated fleet (100,000 Meta WABAs at scale 1) and measures it against the limits of the network and SQLite')
    .option('--scale <factor>', 'fleet size relative to 100,000 WABAs / 20,000 onboardings and numbers / 20,000 channels', positive('--scale'), 1)
    .option('--latency <ms>', 'per-request latency of every simulated upstream', whole('--latency', 0), 20)
    .option('--concurrency <n>', 'META_CONCURRENCY and DIALOG360_CONCURRENCY', whole('--concurrency', 1), 4)
    .option('--churn-runs <n>', 'full syncs after churn', whole('--churn-runs', 0), 10)
    .option('--churn <percent>', 'share of each fleet changed before each churn sync', positive('--churn'), 0.5)
    .option('--new-wabas <n>', 'new client WABAs before the incremental Meta sync', whole('--new-wabas', 1), 50)
    .option('--webhooks <n>', 'signed Meta webhook deliveries in the webhook phase (0: skip it)', whole('--webhooks', 0), 1000)
    .option('--webhook-rate <per-second>', 'deliveries sent per second', positive('--webhook-rate'), 50)
    .option('--console-samples <n>', 'requests per page in the web console phase (0: skip it)', whole('--console-samples', 0), 50)
    .option('--no-delivery', 'do not deliver the events to a loopback subscriber (EVENT_WEBHOOK_BENCH_URL) while the churn runs')
    .option('--delivery-concurrency <n>', 'EVENT_WEBHOOK_CONCURRENCY of the bench subscriber', whole('--delivery-concurrency', 1), 1)
    .option('--json <file>', 'also write the whole report as JSON')
    .option('--cpu-prof <dir>', 'write a CPU profile of the sync worker into DIR (open it in Chrome DevTools)')
    .option('--quiet', 'no progress lines on stderr')
    .addOption(new Option('--database <backend>', 'where the syncs store: a SQLite file, PostgreSQL, or both one after the other, printed side by side').choices(['sqlite', 'postgres', 'both']).default('sqlite'))
    .option('--database-url <url>', 'PostgreSQL: a server to use (postgres://…; the role needs CREATEDB) instead of an embedded one; the bench creates and drops its own database there')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    program.parse(['node', 'bench', ...argv]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const options = program.opts<{
    scale: number;
    latency: number;
    concurrency: number;
    churnRuns: number;
    churn: number;
    newWabas: number;
    webhooks: number;
    webhookRate: number;
    consoleSamples: number;
    delivery: boolean;
    deliveryConcurrency: number;
    json?: string;
    cpuProf?: string;
    quiet?: boolean;
    database: 'sqlite' | 'postgres' | 'both';
    databaseUrl?: string;
  }>();
  if (options.databaseUrl !== undefined) {
    if (backendOf(options.databaseUrl) !== 'postgres') {
      io.stderr(`error: --database-url: expected a PostgreSQL URL (postgres://user:password@host:port/database), got ${maskDatabaseUrl(options.databaseUrl)}\n`);
      return 2;
    }
    if (program.getOptionValueSource('database') === 'default') options.database = 'postgres';
    if (options.database === 'sqlite') {
      io.stderr('error: --database-url is for --database postgres or both\n');
      return 2;
    }
  }
  const settings: BenchOptions = {
    scale: options.scale,
    latencyMs: options.latency,
    concurrency: options.concurrency,
    churnRuns: options.churnRuns,
    churnShare: options.churn / 100,
    newWabas: options.newWabas,
    webhookDeliveries: options.webhooks,
    webhookRate: options.webhookRate,
    consoleSamples: options.consoleSamples,
    eventDelivery: options.delivery,
    deliveryConcurrency: options.deliveryConcurrency,
    cpuProfileDir: options.cpuProf,
    progress: options.quiet ? undefined : (line) => io.stderr(`${line}\n`),
  };
  if (options.database !== 'sqlite') return runOnPostgres(settings, { ...options, database: options.database }, io);
  const report = await runBench(settings);
  const targets = judgeTargets(report);
  const correct = eventsChecked(report);
  io.stdout(`${renderReport(report, targets)}\n`);
  if (!correct) io.stdout('\nEVENTS DID NOT MATCH THE CHURN (or a pull failed): see the MISMATCH lines above.\n');
  if (options.json) writeFileSync(options.json, `${JSON.stringify({ ...report, targets, eventsChecked: correct }, null, 2)}\n`);
  return correct ? 0 : 1;
}

/** `--database postgres` (one report) or `both` (SQLite, then PostgreSQL, then the two side by side). */
async function runOnPostgres(settings: BenchOptions, options: { database: 'postgres' | 'both'; databaseUrl?: string; json?: string; quiet?: boolean }, io: BenchIo): Promise<number> {
  const tagged = (tag: string) => (options.quiet ? undefined : (line: string) => io.stderr(`[${tag}] ${line}\n`));
  const sqlite = options.database === 'both' ? await runBench({ ...settings, progress: tagged('sqlite') }) : undefined;
  let postgres: BenchReport;
  let database: Awaited<ReturnType<typeof benchPostgres>>;
  try {
    database = await benchPostgres(options.databaseUrl);
  } catch (error) {
    io.stderr(`bench: PostgreSQL: ${error instanceof Error ? error.message : String(error)}\n`);
    return options.databaseUrl ? 2 : 1;
  }
  try {
    postgres = await runBench({ ...settings, databaseUrl: database.url, databaseLabel: database.describe, progress: tagged('postgres') });
  } finally {
    await database.close();
  }
  const judged = (report: BenchReport, against?: BenchReport) => ({ ...report, targets: judgeTargets(report, against), eventsChecked: eventsChecked(report) });
  const results = [...(sqlite ? [judged(sqlite)] : []), judged(postgres, sqlite)];
  const sections = results.map((result) => `${sqlite ? `=== ${result.database.backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'} ===\n` : ''}${renderReport(result, result.targets)}`);
  if (sqlite) sections.push(renderComparison(sqlite, postgres));
  io.stdout(`${sections.join('\n\n')}\n`);
  const correct = results.every((result) => result.eventsChecked);
  if (!correct) io.stdout('\nEVENTS DID NOT MATCH THE CHURN (or a pull failed): see the MISMATCH lines above.\n');
  if (options.json) {
    const [first, second] = results;
    writeFileSync(options.json, `${JSON.stringify(second ? { sqlite: first, postgres: second } : first, null, 2)}\n`);
  }
  return correct ? 0 : 1;
}
