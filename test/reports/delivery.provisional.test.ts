/**
 * PROVISIONAL — to be finished after the outbox (issue 5) is merged.
 *
 * Sending the report goes through the durable outbox (src/notify/outbox.ts: enqueueEmail /
 * drainOutbox), built in parallel and not on this branch. These tests drive the report's side of
 * that contract — one email per month and recipient, the delivery record written in the same
 * transaction, --force, the catch-up — through `testEnqueue`, a stand-in that only remembers
 * idempotency keys. It is NOT the final word: after the merge, replace `testEnqueue` with the real
 * `enqueueEmail` and deliver with `drainOutbox` to the SMTP server below, so that "sent once",
 * "catch-up after a missed 1st" and the SMTP round trip go through the real outbox end to end.
 */
import { Writable } from 'node:stream';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { monthEndSyncJob, reportCatchUp, reportJob } from '../../jobs/report.js';
import type { Enqueue } from '../../reports/outbox.js';
import { reportCommand } from '../../src/commands/report.js';
import type { OutgoingEmail } from '../../src/notify/email.js';
import type { Digital99Harness } from '../helpers/digital99.js';
import { cli, pullAt, reportHarness } from '../helpers/report.js';
import { startSmtp } from '../helpers/smtp.js';

const RECIPIENTS = 'ops@example.com, Finance@Example.com';

/** Stand-in for the outbox's enqueueEmail: insists on a transaction, dedups by idempotency key. */
function testEnqueue() {
  const emails = new Map<string, OutgoingEmail>();
  const enqueue: Enqueue = async (trx, email) => {
    if (!trx.isTransaction) throw new Error('enqueue must run inside a transaction');
    if (emails.has(email.idempotencyKey)) return false;
    emails.set(email.idempotencyKey, email);
    return true;
  };
  return { emails, enqueue };
}

async function octoberDone(env = {}) {
  const h = await reportHarness({ REPORT_TO: RECIPIENTS, ...env });
  const acme = h.world.addNumber({ display_name: 'Acme', business_name: 'Acme inc' });
  h.world.addTraffic(acme.whatsapp, { marketing: 4, service: 2, incoming: 1 });
  await pullAt(h, '2026-10-31T21:50:00Z');
  h.clock.set('2026-11-01T04:00:00Z');
  await h.restart(); // reload the configuration with REPORT_TO
  return h;
}

async function send(h: Digital99Harness, enqueue: Enqueue, extra: { force?: boolean } = {}) {
  let stdout = '';
  const out = new Writable({
    write(chunk, _e, done) {
      stdout += String(chunk);
      done();
    },
  });
  const code = await reportCommand({ env: h.env, cwd: process.cwd(), stdout: out, stderr: out, clock: h.clock, log: h.logs.log }, { month: '2026-10', send: true, ...extra }, { enqueue });
  return { code, stdout };
}

