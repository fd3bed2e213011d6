/**
 * The benchmark's sync worker: a child process that opens the app against the simulators and runs
 * one pull at a time when asked, so the peak RSS it reports is the sync's own (the simulators and
 * their fleet live in the parent). It also measures the raw-SQLite limit on the same rows and the
 * read floor (a pull's requests sent again, read and parsed, nothing else).
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { TABLES } from '../../db/copy.js';
import { isPostgres } from '../../db/database.js';
import { type App, openApp } from '../app.js';
import { parseConfig } from '../config.js';
import { createLogger } from '../log.js';
import { runSourcePull } from '../sync/run-source.js';
import { replayRequests } from './read-floor.js';
import type { DbSizeReply, EventStamp, RawInsertReply, SyncReply, WorkerReply, WorkerRequest } from './protocol.js';
import { type Intake, startIntake } from '../intake/index.js';
import { createMetrics } from '../observability/metrics.js';
import { SourceLocks } from '../sync/source-locks.js';
import type { RunMode } from '../sync/types.js';
import { type Dispatcher, createDispatcher } from '../delivery/dispatcher.js';
import { startDispatcherThread } from '../delivery/thread.js';
import { processHolder } from '../sync/lease.js';

let app: App | null = null;
let intake: Intake | null = null;
let intakeController: AbortController | null = null;
/** Event delivery to the bench's subscriber (EVENT_WEBHOOK_BENCH_URL), woken after each pull as in the daemon. */
let dispatcher: Dispatcher | null = null;

function opened(): App {
  if (!app) throw new Error('the worker has no open app');
  return app;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'open': {
      const config = parseConfig(request.env);
      app = await openApp(config, { log: createLogger({ level: config.logLevel }) });
      return { maxRssMb: maxRssMb() };
    }
    case 'sync':
      return sync(request.source, request.mode);
    case 'rawInsert':
      return rawInsert(request.source, request.dir);
    case 'readFloor':
      return replayRequests(request.source, request.requests, request.concurrency);
    case 'dbSize':
      return dbSize();
    case 'startIntake': {
      const current = opened();
      intakeController = new AbortController();
      intake = await startIntake(current, { metrics: createMetrics(current.db, () => [...current.sources.keys()]), locks: new SourceLocks(), signal: intakeController.signal, pollMs: 500 });
      return { port: intake.port };
    }
    case 'intakeSettled':
      await intake?.processor?.settled();
      return null;
    case 'stopIntake':
      intakeController?.abort();
      await intake?.stop();
      intake = null;
      return null;
    case 'lastEventId': {
      const row = await opened().db.selectFrom('event').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      return row?.id == null ? 0 : Number(row.id);
    }
    case 'startDelivery': {
      const current = opened();
      // As the daemon runs it: on a thread of its own (delivery/thread.ts).
      const inProcess = () => createDispatcher({ db: current.db, clock: current.clock, log: current.log, config: current.config, scrubber: current.scrubber });
      dispatcher = await startDispatcherThread({ start: { config: current.config, holder: processHolder() }, log: current.log, fallback: inProcess });
      return null;
    }
    case 'eventIdsAfter':
      return (await opened().db.selectFrom('event').select('id').where('id', '>', request.after).orderBy('id').execute()).map((row) => row.id);
    case 'eventsAfter':
      return (await opened().db.selectFrom('event').select(['type', 'key', 'at']).where('id', '>', request.after).orderBy('id').execute()) satisfies EventStamp[];
    case 'close':
      await dispatcher?.stop();
      dispatcher = null;
      await app?.close();
      app = null;
      return null;
  }
}

async function sync(name: Parameters<App['sources']['get']>[0], mode: RunMode): Promise<SyncReply> {
  const { db, clock, log, sources, snapshots, pages } = opened();
  const source = sources.get(name);
  if (!source) throw new Error(`source ${name} is not enabled`);
  const pagesBefore = pages.busyMs;
  const started = performance.now();
  const result = await runSourcePull({ db, clock, log, snapshots }, source, mode);
  const wallMs = performance.now() - started;
  dispatcher?.wake();
  return {
    outcome: result.outcome,
    ...(result.error ? { error: result.error } : {}),
    wallMs,
    stageMs: result.stageMs,
    commitMs: result.commitMs,
    pageThreadMs: pages.busyMs - pagesBefore,
    entities: result.entities,
    events: result.events,
    eventTypes: result.eventTypes,
    apiCalls: result.apiCalls,
    retries: result.retries,
    maxRssMb: maxRssMb(),
  };
}

