import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/query.js';
import { digital99Harness } from '../helpers/digital99.js';
import { testBackend } from '../helpers/postgres.js';
import { until } from '../helpers/wait.js';


describe('a crash mid-pull', () => {
  it('leaves the database consistent; the next run neither loses nor repeats an event', async () => {
    const h = await digital99Harness();
    const pending = h.world.addOnboarding();
    await h.sync();
    h.world.finishOnboarding(pending.onboarding_link);

    // A one-shot sync in its own process, killed while the numbers list is on its way.
    h.world.inject({ kind: 'latency', call: 'getWhatsApp', ms: 60_000 });
    const asked = h.world.calls.getWhatsApp ?? 0;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'sync'], {
      env: { ...process.env, ...h.env, LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await until(() => (h.world.calls.getWhatsApp ?? 0) > asked, 'the child to ask for numbers');
    // PostgreSQL: the child's staged onboardings are in the server's pull_item. SQLite stages in
    // the child's own temporary table, which no other connection sees and which dies with it.
    if (testBackend === 'postgres') {
      await until(
        async () => (await h.app.db.selectFrom('pull_item').select('key').execute()).length > 0,
        'the child to stage onboardings',
      );
    }
    child.kill('SIGKILL');
    await exited;

    const runs = await h.app.db.selectFrom('sync_run').select(['id', 'outcome']).orderBy('id').execute();
    expect(runs.map((r) => r.outcome)).toEqual(['complete', 'running']);
    expect(await listEvents(h.app.db)).toHaveLength(1); // the baseline only

    h.world.clearFaults();
    const next = await h.sync();
    expect(next.outcome).toBe('complete');
    const interrupted = await h.app.db
      .selectFrom('sync_run')
      .select(['outcome', 'error', 'error_code'])
      .where('id', '=', runs[1]!.id)
      .executeTakeFirstOrThrow();
    // Not ABORTED (a clean shutdown, ignored by alerts): a process that died counts as a failure.
    expect(interrupted).toEqual({ outcome: 'failed', error: 'interrupted: the process ended before the pull completed', error_code: 'INTERRUPTED' });
    // PostgreSQL's staging table, or on SQLite the file's (the child's own went with it).
    expect((await sql`select key from ${sql.raw(testBackend === 'postgres' ? 'pull_item' : 'main.pull_item')}`.execute(h.app.db)).rows).toEqual([]);
    const events = (await listEvents(h.app.db)).map((e) => `${e.type} ${e.key}`);
    expect(events).toEqual([
      'sync.baseline digital99',
      `onboarding.completed ${pending.onboarding_link}`,
      `number.added ${h.world.onboarding(pending.onboarding_link).whatsapp}`,
    ]);
  });
});