describe('report --send (provisional: against a stand-in for the outbox)', () => {
  it('queues one email per recipient once per month; a second --send sends nothing; --force sends again', async () => {
    const h = await octoberDone();
    const outbox = testEnqueue();
    const first = await send(h, outbox.enqueue);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('ops@example.com: queued (report:2026-10:ops@example.com)');
    expect(first.stdout).toContain('finance@example.com: queued (report:2026-10:finance@example.com)');
    expect([...outbox.emails.keys()]).toEqual(['report:2026-10:ops@example.com', 'report:2026-10:finance@example.com']);

    const again = await send(h, outbox.enqueue);
    expect(again.stdout).toContain('ops@example.com: already sent for 2026-10; use --force to send it again');
    expect(outbox.emails.size).toBe(2);

    h.clock.advance(3_600_000);
    const forced = await send(h, outbox.enqueue, { force: true });
    expect(forced.stdout).toContain('ops@example.com: queued (report:2026-10:ops@example.com:resend:2026-11-01T05:00:00.000Z)');
    expect(outbox.emails.size).toBe(4);
    const records = await h.app.db.selectFrom('report_delivery').selectAll().orderBy('queued_at').execute();
    expect(records.map((r) => [r.recipient, r.forced])).toEqual([
      ['ops@example.com', 0],
      ['finance@example.com', 0],
      ['ops@example.com', 1],
      ['finance@example.com', 1],
    ]);
  });

  it('catch-up at start sends last month only to recipients that never got it; the scheduled job does not send twice', async () => {
    const h = await octoberDone();
    const outbox = testEnqueue();
    const signal = new AbortController().signal;
    // ops@ got October's report by hand; the 1st's scheduled run was missed (daemon down).
    await send(h, outbox.enqueue);
    await h.app.db.deleteFrom('report_delivery').where('recipient', '=', 'finance@example.com').execute();
    outbox.emails.delete('report:2026-10:finance@example.com');

    h.clock.set('2026-11-02T08:00:00Z');
    const caughtUp = await reportCatchUp(h.app, signal, { enqueue: outbox.enqueue });
    expect(caughtUp).toMatchObject({ month: '2026-10', outcome: 'sent', deliveries: [{ recipient: 'finance@example.com', queued: true }] });
    expect(await reportCatchUp(h.app, signal, { enqueue: outbox.enqueue })).toEqual({ month: '2026-10', outcome: 'skipped', reason: 'already sent to every recipient' });

    const scheduled = await reportJob(h.app, signal, { enqueue: outbox.enqueue });
    expect(scheduled.outcome === 'sent' && scheduled.deliveries.map((d) => d.queued)).toEqual([false, false]);
    expect(outbox.emails.size).toBe(2);
  });

  it('sends nothing for a month before the first pull (a fresh installation)', async () => {
    const h = await reportHarness({ REPORT_TO: RECIPIENTS });
    h.clock.set('2026-11-01T04:00:00Z');
    const outbox = testEnqueue();
    const result = await reportCatchUp(h.app, new AbortController().signal, { enqueue: outbox.enqueue });
    expect(result).toEqual({ month: '2026-10', outcome: 'skipped', reason: 'no complete 99digital pull before the month ended' });
    expect(outbox.emails.size).toBe(0);
  });

  it('an email that reaches a real SMTP server carries the HTML, the text part, the inline PNGs and the CSV', async () => {
    const h = await octoberDone();
    const outbox = testEnqueue();
    await send(h, outbox.enqueue);
    const email = outbox.emails.get('report:2026-10:ops@example.com')!;

    // Until drainOutbox exists, hand the OutgoingEmail to nodemailer the plain way.
    const smtp = await startSmtp();
    const transport = nodemailer.createTransport(smtp.url);
    await transport.sendMail({
      from: 'waba-sync@example.com',
      to: [...email.to],
      subject: email.subject,
      text: email.text,
      html: email.html,
      attachments: email.attachments?.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content, cid: a.cid })),
    });
    const [mail] = await smtp.waitFor(1);
    expect(mail!.subject).toBe('WhatsApp conversations report: October 2026');
    expect(mail!.text).toContain('Monthly conversation report — October 2026');
    const pngs = mail!.attachments.filter((a) => a.contentType === 'image/png');
    expect(pngs.map((a) => a.filename).sort()).toEqual(['conversations-2026-10.png', 'trend-2026-10.png']);
    for (const png of pngs) {
      expect(png.contentDisposition).toBe('inline');
      expect(png.content.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect(email.html).toContain(`src="cid:${png.contentId!.replace(/^<|>$/g, '')}"`);
    }
    const csv = mail!.attachments.find((a) => a.filename === 'conversations-2026-10.csv')!;
    expect(csv.contentType).toBe('text/csv');
    expect(csv.content.toString('utf8')).toMatch(/^whatsapp,display_name,business_name,coexistence,conversations,marketing,service,incoming,/);
  });
});

describe('report --send without the outbox', () => {
  it('fails with a clear message and sends nothing while the outbox is not available', async () => {
    const h = await octoberDone();
    const run = await cli(h, ['report', '--month', '2026-10', '--send']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('report --send: the email outbox is not available in this version yet, so nothing was sent; use --out DIR to write the report to files');
    expect(await h.app.db.selectFrom('report_delivery').selectAll().execute()).toEqual([]);
  });

  it('is a usage error without REPORT_TO, and --force alone is one too', async () => {
    const h = await octoberDone({ REPORT_TO: '' });
    const noRecipients = await cli(h, ['report', '--month', '2026-10', '--send'], { REPORT_TO: '' });
    expect(noRecipients.code).toBe(2);
    expect(noRecipients.stderr).toContain('--send: REPORT_TO is not set');
    const forceAlone = await cli(h, ['report', '--month', '2026-10', '--force']);
    expect(forceAlone.code).toBe(2);
    expect(forceAlone.stderr).toContain('--force: only with --send');
  });
});

describe('the month-end pull', () => {
  it('pulls 99digital once more so the month has a reading close to its end', async () => {
    const h = await octoberDone();
    h.clock.set('2026-11-30T21:50:00Z');
    const [result] = await monthEndSyncJob(h.app, new AbortController().signal);
    expect(result).toMatchObject({ source: 'digital99', outcome: 'complete' });
  });
});
