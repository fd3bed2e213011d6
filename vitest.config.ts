import { defineConfig } from 'vitest/config';

const shared = {
  testTimeout: 30_000,
  hookTimeout: 30_000,
  pool: 'forks' as const,
};

/**
 * Test files the postgres project leaves out: those that open no database (pure functions,
 * configuration, docs), and those about SQLite files themselves (modes, damaged or read-only
 * files, another process's write lock, the bench's SQLite baseline).
 */
const SQLITE_ONLY = [
  'test/console/sessions.test.ts',
  'test/bench/**',
  'test/config.test.ts',
  'test/daemon/schedule-dst.test.ts',
  'test/daemon/wait-for-database.test.ts',
  'test/db/open.test.ts',
  'test/deploy/**',
  'test/db/postgres-migrations.test.ts',
  'test/db/url.test.ts',
  'test/delivery/post.test.ts',
  'test/delivery/settings.test.ts',
  'test/diff/**',
  'test/docs.test.ts',
  'test/node-flags.test.ts',
  'test/log-format.test.ts',
  'test/notify/mail-config.test.ts',
  'test/onboarding/config.test.ts',
  'test/packaging.test.ts',
  'test/render/truncate.test.ts',
  'test/reports/config.test.ts',
  'test/reports/month.test.ts',
  'test/simulator/**',
  'test/sources/concurrency.test.ts',
  'test/sources/fast-parse.test.ts',
  'test/sources/dialog360/config.test.ts',
  'test/sources/dialog360/sweep-check.test.ts',
  'test/sources/digital99/lifecycle.test.ts',
  'test/sources/digital99/statistics.test.ts',
  'test/sources/meta/config.test.ts',
  'test/sources/meta/read-ahead.test.ts',
  'test/sources/meta/usage.test.ts',
  'test/sources/page-budget.test.ts',
  'test/sources/presentation.test.ts',
  'test/sources/records.test.ts',
  'test/sources/registry.test.ts',
  'test/sync/concurrent-writer.test.ts',
];

/**
 * Two projects, the same tests: `sqlite` runs every test file; `postgres` runs again every one
 * that touches the database, with WABA_TEST_BACKEND=postgres so the database helpers
 * (test/helpers/temp.ts `tempDbPath()`) hand out PostgreSQL databases instead of SQLite files.
 * `*.postgres.test.ts` files need the server and run only there.
 */
export default defineConfig({
  test: {
    // The build first (tests run the npm scripts), then the PostgreSQL server when its project runs.
    globalSetup: ['./test/global-setup.ts', './test/global-setup-postgres.ts'],
    projects: [
      {
        test: { ...shared, name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ['test/**/*.postgres.test.ts'], env: { WABA_TEST_BACKEND: 'sqlite' } },
      },
      {
        test: { ...shared, name: 'postgres', include: ['test/**/*.test.ts'], exclude: SQLITE_ONLY, env: { WABA_TEST_BACKEND: 'postgres' } },
      },
    ],
  },
});
