/**
 * Sending the monthly report: through the durable outbox to a real SMTP server on loopback, once
 * per month and recipient, with the catch-up the daemon runs at start.
 */
import { describe, expect, it } from 'vitest';
import { reportCatchUp, reportJob } from '../../jobs/report.js';
import type { Digital99Harness } from '../helpers/digital99.js';
import { cli, pullAt, reportHarness } from '../helpers/report.js';
import { type SmtpPeer, startSmtp } from '../helpers/smtp.js';

const RECIPIENTS = 'ops@example.com, Finance@Example.com';

async function octoberDone(env: Record<string, string> = {}): Promise<{ h: Digital99Harness; smtp: SmtpPeer }> {
  const smtp = await startSmtp();
  const h = await reportHarness({ REPORT_TO: RECIPIENTS, ...smtp.env, MAIL_FROM: 'waba-sync@example.com', ...env });
  const acme = h.world.addNumber({ display_name: 'Acme', business_name: 'Acme inc' });
  h.world.addTraffic(acme.whatsapp, { marketing: 4, service: 2, incoming: 1 });
  await pullAt(h, '2026-10-31T21:50:00Z');
  h.clock.set('2026-11-01T04:00:00Z');
  await h.restart(); // reload the configuration with REPORT_TO
  return { h, smtp };
}

const send = (h: Digital99Harness, extra: string[] = []) => cli(h, ['report', '--month', '2026-10', '--send', ...extra]);
const delivered = (smtp: SmtpPeer) => smtp.mails.map((m) => `${m.envelopeTo.join(',')} ${m.parsed.subject}`);

