import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database.js';
import { digital99Harness } from './helpers/digital99.js';

describe('npm start (the daemon)', () => {
  it('runs the sync on SYNC_CRON and exits 0 on SIGTERM', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    await h.app.close();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/daemon.ts'], {
      env: { ...process.env, ...h.env, SYNC_CRON: '* * * * * *', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const db = await openDatabase(h.dbPath);
    try {
      for (let i = 0; i < 300; i++) {
        const complete = await db.selectFrom('sync_run').select('id').where('outcome', '=', 'complete').execute();
        if (complete.length >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await db.selectFrom('sync_run').select('id').where('outcome', '=', 'complete').execute()).length).toBeGreaterThanOrEqual(2);
    } finally {
      await db.destroy();
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('scheduled sync');
    expect(stderr).not.toContain(h.world.clientSecret);
  });
});
