/**
 * `npm run sync` killed with SIGKILL (its whole process group) mid-pull, five times in a row: the
 * next sync neither waits for the dead holders' leases nor loses or repeats an event.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/query.js';
import { digital99Harness } from '../helpers/digital99.js';
import { until } from '../helpers/wait.js';

describe('a sync killed again and again', () => {
  it('five SIGKILLs of a slow sync’s process group, then `npm run sync` completes and reports every change once', { timeout: 120_000 }, async () => {
    const h = await digital99Harness();
    const pending = h.world.addOnboarding();
    await h.sync();
    h.world.finishOnboarding(pending.onboarding_link);
    const added = h.world.addOnboarding();
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...h.env, LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv;

    const asked = h.world.calls.getWhatsApp ?? 0;
    for (let round = 1; round <= 5; round++) {
      // The numbers list takes a minute: the sync holds the lease and has staged the onboardings.
      h.world.inject({ kind: 'latency', call: 'getWhatsApp', ms: 60_000 });
      const child: ChildProcess = spawn('npm', ['run', '--silent', 'sync'], { env, detached: true, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await until(() => h.world.calls.getWhatsApp === asked + round, `round ${round}: the sync to ask for numbers`);
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    }

    h.world.clearFaults();
    // Not spawnSync: this process serves the simulator.
    const final = spawn('npm', ['run', '--silent', 'sync'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    final.stdout.on('data', (chunk) => (output += String(chunk)));
    final.stderr.on('data', (chunk) => (output += String(chunk)));
    const code = await new Promise((resolve) => final.once('exit', resolve));
    expect(output).toMatch(/digital99\s+full\s+complete/);
    expect(code).toBe(0);

    const events = (await listEvents(h.app.db)).map((e) => `${e.type} ${e.key}`);
    expect(events).toEqual([
      'sync.baseline digital99',
      `onboarding.completed ${pending.onboarding_link}`,
      `onboarding.created ${added.onboarding_link}`,
      `number.added ${h.world.onboarding(pending.onboarding_link).whatsapp}`,
    ]);
    const runs = await h.app.db.selectFrom('sync_run').select(['outcome', 'error_code']).orderBy('id').execute();
    expect(runs.map((r) => r.error_code ?? r.outcome)).toEqual(['complete', 'INTERRUPTED', 'INTERRUPTED', 'INTERRUPTED', 'INTERRUPTED', 'INTERRUPTED', 'complete']);
  });
});