/** resourceUsage().maxRSS is in kilobytes. */
function maxRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * The physical limit for storing a pull: the source's current rows (exactly what the last pull
 * stored) inserted with a prepared statement in one transaction into a fresh file with the same
 * pragmas, into a table keyed like ours ((kind, key) primary key). Reading the rows is not timed.
 */
function rawInsert(source: string, dir: string): RawInsertReply {
  const path = opened().config.databasePath;
  const reader = new SQLite(path, { readonly: true });
  const rows = reader
    .prepare('SELECT kind, key, data, hash, valid_from, run_from FROM entity_version WHERE source = ? AND valid_to IS NULL')
    .all(source) as { kind: string; key: string; data: string; hash: string; valid_from: string; run_from: number }[];
  // entity_version's own definition and indexes, for the same-schema insert.
  const schema = reader.prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'entity_version' AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC").all() as { sql: string }[];
  reader.close();

  const target = join(dir, `raw-${source}-${Date.now()}.sqlite`);
  const raw = new SQLite(target);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec('CREATE TABLE raw_item (kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, key))');
  const insert = raw.prepare('INSERT INTO raw_item (kind, key, data) VALUES (?, ?, ?)');
  const insertAll = raw.transaction((items: typeof rows) => {
    for (const row of items) insert.run(row.kind, row.key, row.data);
  });
  const started = performance.now();
  insertAll(rows);
  const ms = performance.now() - started;

  // The same rows into a table with entity_version's columns and indexes, in one transaction: what
  // storing a baseline costs at the least with the history we keep.
  for (const statement of schema) raw.exec(statement.sql);
  const insertVersion = raw.prepare('INSERT INTO entity_version (source, kind, key, data, hash, valid_from, valid_to, run_from, run_to) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL)');
  const insertVersions = raw.transaction((items: typeof rows) => {
    for (const row of items) insertVersion.run(source, row.kind, row.key, row.data, row.hash, row.valid_from, row.run_from);
  });
  const sameStarted = performance.now();
  insertVersions(rows);
  const sameSchemaMs = performance.now() - sameStarted;
  raw.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
  return { rows: rows.length, ms, sameSchemaMs };
}

async function dbSize(): Promise<DbSizeReply> {
  const { db, config } = opened();
  if (isPostgres(db)) return postgresSize();
  await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  const pages = (await sql<{ page_count: number }>`PRAGMA page_count`.execute(db)).rows[0]!.page_count;
  const freePages = (await sql<{ freelist_count: number }>`PRAGMA freelist_count`.execute(db)).rows[0]!.freelist_count;
  const size = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  return { bytes: size(config.databasePath) + size(`${config.databasePath}-wal`), pages, freePages };
}

/**
 * PostgreSQL's size of our data: pg_total_relation_size (heap, indexes, TOAST, free space and dead
 * rows not yet vacuumed) summed over our tables, as autovacuum left them; no VACUUM first.
 */
async function postgresSize(): Promise<DbSizeReply> {
  const { db } = opened();
  const { rows } = await sql<{ bytes: number }>`
    select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as bytes from pg_class c
    where c.relnamespace = current_schema()::regnamespace and c.relkind = 'r' and c.relname in (${sql.join(TABLES)})`.execute(db);
  const bytes = Number(rows[0]?.bytes ?? 0);
  return { bytes, pages: Math.round(bytes / 8192), freePages: 0 };
}

process.on('message', (message: WorkerRequest) => {
  handle(message).then(
    (value) => process.send!({ id: message.id, ok: true, value } satisfies WorkerReply),
    (error: unknown) => process.send!({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies WorkerReply),
  );
});
process.on('disconnect', () => process.exit(0));
