import { describe, expect, it } from 'vitest';
import { SourceLocks } from '../../src/sync/source-locks.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { scheduleTable } from '../../jobs/schedule.js';
import { openApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { cli } from '../helpers/cli.js';
import { digital99Harness } from '../helpers/digital99.js';
import { metaHarness } from '../helpers/meta.js';
import { notifyAfterSync } from '../../src/notify/mailer.js';
import { startSmtp } from '../helpers/smtp.js';

async function setup() {
  const h = await digital99Harness();
  const smtp = await startSmtp();
  const env = {
    ...h.env,
    ...smtp.env,
    MAIL_FROM: 'waba-sync@example.com',
    DIGEST_TO: 'ops@example.com',
    ALERT_TO: 'oncall@example.com',
    ALERT_AFTER_FAILURES: '3',
  };
  const sync = async (overrides: Record<string, string> = {}) => {
    h.clock.advance(60_000);
    return cli(['sync'], { ...env, ...overrides }, { clock: h.clock, log: h.logs.log });
  };
  const subjects = () => smtp.mails.map((m) => m.parsed.subject);
  return { h, smtp, env, sync, subjects };
}

describe('alerts, once per episode', () => {
  it('alerts after N failed pulls in a row, once, then once when the source completes again', async () => {
    const { h, smtp, sync, subjects } = await setup();
    h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    expect((await sync()).code).toBe(0);

    h.world.inject({ call: 'getAccounts', kind: 'http', status: 503, times: 1000 });
    expect((await sync()).code).toBe(1);
    expect((await sync()).code).toBe(1);
    expect(smtp.mails).toHaveLength(0);
    const third = await sync();
    expect(third.code).toBe(1);
    expect(third.stdout).toContain('alert queued for oncall@example.com: [waba-sync] digital99 full pulls failed 3 times in a row');
    expect(subjects()).toEqual(['[waba-sync] digital99 full pulls failed 3 times in a row']);
    const alert = smtp.mails[0]!;
    expect(alert.envelopeTo).toEqual(['oncall@example.com']);
    expect(alert.parsed.text).toContain('Last error: digital99 getAccounts');
    expect(alert.parsed.text).toContain('503');

    await sync();
    await sync();
    expect(smtp.mails).toHaveLength(1);

    h.world.clearFaults();
    const recovered = await sync();
    expect(recovered.code).toBe(0);
    expect(subjects()).toEqual(['[waba-sync] digital99 full pulls failed 3 times in a row', '[waba-sync] digital99 full pulls recovered']);
    expect(smtp.mails[1]!.parsed.text).toContain('Failed pulls before it: 5');
    await sync();
    expect(smtp.mails).toHaveLength(2);

    // Fewer failures than the threshold: no episode.
    h.world.inject({ call: 'getWhatsApp', kind: 'malformed', times: 2 });
    await sync();
    await sync();
    await sync();
    expect(smtp.mails).toHaveLength(2);

    // A new episode is a new alert.
    h.world.inject({ call: 'getAccounts', kind: 'http', status: 500, times: 1000 });
    for (let i = 0; i < 3; i++) await sync();
    expect(subjects()).toHaveLength(3);
    expect(subjects()[2]).toBe('[waba-sync] digital99 full pulls failed 3 times in a row');
  });

  it('a crash loop alerts: pulls left running by a dead process count as failures, a shutdown does not', async () => {
    const { h, sync, subjects } = await setup();
    await sync();
    // Two processes died mid-pull (what recoverInterrupted finds at the start of the next pull)…
    for (let i = 0; i < 2; i++) {
      h.clock.advance(60_000);
      await h.app.db.insertInto('sync_run').values({ source: 'digital99', mode: 'full', started_at: h.clock().toISOString(), outcome: 'running', entities: 0, events: 0, api_calls: 0 }).execute();
    }
    // …and the third pull fails too: three failures in a row.
    h.world.inject({ call: 'getAccounts', kind: 'http', status: 503, times: 1000 });
    await sync();
    const runs = await h.app.db.selectFrom('sync_run').select(['outcome', 'error_code']).orderBy('id').execute();
    expect(runs.slice(1).map((r) => r.error_code)).toEqual(['INTERRUPTED', 'INTERRUPTED', 'UNAVAILABLE']);
    expect(subjects()).toEqual(['[waba-sync] digital99 full pulls failed 3 times in a row']);

    // Pulls stopped by a shutdown (ABORTED) still don't count.
    h.world.clearFaults();
    await sync();
    for (let i = 0; i < 3; i++) {
      h.clock.advance(60_000);
      await h.app.db.insertInto('sync_run').values({ source: 'digital99', mode: 'full', started_at: h.clock().toISOString(), finished_at: h.clock().toISOString(), outcome: 'failed', error_code: 'ABORTED', entities: 0, events: 0, api_calls: 0 }).execute();
    }
    h.world.inject({ call: 'getAccounts', kind: 'http', status: 503, times: 1 });
    await sync();
    expect(subjects()).toEqual(['[waba-sync] digital99 full pulls failed 3 times in a row', '[waba-sync] digital99 full pulls recovered']);
  });

  it('alerts at once on rejected credentials, escalates a failing episode, and never mails a secret', async () => {
    const { h, smtp, sync, subjects } = await setup();
    await sync();
    const wrong = 'definitely-not-the-secret';
    const first = await sync({ DIGITAL99_CLIENT_SECRET: wrong });
    expect(first.code).toBe(1);
    expect(subjects()).toEqual(['[waba-sync] digital99: credentials rejected (full pulls)']);
    const text = smtp.mails[0]!.parsed.text!;
    expect(text).toContain('Replace DIGITAL99_CLIENT_ID and DIGITAL99_CLIENT_SECRET');
    expect(text).toContain('wrong client id or client secret (reason 2)');
    for (let i = 0; i < 3; i++) await sync({ DIGITAL99_CLIENT_SECRET: wrong });
    expect(smtp.mails).toHaveLength(1);

    await sync();
    expect(subjects()).toEqual(['[waba-sync] digital99: credentials rejected (full pulls)', '[waba-sync] digital99 full pulls recovered']);

    // Failing for another reason first, then the credentials go bad: one more email, then recovery.
    h.world.inject({ call: 'getWhatsApp', kind: 'http', status: 502, times: 1000 });
    for (let i = 0; i < 3; i++) await sync();
    h.world.clearFaults();
    await sync({ DIGITAL99_CLIENT_SECRET: wrong });
    await sync({ DIGITAL99_CLIENT_SECRET: wrong });
    await sync();
    expect(subjects().slice(2)).toEqual([
      '[waba-sync] digital99 full pulls failed 3 times in a row',
      '[waba-sync] digital99: credentials rejected (full pulls)',
      '[waba-sync] digital99 full pulls recovered',
    ]);

    const raw = smtp.mails.map((m) => m.raw).join('\n');
    for (const secret of [wrong, h.world.clientSecret, smtp.pass, ...[...h.world.numbers.values()].map((n) => n.apiKey)]) expect(raw).not.toContain(secret);
    expect(h.logs.text()).not.toContain(smtp.pass);
  });

  it('the daemon schedules the digest when it has somewhere to go, and its sync job alerts and drains', async () => {
    const { h, smtp, env } = await setup();
    await h.app.close();
    const app = await openApp(parseConfig({ ...env, DIGEST_CRON: '30 6 * * *' }), { clock: h.clock, log: h.logs.log });
    h.app = app;
    const table = scheduleTable(app.config);
    expect(table.map((job) => [job.name, job.variable, job.cron])).toEqual([
      ['sync-incremental', 'SYNC_CRON', '*/15 * * * *'],
      ['sync-full', 'FULL_SYNC_CRON', '0 */6 * * *'],
      ['sync-month-end', 'MONTH_END_SYNC_CRON', '50 23 L * *'],
      ['digest', 'DIGEST_CRON', '30 6 * * *'],
    ]);
    const ctx = { app, signal: new AbortController().signal, locks: new SourceLocks(), metrics: createMetrics(app.db, () => [...app.sources.keys()]) };
    await table[0]!.run(ctx);
    h.world.expireTokens();
    h.world.inject({ call: 'accessToken', kind: 'reason', reason: 3, times: 1 });
    h.clock.advance(60_000);
    await table[0]!.run(ctx);
    expect(smtp.mails.map((m) => m.parsed.subject)).toEqual(['[waba-sync] digital99: the upstream blocked us (full pulls)']);
    await table.find((job) => job.name === 'digest')!.run(ctx);
    expect(smtp.mails.map((m) => m.parsed.subject)).toHaveLength(2);
    expect(smtp.mails[1]!.envelopeTo).toEqual(['ops@example.com']);
    expect(smtp.mails[1]!.parsed.text).toMatch(/digital99: last complete pull .*, 1 failed pull since; last error: .*IP is blocked/);

    const withoutMail = await openApp(parseConfig(h.env), { clock: h.clock, log: h.logs.log });
    expect(scheduleTable(withoutMail.config).map((job) => job.name)).toEqual(['sync-incremental', 'sync-full', 'sync-month-end']);
    await withoutMail.close();
  });
});

describe('alerts per mode (Meta: full and incremental pulls)', () => {
  it('full pulls failing while incremental ones complete alert, name the mode, and recover only with a full pull', async () => {
    const h = await metaHarness();
    const smtp = await startSmtp();
    const config = parseConfig({ ...h.env, ...smtp.env, MAIL_FROM: 'waba-sync@example.com', ALERT_TO: 'oncall@example.com', ALERT_AFTER_FAILURES: '3' });
    const waba = h.world.shareWaba();
    h.world.addPhoneNumber(waba.id);
    const pull = async (mode: 'full' | 'incremental') => {
      const result = await h.sync(mode);
      await notifyAfterSync({ db: h.app.db, clock: h.clock, log: h.logs.log, config });
      return result;
    };
    expect((await pull('full')).outcome).toBe('complete');

    // Listing owned WABAs is no longer permitted: every full pull fails; incremental ones don't read them.
    h.world.inject({ call: 'owned_whatsapp_business_accounts', kind: 'graph_error', code: 200, message: '(#200) Requires whatsapp_business_management permission', times: 1000 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) expect((await pull('incremental')).outcome).toBe('complete');
      expect((await pull('full')).outcome).toBe('failed');
    }
    for (let i = 0; i < 3; i++) await pull('incremental');
    expect(smtp.mails.map((m) => m.parsed.subject)).toEqual(['[waba-sync] meta full pulls failed 3 times in a row']);
    expect(smtp.mails[0]!.parsed.text).toContain('Last error: meta');
    expect(smtp.mails[0]!.parsed.text).toContain('whatsapp_business_management');

    h.world.clearFaults();
    await pull('full');
    await pull('incremental');
    expect(smtp.mails.map((m) => m.parsed.subject)).toEqual(['[waba-sync] meta full pulls failed 3 times in a row', '[waba-sync] meta full pulls recovered']);
  });
});