describe('report --send', () => {
  it('emails each recipient once per month; a second --send sends nothing; --force sends again', async () => {
    const { h, smtp } = await octoberDone();
    const first = await send(h);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('ops@example.com: queued (report:2026-10:ops@example.com)');
    expect(first.stdout).toContain('finance@example.com: queued (report:2026-10:finance@example.com)');
    expect(first.stdout).toContain('Sent 2 emails from the outbox; 0 pending.');
    expect(delivered(smtp)).toEqual([
      'ops@example.com WhatsApp conversations report: October 2026',
      'finance@example.com WhatsApp conversations report: October 2026',
    ]);

    const again = await send(h);
    expect(again.stdout).toContain('ops@example.com: already sent for 2026-10; use --force to send it again');
    expect(smtp.mails).toHaveLength(2);

    h.clock.advance(3_600_000);
    const forced = await send(h, ['--force']);
    expect(forced.stdout).toContain('ops@example.com: queued (report:2026-10:ops@example.com:resend:2026-11-01T05:00:00.000Z)');
    expect(smtp.mails).toHaveLength(4);
    const records = await h.app.db.selectFrom('report_delivery').selectAll().orderBy('queued_at').execute();
    expect(records.map((r) => [r.recipient, r.forced])).toEqual([
      ['ops@example.com', 0],
      ['finance@example.com', 0],
      ['ops@example.com', 1],
      ['finance@example.com', 1],
    ]);
  });

  it('SMTP down: the report waits in the outbox and goes out once when SMTP is back', async () => {
    const { h, smtp } = await octoberDone({ OUTBOX_RETRY_BASE_SECONDS: '1' });
    await smtp.down('refuse');
    const run = await send(h);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/not sent yet: 2/);
    await smtp.up();
    h.clock.advance(60_000);
    const scheduled = await reportJob(h.app, new AbortController().signal);
    expect(scheduled.outcome === 'sent' && scheduled.deliveries.map((d) => d.queued)).toEqual([false, false]);
    const { drainConfigured } = await import('../../src/notify/mailer.js');
    await drainConfigured({ db: h.app.db, clock: h.clock, log: h.logs.log, config: h.app.config });
    expect(delivered(smtp)).toHaveLength(2);
    await drainConfigured({ db: h.app.db, clock: h.clock, log: h.logs.log, config: h.app.config });
    expect(delivered(smtp)).toHaveLength(2);
  });

  it('catch-up at start sends last month only to recipients that never got it; the scheduled job does not send twice', async () => {
    const { h } = await octoberDone();
    const signal = new AbortController().signal;
    // ops@ got October's report by hand; the 1st's scheduled run was missed (daemon down) for finance@.
    await send(h);
    await h.app.db.deleteFrom('report_delivery').where('recipient', '=', 'finance@example.com').execute();
    await h.app.db.deleteFrom('outbox').where('idempotency_key', '=', 'report:2026-10:finance@example.com').execute();

    h.clock.set('2026-11-02T08:00:00Z');
    const caughtUp = await reportCatchUp(h.app, signal);
    expect(caughtUp).toMatchObject({ month: '2026-10', outcome: 'sent', deliveries: [{ recipient: 'finance@example.com', queued: true }] });
    expect(await reportCatchUp(h.app, signal)).toEqual({ month: '2026-10', outcome: 'skipped', reason: 'already sent to every recipient' });

    const scheduled = await reportJob(h.app, signal);
    expect(scheduled.outcome === 'sent' && scheduled.deliveries.map((d) => d.queued)).toEqual([false, false]);
    const outbox = await h.app.db.selectFrom('outbox').select('idempotency_key').orderBy('id').execute();
    expect(outbox.map((r) => r.idempotency_key)).toEqual(['report:2026-10:ops@example.com', 'report:2026-10:finance@example.com']);
  });

  it('a month-to-date send mid-month does not count as the month\'s report: the 1st still sends the final figures to everyone', async () => {
    const smtp = await startSmtp();
    const h = await reportHarness({ REPORT_TO: RECIPIENTS, ...smtp.env, MAIL_FROM: 'waba-sync@example.com' });
    const acme = h.world.addNumber({ display_name: 'Acme', business_name: 'Acme inc' });
    h.world.addTraffic(acme.whatsapp, { marketing: 4, service: 2, incoming: 1 });
    await pullAt(h, '2026-10-15T09:00:00Z');
    const toDate = await send(h);
    expect(toDate.code).toBe(0);
    expect(toDate.stdout).toContain('ops@example.com: queued (report:2026-10:to-date:2026-10-15T09:00:00.000Z:ops@example.com)');
    expect(delivered(smtp)).toEqual([
      'ops@example.com WhatsApp conversations report: October 2026 (month to date)',
      'finance@example.com WhatsApp conversations report: October 2026 (month to date)',
    ]);
    // A second look the same month is a new snapshot, not "already sent".
    h.clock.advance(60_000);
    expect((await send(h)).stdout).toContain('ops@example.com: queued (report:2026-10:to-date:2026-10-15T09:01:00.000Z:ops@example.com)');
    expect(smtp.mails).toHaveLength(4);

    h.world.addTraffic(acme.whatsapp, { marketing: 10, service: 0, incoming: 0 });
    await pullAt(h, '2026-10-31T21:50:00Z');
    h.clock.set('2026-11-01T04:00:00Z');
    const signal = new AbortController().signal;
    // The daemon restarted overnight: catch-up finds October never sent; the scheduled job then sends nothing twice.
    const caughtUp = await reportCatchUp(h.app, signal);
    expect(caughtUp.outcome === 'sent' && caughtUp.deliveries.map((d) => [d.recipient, d.queued])).toEqual([
      ['ops@example.com', true],
      ['finance@example.com', true],
    ]);
    const scheduled = await reportJob(h.app, signal);
    expect(scheduled.outcome === 'sent' && scheduled.deliveries.map((d) => d.queued)).toEqual([false, false]);
    const { drainConfigured } = await import('../../src/notify/mailer.js');
    await drainConfigured({ db: h.app.db, clock: h.clock, log: h.logs.log, config: h.app.config });
    expect(delivered(smtp).slice(4)).toEqual([
      'ops@example.com WhatsApp conversations report: October 2026',
      'finance@example.com WhatsApp conversations report: October 2026',
    ]);
    expect(smtp.mails[4]!.parsed.text).toMatch(/^conversations +17 /m);
  });

  it('sends nothing for a month before the first pull (a fresh installation)', async () => {
    const smtp = await startSmtp();
    const h = await reportHarness({ REPORT_TO: RECIPIENTS, ...smtp.env, MAIL_FROM: 'waba-sync@example.com' });
    h.clock.set('2026-11-01T04:00:00Z');
    const result = await reportCatchUp(h.app, new AbortController().signal);
    expect(result).toEqual({ month: '2026-10', outcome: 'skipped', reason: 'no complete 99digital pull before the month ended' });
    expect(await h.app.db.selectFrom('outbox').selectAll().execute()).toEqual([]);
  });

  it('the email that reaches the SMTP server carries the HTML, the text part, the inline PNGs and the CSV', async () => {
    const { h, smtp } = await octoberDone();
    await send(h);
    const mail = smtp.mails.find((m) => m.envelopeTo.includes('ops@example.com'))!.parsed;
    expect(mail.subject).toBe('WhatsApp conversations report: October 2026');
    expect(mail.text).toContain('Monthly conversation report — October 2026');
    const pngs = mail.attachments.filter((a) => a.contentType === 'image/png');
    expect(pngs.map((a) => a.filename).sort()).toEqual(['conversations-2026-10.png', 'trend-2026-10.png']);
    for (const png of pngs) {
      expect(png.contentDisposition).toBe('inline');
      expect(png.content.subarray(1, 4).toString('ascii')).toBe('PNG');
    }
    // mailparser swaps each cid: reference that matches an inline part for its data: URL.
    expect(String(mail.html).match(/src="data:image\/png;base64,/g)).toHaveLength(2);
    const csv = mail.attachments.find((a) => a.filename === 'conversations-2026-10.csv')!;
    expect(csv.contentType).toBe('text/csv');
    expect(csv.content.toString('utf8')).toMatch(/^whatsapp,display_name,business_name,coexistence,conversations,marketing,service,incoming,/);
  });

  it('is a usage error without REPORT_TO or without mail settings, and --force alone is one too', async () => {
    const { h } = await octoberDone();
    const noRecipients = await cli(h, ['report', '--month', '2026-10', '--send'], { REPORT_TO: '' });
    expect(noRecipients.code).toBe(2);
    expect(noRecipients.stderr).toContain('--send: REPORT_TO is not set');
    const noSmtp = await cli(h, ['report', '--month', '2026-10', '--send'], { SMTP_URL: '', MAIL_FROM: '' });
    expect(noSmtp.code).toBe(2);
    expect(noSmtp.stderr).toContain('SMTP_URL: required because REPORT_TO is set');
    const forceAlone = await cli(h, ['report', '--month', '2026-10', '--force']);
    expect(forceAlone.code).toBe(2);
    expect(forceAlone.stderr).toContain('--force: only with --send');
    expect(await h.app.db.selectFrom('report_delivery').selectAll().execute()).toEqual([]);
  });
});
