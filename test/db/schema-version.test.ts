import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { CODE_SCHEMA_VERSION, appliedMigrations, databaseSchemaVersion } from '../../db/schema-version.js';
import { VERSION } from '../../src/version.js';
import { cli } from '../helpers/cli.js';
import { tempDbPath } from '../helpers/temp.js';

const FUTURE = '2099_01_01_0001_from_a_newer_release';

/** A database as a newer waba-sync leaves it: one migration this code has never heard of. */
async function databaseFromTheFuture(): Promise<string> {
  const url = tempDbPath();
  const db = await openDatabase(url);
  await db
    .withTables<{ kysely_migration: { name: string; timestamp: string } }>()
    .insertInto('kysely_migration')
    .values({ name: FUTURE, timestamp: new Date().toISOString() })
    .execute();
  await db.destroy();
  return url;
}

describe('schema version', () => {
  it('status shows the version and the schema version the database is at', async () => {
    const url = tempDbPath();
    const run = await cli(['status'], { DATABASE_URL: url });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Version: waba-sync ${VERSION}, database schema ${CODE_SCHEMA_VERSION}`);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a command refuses a database migrated by a newer waba-sync, naming both schema versions, and changes nothing', async () => {
    const url = await databaseFromTheFuture();
    const run = await cli(['status'], { DATABASE_URL: url });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`has schema version ${FUTURE}, newer than this waba-sync ${VERSION} knows (its schema version is ${CODE_SCHEMA_VERSION})`);
    expect(run.stdout).toBe('');
    const db = await openDatabase(url, { migrate: false });
    try {
      expect(await databaseSchemaVersion(db)).toBe(FUTURE);
      expect((await appliedMigrations(db)).length).toBeGreaterThan(1);
    } finally {
      await db.destroy();
    }
  });

  it('the daemon refuses to start on it (exit 2, naming both versions) instead of running on it', async () => {
    const url = await databaseFromTheFuture();
    const daemon = spawnSync(process.execPath, ['dist/src/daemon.js'], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: url,
        HTTP_PORT: '0',
        // A source must be enabled for the daemon to start at all; it is never reached.
        DIGITAL99_CLIENT_ID: 'id',
        DIGITAL99_CLIENT_SECRET: 'secret',
        DIGITAL99_API_URL: 'http://127.0.0.1:9/api',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(daemon.status).toBe(2);
    expect(daemon.stderr).toContain(`has schema version ${FUTURE}, newer than this waba-sync ${VERSION} knows (its schema version is ${CODE_SCHEMA_VERSION})`);
    expect(daemon.stderr).not.toContain('scheduled');
  });
});
