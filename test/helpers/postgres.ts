/**
 * The PostgreSQL side of the test databases: the server the global setup started (or
 * TEST_POSTGRES_URL) hands out a fresh database per `tempDbPath()`, copied from a migrated template.
 *
 * `tempDbPath()` is synchronous (a path was), so the CREATE DATABASE runs on a worker thread while
 * this one waits on an Atomics flag: no test has to change how it asks for a database.
 */
import { createRequire } from 'node:module';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { inject } from 'vitest';

/** What test/global-setup-postgres.ts provides to the tests of the postgres project. */
export interface ProvidedPostgres {
  /** A URL of the server's maintenance database, for CREATE DATABASE. */
  readonly adminUrl: string;
  /** The migrated database each test database is copied from. */
  readonly template: string;
  /** Prefix of every database this run creates (dropped at teardown). */
  readonly prefix: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: ProvidedPostgres | undefined;
  }
}

/** Which backend this vitest project tests: WABA_TEST_BACKEND, set per project in vitest.config.ts. */
export const testBackend: 'sqlite' | 'postgres' = process.env.WABA_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

export function providedPostgres(): ProvidedPostgres {
  const provided = inject('postgres');
  if (!provided) throw new Error('no PostgreSQL server: run this test in the postgres project (vitest --project postgres)');
  return provided;
}

/** `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const next = new URL(url);
  next.pathname = `/${database}`;
  return next.toString();
}

let counter = 0;

/**
 * A fresh database copied from the migrated template, as a URL. `empty`: one with no tables yet
 * (byte order), for a test that migrates it itself. `icuLocale`: an empty database whose default
 * collation is that ICU locale's, not byte order.
 */
export function freshPostgresUrl(options: { empty?: boolean; icuLocale?: string } = {}): string {
  const { adminUrl, template, prefix } = providedPostgres();
  counter += 1;
  const name = `${prefix}${process.pid}_${counter}`;
  const from = options.icuLocale
    ? `template template0 locale_provider icu icu_locale '${options.icuLocale}'`
    : options.empty
      ? `template template0 locale 'C'`
      : `template "${template}"`;
  runSync(adminUrl, `create database "${name}" ${from}`);
  return withDatabase(adminUrl, name);
}

/** Runs one statement on `url` and waits for it; throws its error message. */
export function runSync(url: string, statement: string): void {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  sqlWorker(url).postMessage({ signal, port: port2, statement }, [port2]);
  if (Atomics.wait(signal, 0, 0, 60_000) === 'timed-out') throw new Error(`PostgreSQL: no answer within 60 s to ${statement}`);
  const reply = receiveMessageOnPort(port1)?.message as { error: string | null } | undefined;
  port1.close();
  if (reply?.error) throw new Error(`PostgreSQL: ${statement}: ${reply.error}`);
}

const workers = new Map<string, Worker>();

/** Ends the workers (each holds a connection); test/helpers/temp.ts calls it after each test file. */
export async function closeSqlWorkers(): Promise<void> {
  await Promise.all([...workers.values()].map((worker) => worker.terminate()));
  workers.clear();
}

function sqlWorker(url: string): Worker {
  let worker = workers.get(url);
  if (!worker) {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { url, pg: createRequire(import.meta.url).resolve('pg') } });
    worker.unref();
    workers.set(url, worker);
  }
  return worker;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Client } = require(workerData.pg);
let client = null;
parentPort.on('message', async ({ signal, port, statement }) => {
  let error = null;
  try {
    if (client === null) {
      client = new Client({ connectionString: workerData.url });
      client.on('error', () => { client = null; });
      await client.connect();
    }
    await client.query(statement);
  } catch (caught) {
    error = String((caught && caught.message) || caught);
    if (client !== null && !client._connected) client = null;
  }
  port.postMessage({ error });
  port.close();
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;
