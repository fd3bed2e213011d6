import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../../db/database.js';
import { listEvents } from '../../src/events/query.js';
import { digital99Harness } from '../helpers/digital99.js';
import { until } from '../helpers/wait.js';


describe('npm start', () => {
  it('SIGTERM to its process group during a pull: exits 0, the database is intact, the next run completes', async () => {
    const h = await digital99Harness();
    const pending = h.world.addOnboarding();
    await h.sync();
    h.world.finishOnboarding(pending.onboarding_link);
    h.world.inject({ kind: 'latency', call: 'getWhatsApp', ms: 60_000 });

    const child = spawn('npm', ['start'], {
      detached: true, // its own process group, as a service manager would run it
      env: { ...process.env, ...h.env, HTTP_PORT: '0', SYNC_CRON: '* * * * * *', FULL_SYNC_CRON: '0 0 1 1 *', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    const exited = new Promise<[number | null, string | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
    await until(() => h.world.calls.getWhatsApp === 2, "the daemon's pull waiting on the slow numbers list");

    process.kill(-child.pid!, 'SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(stderr).toContain('scheduled sync-incremental');
    expect(stderr).toContain('stopping: no new jobs, aborting in-flight pulls');
    expect(stderr).toContain('"msg":"stopped"');
    expect(stderr).not.toContain(h.world.clientSecret);

    const db = await openDatabase(h.dbPath);
    try {
      const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db);
      expect(integrity.rows).toEqual([{ integrity_check: 'ok' }]);
      const last = await db.selectFrom('sync_run').select(['outcome', 'error_code']).orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(last).toEqual({ outcome: 'failed', error_code: 'ABORTED' });
    } finally {
      await db.destroy();
    }

    h.world.clearFaults();
    await h.restart();
    expect((await h.sync()).outcome).toBe('complete');
    expect((await listEvents(h.app.db)).map((e) => e.type)).toEqual(['sync.baseline', 'onboarding.completed', 'number.added']);
  });
});
