import { afterEach, describe, expect, it } from 'vitest';
import parsePrometheus from 'parse-prometheus-text-format';
import { type App, openApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { parseConfig } from '../../src/config.js';
import { type Daemon, startDaemon } from '../../src/daemon/runtime.js';
import { cli } from '../helpers/cli.js';
import { captureLog } from '../helpers/log.js';
import { digital99Harness, type Digital99Harness } from '../helpers/digital99.js';
import { metaHarness } from '../helpers/meta.js';
import { healthMaxFullAgeSeconds } from '../../src/observability/health.js';
import { until } from '../helpers/wait.js';

const running: { daemon: Daemon; app: App }[] = [];
afterEach(async () => {
  while (running.length > 0) {
    const { daemon, app } = running.pop()!;
    await daemon.stop(2_000);
    await app.close();
  }
});

/** The real daemon runtime, on the real clock, against the harness's simulator and database. */
/** The real daemon; `clock` (default: the real one) stamps runs and judges freshness, node-cron fires on real time. */
async function daemonFor(h: Pick<Digital99Harness, 'env'>, env: Record<string, string>, clock?: Clock) {
  const logs = captureLog('info');
  const app = await openApp(parseConfig({ ...h.env, HTTP_PORT: '0', SYNC_CRON: '0 0 1 1 *', FULL_SYNC_CRON: '0 0 1 1 *', ...env }), { log: logs.log, clock });
  const daemon = await startDaemon(app);
  running.push({ daemon, app });
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${daemon.port}${path}`);
    return { status: response.status, text: await response.text() };
  };
  return { app, daemon, logs, get };
}


const runs = (app: App) => app.db.selectFrom('sync_run').selectAll().orderBy('id').execute();

describe('the daemon runtime', () => {
  it('runs jobs on second-level schedules; /healthz 200 with freshness; /metrics is Prometheus text', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    const { app, daemon, get } = await daemonFor(h, { SYNC_CRON: '* * * * * *' });
    expect(daemon.jobs.map((j) => j.name)).toEqual(['sync-incremental', 'sync-full', 'sync-month-end']);
    await until(async () => (await runs(app)).filter((r) => r.outcome === 'complete').length >= 2, 'two scheduled pulls');

    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ ok: true, stale: [], sources: [{ source: 'digital99', fresh: true }] });

    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    const families = parsePrometheus(metrics.text);
    const byName = new Map(families.map((f) => [f.name, f]));
    const runsTotal = byName.get('waba_sync_runs_total')!;
    expect(runsTotal.metrics.find((m) => m.labels?.outcome === 'complete' && m.labels?.source === 'digital99')).toBeDefined();
    expect(Number(byName.get('waba_sync_api_calls_total')!.metrics[0]!.value)).toBeGreaterThanOrEqual(3);
    expect(byName.get('waba_sync_events_total')!.metrics.map((m) => m.labels?.type)).toContain('sync.baseline');
    expect(Number(byName.get('waba_sync_last_success_timestamp_seconds')!.metrics[0]!.value)).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(byName.has('waba_sync_run_duration_seconds')).toBe(true);
    expect(byName.get('waba_sync_outbox_emails')!.metrics.map((m) => [m.labels?.status, m.value])).toEqual([
      ['pending', '0'],
      ['failed', '0'],
    ]);
  });

  it('never overlaps pulls of a source under a slow upstream, and holds the lease against a one-shot', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    h.world.inject({ kind: 'latency', call: 'getWhatsApp', ms: 1_500, times: 3 });
    const { app } = await daemonFor(h, { SYNC_CRON: '* * * * * *' });
    await until(() => (h.world.calls.getWhatsApp ?? 0) >= 1, 'a pull to be under way');

    const oneShot = await cli(['sync'], { ...h.env }, {});
    expect(oneShot.code).toBe(1);
    expect(oneShot.stdout).toContain('another process is pulling this source');

    await until(async () => (await runs(app)).filter((r) => r.outcome === 'complete').length >= 2, 'two slow pulls', 800);
    const ledger = (await runs(app)).filter((r) => r.finished_at);
    for (let i = 1; i < ledger.length; i++) expect(ledger[i]!.started_at >= ledger[i - 1]!.finished_at!).toBe(true);
  });

  it('health turns 503 naming the source once it has failed for longer than allowed, and 200 when it recovers', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    // Runs are stamped by the harness clock, so freshness does not depend on how fast this machine is.
    const { app, get } = await daemonFor(h, { SYNC_CRON: '* * * * * *', HEALTH_MAX_AGE_SECONDS: '3600' }, h.clock);
    await until(async () => (await runs(app)).some((r) => r.outcome === 'complete'), 'a complete pull');
    expect((await get('/healthz')).status).toBe(200);

    h.world.inject({ kind: 'http', call: 'getAccounts', status: 500, times: 100_000 });
    const failed = async () => (await runs(app)).filter((r) => r.outcome === 'failed').length;
    await until(async () => (await failed()) >= 1, 'a failed pull'); // from here on every pull fails
    h.clock.advance(2 * 3_600_000); // two hours of failing pulls
    const before = await failed();
    await until(async () => (await failed()) > before, 'a failed pull two hours later');
    const sick = await get('/healthz');
    expect(sick.status).toBe(503);
    expect(JSON.parse(sick.text)).toMatchObject({ ok: false, stale: ['digital99'], sources: [{ source: 'digital99', fresh: false }] });

    h.world.clearFaults();
    await until(async () => (await get('/healthz')).status === 200, 'recovery');
    expect(JSON.parse((await get('/healthz')).text)).toMatchObject({ ok: true, stale: [] });
  });

  it('health names "meta (full)" when incremental pulls complete but no full pull did within its age; status shows both', async () => {
    const h = await metaHarness();
    h.world.addPhoneNumber(h.world.shareWaba().id);
    // One full pull at start (catch-up), then incremental pulls every second and no full pull again.
    const { app, daemon, get } = await daemonFor(h, { SYNC_CRON: '* * * * * *', HEALTH_MAX_FULL_AGE_SECONDS: '1' });
    await daemon.caughtUp;
    await until(async () => (await runs(app)).some((r) => r.mode === 'incremental' && r.outcome === 'complete'), 'an incremental pull');
    await until(async () => (await get('/healthz')).status === 503, 'the full pull to be too old');
    const health = JSON.parse((await get('/healthz')).text);
    expect(health).toMatchObject({ ok: false, stale: ['meta (full)'], maxFullAgeSeconds: 1, sources: [{ source: 'meta', fresh: true, full: { fresh: false } }] });

    const status = await cli(['status'], { ...h.env });
    const ledger = await runs(app);
    const lastFull = ledger.filter((r) => r.mode === 'full' && r.outcome === 'complete').at(-1)!;
    expect(status.stdout).toContain('LAST COMPLETE FULL');
    expect(status.stdout).toMatch(new RegExp(`^meta .*${lastFull.finished_at}`, 'm'));
  });

  it('allows two FULL_SYNC_CRON periods for the full pull unless HEALTH_MAX_FULL_AGE_SECONDS says otherwise', () => {
    expect(healthMaxFullAgeSeconds(parseConfig({ FULL_SYNC_CRON: '0 */6 * * *' }))).toBe(12 * 3600);
    expect(healthMaxFullAgeSeconds(parseConfig({ FULL_SYNC_CRON: '0 */6 * * *', HEALTH_MAX_FULL_AGE_SECONDS: '90000' }))).toBe(90_000);
    expect(() => parseConfig({ HEALTH_MAX_FULL_AGE_SECONDS: 'a day' })).toThrow(/HEALTH_MAX_FULL_AGE_SECONDS: expected a whole number/);
  });

  it('catches up a missed full pull once at start, and not when the last one is recent', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    await h.sync(); // a full pull long ago (the harness clock is in the past)
    await h.app.close();
    const first = await daemonFor(h, { FULL_SYNC_CRON: '0 3 * * *' });
    await first.daemon.caughtUp;
    const afterCatchUp = await runs(first.app);
    expect(afterCatchUp.map((r) => `${r.mode} ${r.outcome}`)).toEqual(['full complete', 'full complete']);
    expect(first.logs.text()).toContain('"reason":"catch-up"');

    await first.daemon.stop();
    const second = await daemonFor(h, { FULL_SYNC_CRON: '0 3 * * *' });
    await second.daemon.caughtUp;
    expect(await runs(second.app)).toHaveLength(2);
  });

  it('a failing job never kills the daemon; the error is logged and counted', async () => {
    const h = await digital99Harness();
    const logs = captureLog('info');
    const app = await openApp(parseConfig({ ...h.env, HTTP_PORT: '0' }), { log: logs.log });
    let calls = 0;
    const daemon = await startDaemon(app, {
      jobs: [
        {
          name: 'explodes',
          variable: 'TEST_CRON',
          cron: '* * * * * *',
          run: async () => {
            calls += 1;
            throw new Error('boom');
          },
        },
      ],
    });
    running.push({ daemon, app });
    await until(() => calls >= 2, 'two failing runs');
    expect(logs.text()).toContain('"error":"Error: boom"');
    const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${daemon.port}/metrics`)).text());
    const unexpected = metrics.find((f) => f.name === 'waba_sync_unexpected_errors_total')!;
    expect(Number(unexpected.metrics[0]!.value)).toBeGreaterThanOrEqual(2);
  });
});

describe('the daemon catches up emails once at start', () => {
  it('a digest missed while it was down goes out once; a restart does not send it again', async () => {
    const { startSmtp } = await import('../helpers/smtp.js');
    const smtp = await startSmtp();
    const h = await digital99Harness();
    const link = h.world.addOnboarding().onboarding_link;
    await h.sync();
    h.world.finishOnboarding(link);
    await h.sync();
    await h.app.close();
    const mail = { ...smtp.env, MAIL_FROM: 'waba-sync@example.com', DIGEST_TO: 'ops@example.com', DIGEST_CRON: '0 7 * * *' };

    const first = await daemonFor(h, mail);
    await first.daemon.caughtUp;
    expect(smtp.mails.map((m) => m.envelopeTo.join(','))).toEqual(['ops@example.com']);
    expect(smtp.mails[0]!.parsed.text).toContain('onboarding');
    await first.daemon.stop();

    const second = await daemonFor(h, mail);
    await second.daemon.caughtUp;
    expect(smtp.mails).toHaveLength(1);
  });
});
