/**
 * A 360dialog Partner simulator over loopback HTTP, a real SQLite file, and the app wired to both
 * the way the CLI wires it, with a manual clock shared by the app and the simulator.
 */
import { afterEach } from 'vitest';
import { type App, openApp } from '../../src/app.js';
import { type Env, parseConfig } from '../../src/config.js';
import { Dialog360World, type Dialog360WorldOptions } from '../../src/simulator/dialog360.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/server.js';
import { type RunResult, runSourcePull } from '../../src/sync/run-source.js';
import { type ManualClock, manualClock } from './clock.js';
import { type CapturedLog, captureLog } from './log.js';
import { tempDbPath } from './temp.js';

export const PREFIX = '/360dialog/api/v2';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

export interface Dialog360Harness {
  world: Dialog360World;
  sim: RunningSimulator;
  clock: ManualClock;
  logs: CapturedLog;
  env: Env;
  app: App;
  /** Progress lines the source reported, across runs. */
  progress: string[];
  /** One full pull of 360dialog; the clock moves a minute first so runs have distinct times. */
  sync(): Promise<RunResult>;
  /** Keys of the entities of one kind as stored now, sorted. */
  storedKeys(kind: 'client' | 'channel'): Promise<string[]>;
}

export async function dialog360Harness(options: Dialog360WorldOptions & { env?: Env } = {}): Promise<Dialog360Harness> {
  const clock = manualClock();
  const world = new Dialog360World({ now: clock, ...options });
  const sim = await startSimulator({ [PREFIX]: world.handler });
  const env: Env = {
    DATABASE_URL: tempDbPath(),
    DIALOG360_API_URL: sim.urlOf(PREFIX),
    DIALOG360_API_KEY: world.apiKey,
    DIALOG360_PARTNER_ID: world.partnerId,
    DIALOG360_PAGE_SIZE: '10',
    HTTP_RETRY_BASE_MS: '5',
    HTTP_RETRIES: '2',
    HTTP_TIMEOUT_MS: '5000',
    ...options.env,
  };
  const logs = captureLog();
  const app = await openApp(parseConfig(env), { clock, log: logs.log });
  const progress: string[] = [];
  const harness: Dialog360Harness = {
    world,
    sim,
    clock,
    logs,
    env,
    app,
    progress,
    sync: async () => {
      clock.advance(60_000);
      return runSourcePull(
        { db: app.db, clock, log: logs.log, onProgress: (_source, message) => progress.push(message) },
        app.sources.get('dialog360')!,
        'full',
      );
    },
    storedKeys: async (kind) => {
      const rows = await app.db
        .selectFrom('entity_version')
        .select('key')
        .where('source', '=', 'dialog360')
        .where('kind', '=', kind)
        .where('valid_to', 'is', null)
        .execute();
      return rows.map((row) => row.key).sort();
    },
  };
  cleanups.push(async () => {
    await app.close();
    await sim.close();
  });
  return harness;
}
