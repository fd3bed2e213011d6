/**
 * A Graph API simulator over loopback HTTP, a real SQLite file, and the Meta source wired the way
 * the app wires it — except that waits (backoff, throttling, pacing) go through a recording sleep,
 * so tests can see how long the client would have waited without spending it.
 */
import { afterEach } from 'vitest';
import { type App, openApp } from '../../src/app.js';
import { type Env, parseConfig } from '../../src/config.js';
import { MetaWorld, type MetaWorldOptions } from '../../src/simulator/meta.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/server.js';
import { createMetaSource } from '../../src/sources/meta/source.js';
import { type RunResult, runSourcePull } from '../../src/sync/run-source.js';
import type { RunMode, Source } from '../../src/sync/types.js';
import { type ManualClock, manualClock } from './clock.js';
import { type CapturedLog, captureLog } from './log.js';
import { tempDbPath } from './temp.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

export interface MetaHarness {
  world: MetaWorld;
  sim: RunningSimulator;
  clock: ManualClock;
  logs: CapturedLog;
  dbPath: string;
  env: Env;
  app: App;
  /** Every wait the client asked for, in ms, in order. */
  sleeps: number[];
  /** Every usage percentage the source reported through RunDeps.onUsage, in order. */
  usage: { source: string; metric: string; percent: number }[];
  source(env?: Env): Source;
  /** One pull of Meta; the clock moves a minute first so runs (and new WABAs) have distinct times. */
  sync(mode?: RunMode, env?: Env): Promise<RunResult>;
}

export async function metaHarness(options: MetaWorldOptions & { env?: Env; dbPath?: string } = {}): Promise<MetaHarness> {
  const clock = manualClock();
  const world = new MetaWorld({ now: clock, ...options });
  const sim = await startSimulator({ '/meta': world.handler });
  const dbPath = options.dbPath ?? tempDbPath();
  const env: Env = {
    DATABASE_URL: dbPath,
    META_GRAPH_URL: sim.urlOf('/meta'),
    META_ACCESS_TOKEN: world.accessToken,
    META_BUSINESS_ID: world.businessId,
    HTTP_RETRY_BASE_MS: '5',
    HTTP_RETRIES: '2',
    HTTP_TIMEOUT_MS: '5000',
    ...options.env,
  };
  const logs = captureLog();
  const sleeps: number[] = [];
  const usage: MetaHarness['usage'] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  const app = await openApp(parseConfig(env), { clock, log: logs.log });
  // The source as the App builds it (its pages read on the App's page thread), with waits observed.
  const source = (overrides: Env = {}) => {
    const config = parseConfig({ ...env, ...overrides });
    return createMetaSource({ config: config.meta!, http: config.http, sleep, pages: app.pages });
  };
  const harness: MetaHarness = {
    world,
    sim,
    clock,
    logs,
    dbPath,
    env,
    sleeps,
    usage,
    app,
    source,
    sync: async (mode = 'full', overrides = {}) => {
      clock.advance(60_000);
      const onUsage = (source: string, metric: string, percent: number) => usage.push({ source, metric, percent });
      return runSourcePull({ db: harness.app.db, clock, log: logs.log, onUsage }, source(overrides), mode);
    },
  };
  cleanups.push(async () => {
    await harness.app.close();
    await sim.close();
  });
  return harness;
}

/** The current (latest) stored entities of one kind: key → data. */
export async function currentEntities(app: App, kind: string): Promise<Map<string, unknown>> {
  const rows = await app.db
    .selectFrom('entity_version')
    .select(['key', 'data'])
    .where('source', '=', 'meta')
    .where('kind', '=', kind)
    .where('valid_to', 'is', null)
    .execute();
  return new Map(rows.map((row) => [row.key, JSON.parse(row.data) as unknown]));
}
