/**
 * Real files in a fresh temporary folder per test, removed afterwards; a fresh database per
 * `tempDbPath()`: a SQLite file, or in the postgres project a PostgreSQL database (its URL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { closeSqlWorkers, freshPostgresUrl, testBackend } from './postgres.js';

const folders: string[] = [];

afterEach(() => {
  while (folders.length > 0) rmSync(folders.pop()!, { recursive: true, force: true });
});
afterAll(closeSqlWorkers);

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'waba-sync-test-'));
  folders.push(dir);
  return dir;
}

/** DATABASE_URL of a fresh, empty database of this project's backend (WABA_TEST_BACKEND). */
export function tempDbPath(): string {
  return testBackend === 'postgres' ? freshPostgresUrl() : tempSqlitePath();
}

/** A SQLite file path whatever the project: for tests about SQLite files themselves. */
export function tempSqlitePath(): string {
  return join(tempDir(), 'test.sqlite');
}
