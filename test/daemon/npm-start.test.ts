import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../../db/database.js';
import { listEvents } from '../../src/events/query.js';
import { digital99Harness } from '../helpers/digital99.js';
import { testBackend } from '../helpers/postgres.js';
import { until } from '../helpers/wait.js';

/** The command lines of every process in a process group (Linux /proc). */
function commandLinesOfGroup(pgid: number): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '));
    } catch {
      // the process ended while we looked
    }
  }
  return lines;
}

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
    // Production runs the compiled build under plain node: no TypeScript loader in the group.
    const group = commandLinesOfGroup(child.pid!);
    expect(group.some((line) => /node .*dist\/src\/daemon\.js/.test(line))).toBe(true);
    expect(group.filter((line) => line.includes('tsx'))).toEqual([]);

    process.kill(-child.pid!, 'SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(stderr).toContain('scheduled sync-incremental');
    expect(stderr).toContain('stopping: no new jobs, aborting in-flight pulls');
    expect(stderr).toContain('"msg":"stopped"');
    expect(stderr).not.toContain(h.world.clientSecret);

    const db = await openDatabase(h.dbPath);
    try {
      if (testBackend === 'sqlite') {
        const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db);
        expect(integrity.rows).toEqual([{ integrity_check: 'ok' }]);
      }
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
