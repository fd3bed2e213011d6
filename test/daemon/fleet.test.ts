/**
 * Two daemons on one database (both backends; the PostgreSQL one with real processes is
 * ha.postgres.test.ts): each scheduled firing and the start-up catch-up run in one of them.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobDefinition } from '../../jobs/types.js';
import { type App, openApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { claimFiring } from '../../src/daemon/job-claim.js';
import { type Daemon, startDaemon } from '../../src/daemon/runtime.js';
import { listEvents } from '../../src/events/query.js';
import { acquireLease } from '../../src/sync/lease.js';
import { digital99Harness } from '../helpers/digital99.js';
import { captureLog } from '../helpers/log.js';
import { until } from '../helpers/wait.js';

const running: { daemon: Daemon; app: App }[] = [];
afterEach(async () => {
  for (const { daemon, app } of running.splice(0)) {
    await daemon.stop(2_000);
    await app.close();
  }
});

describe('several daemons on one database', () => {
  it('claim a firing once: the first claim of a job and slot wins, later ones and other jobs are apart', async () => {
    const h = await digital99Harness();
    const slot = new Date('2026-11-30T10:00:02.000Z');
    const now = new Date();
    expect(await claimFiring(h.app.db, { job: 'digest', scheduledAt: slot }, 'a', now)).toBe(true);
    expect(await claimFiring(h.app.db, { job: 'digest', scheduledAt: slot }, 'b', now)).toBe(false);
    expect(await claimFiring(h.app.db, { job: 'report', scheduledAt: slot }, 'b', now)).toBe(true);
    expect(await claimFiring(h.app.db, { job: 'digest', scheduledAt: new Date(slot.getTime() + 1000) }, 'b', now)).toBe(true);
  });

  it('run each scheduled firing in one daemon only, and the start-up catch-up once for both', { timeout: 30_000 }, async () => {
    const h = await digital99Harness();
    const fired: number[] = [];
    let catchUps = 0;
    const jobs = (daemon: number): JobDefinition[] => [
      {
        name: 'tick',
        variable: 'SYNC_CRON',
        cron: '* * * * * *',
        run: async () => {
          fired.push(daemon);
          return {};
        },
        catchUp: async () => {
          catchUps += 1;
          await sleep(500); // long enough for the other daemon to start its own catch-up meanwhile
          return {};
        },
      },
    ];
    const logs = [captureLog('info'), captureLog('info')];
    const start = async (daemon: number) => {
      const app = await openApp(parseConfig({ ...h.env, HTTP_PORT: '0' }), { log: logs[daemon - 1]!.log });
      const started = await startDaemon(app, { jobs: jobs(daemon) });
      running.push({ daemon: started, app });
      return started;
    };
    const both = await Promise.all([start(1), start(2)]);
    await Promise.all(both.map((daemon) => daemon.caughtUp));
    await until(() => fired.length >= 4, 'four firings', 1_200);
    for (const { daemon } of running) await daemon.stop(2_000);

    const claims = await h.app.db.selectFrom('job_claim').select(['scheduled_at']).where('job', '=', 'tick').execute();
    // One run per claimed slot, never two daemons on one (both daemons fire every second).
    expect(fired).toHaveLength(claims.length);
    // Once for both — or not at all when a scheduled firing of the job was running at that moment
    // (a loaded machine can fire the every-second job before the catch-up starts): never twice.
    const skippedWhileRunning = logs.some((l) => l.lines.some((line) => line.includes('"reason":"catch-up"') && line.includes('the previous run is still going')));
    expect(catchUps === 1 || (catchUps === 0 && skippedWhileRunning)).toBe(true);
  });

  it('take over a pull a process that is gone left running, without waiting for its next firing', async () => {
    const h = await digital99Harness();
    expect((await h.sync()).outcome).toBe('complete');
    h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    // What a daemon killed mid-pull leaves: its run `running`, its lease row naming it (on PostgreSQL
    // its session, and so its lock, ended with it).
    const dead = `${hostname()}:999999999:1:dead`;
    await h.app.db.insertInto('sync_run').values({ source: 'digital99', mode: 'full', started_at: h.clock().toISOString(), outcome: 'running', entities: 0, events: 0, api_calls: 0 }).execute();
    await acquireLease(h.app.db, 'sync:digital99', dead, h.clock(), 60 * 60_000);

    const app = await openApp(parseConfig({ ...h.env, HTTP_PORT: '0', SYNC_CRON: '0 0 1 1 *', FULL_SYNC_CRON: '0 0 1 1 *' }), { log: captureLog('info').log, clock: h.clock });
    running.push({ daemon: await startDaemon(app, { takeoverCheckMs: 100 }), app });
    const outcomes = async () => (await h.app.db.selectFrom('sync_run').select(['outcome', 'error_code']).orderBy('id').execute()).map((run) => run.error_code ?? run.outcome);
    await until(async () => (await outcomes()).length === 3 && (await outcomes())[2] === 'complete', 'the daemon to take the source over');
    expect(await outcomes()).toEqual(['complete', 'INTERRUPTED', 'complete']);
    expect((await listEvents(h.app.db)).map((event) => event.type)).toEqual(['sync.baseline', 'onboarding.created', 'number.added']);
  });
});
