/**
 * A 99digital simulator over loopback HTTP, a real SQLite file, and the app wired to both the way
 * the CLI wires it, with a manual clock shared by the app and the simulator.
 */
import { afterEach } from 'vitest';
import { type App, openApp } from '../../src/app.js';
import { type Env, parseConfig } from '../../src/config.js';
import { Digital99World, type Digital99WorldOptions } from '../../src/simulator/digital99.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/server.js';
import { type RunResult, runSourcePull } from '../../src/sync/run-source.js';
import type { RunMode } from '../../src/sync/types.js';
import { type ManualClock, manualClock } from './clock.js';
import { type CapturedLog, captureLog } from './log.js';
import { tempDbPath } from './temp.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

export interface Digital99Harness {
  world: Digital99World;
  sim: RunningSimulator;
  clock: ManualClock;
  logs: CapturedLog;
  dbPath: string;
  env: Env;
  app: App;
  /** One pull of 99digital; the clock moves a minute first so runs have distinct times. */
  sync(mode?: RunMode): Promise<RunResult>;
  /** Close and reopen the app on the same database (a process restart). */
  restart(): Promise<void>;
}

export async function digital99Harness(options: Digital99WorldOptions & { env?: Env; dbPath?: string } = {}): Promise<Digital99Harness> {
  const clock = manualClock();
  const world = new Digital99World({ now: clock, ...options });
  const sim = await startSimulator({ '/99digital/api': world.handler });
  const dbPath = options.dbPath ?? tempDbPath();
  const env: Env = {
    DATABASE_URL: dbPath,
    DIGITAL99_API_URL: sim.urlOf('/99digital/api'),
    DIGITAL99_CLIENT_ID: world.clientId,
    DIGITAL99_CLIENT_SECRET: world.clientSecret,
    HTTP_RETRY_BASE_MS: '5',
    HTTP_RETRIES: '2',
    HTTP_TIMEOUT_MS: '5000',
    ...options.env,
  };
  const logs = captureLog();
  const open = () => openApp(parseConfig(env), { clock, log: logs.log });
  const harness: Digital99Harness = {
    world,
    sim,
    clock,
    logs,
    dbPath,
    env,
    app: await open(),
    sync: async (mode = 'full') => {
      clock.advance(60_000);
      return runSourcePull({ db: harness.app.db, clock, log: logs.log }, harness.app.sources.get('digital99')!, mode);
    },
    restart: async () => {
      await harness.app.close();
      harness.app = await open();
    },
  };
  cleanups.push(async () => {
    await harness.app.close();
    await sim.close();
  });
  return harness;
}
