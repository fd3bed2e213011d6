/**
 * Mail after an outage: an email queued while SMTP was down waits out its backoff in the daemon,
 * but a command an operator types (`digest --send`, `report --send`, `outbox --send`) tries every
 * pending email at once. Over the real SMTP peer; the retry delay is an hour, so nothing here
 * reaches it by the clock.
 */
import { describe, expect, it } from 'vitest';
import { drainConfigured } from '../../src/notify/mailer.js';
import { cli } from '../helpers/cli.js';
import { digital99Harness } from '../helpers/digital99.js';
import { cli as reportCli, pullAt, reportHarness } from '../helpers/report.js';
import { startSmtp } from '../helpers/smtp.js';

const HOUR_BACKOFF = { OUTBOX_RETRY_BASE_SECONDS: '3600' };

/** A digest queued while SMTP refused connections; SMTP is back when this returns. */
async function digestQueuedDuringOutage() {
  const h = await digital99Harness();
  const smtp = await startSmtp();
  const env = { ...h.env, ...smtp.env, ...HOUR_BACKOFF, MAIL_FROM: 'waba-sync@example.com', DIGEST_TO: 'ops@example.com' };
  const run = (...args: string[]) => cli(args, env, { clock: h.clock, log: h.logs.log });
  await h.sync();
  await smtp.down('refuse');
  const queued = await run('digest', '--send');
  expect(queued.stdout).toContain('Queued digest #1');
  expect(queued.stdout).toMatch(/not sent yet: 1 .*ECONNREFUSED/);
  await smtp.up();
  h.clock.advance(60_000);
  return { h, smtp, env, run };
}

describe('sending after a mail outage', () => {
  it('digest --send with nothing new sends the queued digest at once, and only once', async () => {
    const { smtp, run } = await digestQueuedDuringOutage();
    const again = await run('digest', '--send');
    expect(again.stdout).toContain('Nothing new');
    expect(again.stdout).toContain('Sent 1 email from the outbox; 0 pending.');
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.parsed.text).toContain('sync.baseline');
    await run('digest', '--send');
    expect(smtp.mails).toHaveLength(1);
  });

  it('outbox --send sends every pending email now, then lists it as sent', async () => {
    const { smtp, run } = await digestQueuedDuringOutage();
    const sent = await run('outbox', '--send');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('Sent 1 email from the outbox; 0 pending.');
    expect(sent.stdout).toContain('0 pending, 0 failed');
    expect(sent.stdout).toMatch(/\ssent\s+2\s/);
    expect(smtp.mails).toHaveLength(1);
    expect((await run('outbox', '--send')).stdout).toContain('Sent 0 emails from the outbox; 0 pending.');
    expect(smtp.mails).toHaveLength(1);
  });

  it('the daemon keeps the backoff: its drain sends nothing until the retry delay has passed', async () => {
    const { h, smtp, env } = await digestQueuedDuringOutage();
    const { parseConfig } = await import('../../src/config.js');
    const deps = { db: h.app.db, clock: h.clock, log: h.logs.log, config: parseConfig(env) };
    expect(await drainConfigured(deps)).toMatchObject({ sent: 0, pending: 1 });
    expect(smtp.mails).toHaveLength(0);
    h.clock.advance(3_600_000);
    expect(await drainConfigured(deps)).toMatchObject({ sent: 1, pending: 0 });
    expect(smtp.mails).toHaveLength(1);
  });

  it('outbox --send without mail settings is a usage error naming them', async () => {
    const h = await digital99Harness();
    const run = await cli(['outbox', '--send'], h.env, { clock: h.clock });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('set SMTP_URL and MAIL_FROM');
  });

  it('report --send after the outage sends the queued reports at once, each once', async () => {
    const smtp = await startSmtp();
    const h = await reportHarness({ REPORT_TO: 'ops@example.com', ...smtp.env, ...HOUR_BACKOFF, MAIL_FROM: 'waba-sync@example.com' });
    const acme = h.world.addNumber({ display_name: 'Acme' });
    h.world.addTraffic(acme.whatsapp, { marketing: 1 });
    await pullAt(h, '2026-10-31T21:50:00Z');
    h.clock.set('2026-11-01T04:00:00Z');
    await h.restart();
    await smtp.down('refuse');
    expect((await reportCli(h, ['report', '--month', '2026-10', '--send'])).stdout).toMatch(/not sent yet: 1/);
    await smtp.up();
    h.clock.advance(60_000);
    const again = await reportCli(h, ['report', '--month', '2026-10', '--send']);
    expect(again.stdout).toContain('already sent for 2026-10');
    expect(again.stdout).toContain('Sent 1 email from the outbox; 0 pending.');
    expect(smtp.mails.map((m) => m.parsed.subject)).toEqual(['WhatsApp conversations report: October 2026']);
  });
});
