import { statSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { digital99Harness } from './helpers/digital99.js';
import { testBackend } from './helpers/postgres.js';
import { tempDir } from './helpers/temp.js';
import { until } from './helpers/wait.js';
import { runSourcePull } from '../src/sync/run-source.js';

const onSqlite = testBackend === 'sqlite';

describe.runIf(onSqlite)('backup FILE (SQLite)', () => {
  it('taken in the middle of a pull: opens, passes integrity_check and holds every pull that was complete when it started', async () => {
    const h = await digital99Harness();
    for (let i = 0; i < 5; i++) h.world.addOnboarding();
    const first = h.world.addOnboarding();
    expect((await h.sync()).outcome).toBe('complete');
    h.world.finishOnboarding(first.onboarding_link);
    expect((await h.sync()).outcome).toBe('complete');

    // A third pull, its ledger row written, held up on the numbers list.
    h.world.addOnboarding();
    h.world.inject({ kind: 'latency', call: 'getWhatsApp', ms: 60_000 });
    const stop = new AbortController();
    h.clock.advance(60_000);
    const pulling = runSourcePull({ db: h.app.db, clock: h.clock, log: h.logs.log, signal: stop.signal }, h.app.sources.get('digital99')!, 'full');
    await until(() => h.world.calls.getWhatsApp === 3, 'the third pull waiting on the numbers list');

    const file = join(tempDir(), 'backup.sqlite');
    const run = await cli(['backup', file], h.env);
    stop.abort();
    await pulling;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Backed up .* to .*backup\.sqlite: \d+ kB, schema version \d{4}_\d\d_\d\d_\d{4}_\w+, integrity_check ok\.\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const copy = new SQLite(file, { readonly: true });
    try {
      expect(copy.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      const runs = copy.prepare('select outcome from sync_run order by id').all();
      expect(runs).toEqual([{ outcome: 'complete' }, { outcome: 'complete' }, { outcome: 'running' }]);
      // Everything the two complete pulls produced, nothing of the third but its staging.
      const events = (copy.prepare('select type from event order by id').all() as { type: string }[]).map((row) => row.type);
      expect(events).toEqual(['sync.baseline', 'onboarding.completed', 'number.added']);
      const current = copy.prepare("select count(*) as n from entity_version where valid_to is null and kind = 'onboarding'").get();
      expect(current).toEqual({ n: 6 });
    } finally {
      copy.close();
    }

    // Restore as docs/production.md says: the copy is a database waba-sync opens as it is.
    const restored = await cli(['events', '--json'], { ...h.env, DATABASE_URL: file });
    expect(restored.code).toBe(0);
    expect(restored.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('never overwrites a file, and says so (exit 2)', async () => {
    const h = await digital99Harness();
    await h.sync();
    const file = join(tempDir(), 'taken.sqlite');
    expect((await cli(['backup', file], h.env)).code).toBe(0);
    const again = await cli(['backup', file], h.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; a backup never overwrites a file');
  });
});

describe.runIf(!onSqlite)('backup FILE (PostgreSQL)', () => {
  it('exits 2 and points to pg_dump', async () => {
    const h = await digital99Harness();
    const file = join(tempDir(), 'backup.sqlite');
    const run = await cli(['backup', file], h.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('DATABASE_URL is a PostgreSQL database: back it up with pg_dump');
  });
});
