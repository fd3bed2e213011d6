/**
 * Event delivery under test: a fresh database (this project's backend), events written into the
 * event table as a pull's commit writes them (the trigger feeds the dispatcher), and a dispatcher
 * from a parsed configuration with a manual clock.
 */
import { afterEach } from 'vitest';
import { type Db, migrateToLatest, openDatabase } from '../../db/database.js';
import { type Config, type Env, parseConfig } from '../../src/config.js';
import { type Dispatcher, type DispatcherDeps, createDispatcher } from '../../src/delivery/dispatcher.js';
import { SecretScrubber, configuredSecrets } from '../../src/secrets.js';
import { type ManualClock, manualClock } from './clock.js';
import { type CapturedLog, captureLog } from './log.js';
import { tempDbPath } from './temp.js';

export const SECRET_A = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
export const SECRET_B = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

export interface DeliveryHarness {
  db: Db;
  dbPath: string;
  clock: ManualClock;
  logs: CapturedLog;
  config: Config;
  dispatcher(overrides?: Partial<DispatcherDeps>): Dispatcher;
  /** Writes events (oldest first) in one transaction, like a commit; returns their ids. */
  writeEvents(events: readonly TestEvent[]): Promise<number[]>;
}

export interface TestEvent {
  type: string;
  source?: string;
  key: string;
  after?: Record<string, unknown> | null;
  before?: Record<string, unknown> | null;
  changes?: Record<string, { from: unknown; to: unknown }> | null;
}

export async function deliveryHarness(env: Env, options: { dbPath?: string } = {}): Promise<DeliveryHarness> {
  const dbPath = options.dbPath ?? tempDbPath();
  const db = await openDatabase(dbPath);
  await migrateToLatest(db);
  const clock = manualClock();
  const logs = captureLog();
  const config = parseConfig({ DATABASE_URL: dbPath, ...env });
  const dispatchers: Dispatcher[] = [];
  cleanups.push(async () => {
    for (const d of dispatchers) await d.stop();
    await db.destroy();
  });
  return {
    db,
    dbPath,
    clock,
    logs,
    config,
    dispatcher(overrides = {}) {
      const dispatcher = createDispatcher({ db, clock, log: logs.log, config, scrubber: new SecretScrubber(configuredSecrets(config)), ...overrides }, { pollMs: 3_600_000 });
      dispatchers.push(dispatcher);
      return dispatcher;
    },
    async writeEvents(events) {
      const at = clock().toISOString();
      return db.transaction().execute(async (trx) => {
        const ids: number[] = [];
        for (const event of events) {
          const row = await trx
            .insertInto('event')
            .values({
              type: event.type,
              source: event.source ?? 'meta',
              key: event.key,
              at,
              run_id: null,
              before: event.before ? JSON.stringify(event.before) : null,
              after: event.after === undefined ? JSON.stringify({ id: event.key }) : event.after && JSON.stringify(event.after),
              changes: event.changes ? JSON.stringify(event.changes) : null,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          ids.push(row.id);
        }
        return ids;
      });
    },
  };
}
