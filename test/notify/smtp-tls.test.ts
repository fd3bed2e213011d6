/**
 * SMTP_URL with credentials over smtp:// requires STARTTLS: a server (or a man in the middle) that
 * offers none never receives the password. SMTP_ALLOW_PLAIN_AUTH=1 is the operator's explicit "yes".
 * Over the real SMTP peer, which offers no STARTTLS and would accept AUTH in plain text.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { parseConfig } from '../../src/config.js';
import { drainOutbox, enqueueEmail } from '../../src/notify/outbox.js';
import { SecretScrubber } from '../../src/secrets.js';
import { smtpTransport } from '../../src/notify/transport.js';
import { manualClock } from '../helpers/clock.js';
import { captureLog } from '../helpers/log.js';
import { startSmtp } from '../helpers/smtp.js';
import { tempDbPath } from '../helpers/temp.js';

async function queueAndDrain(env: Record<string, string>) {
  const config = parseConfig(env);
  const db = await openDatabase(env.DATABASE_URL!);
  const clock = manualClock();
  const logs = captureLog();
  const transport = smtpTransport(config.mail.smtp!, { connectionTimeoutMs: 5000 });
  try {
    await db.transaction().execute((trx) =>
      enqueueEmail(trx, { idempotencyKey: 'tls-test', to: ['ops@example.com'], subject: 'hello', text: 'hello', html: '<p>hello</p>' }, clock()),
    );
    const result = await drainOutbox({ db, clock, log: logs.log, transport, from: config.mail.from!, maxAttempts: 5, retryBaseMs: 60_000, scrubber: new SecretScrubber([config.mail.smtp!.pass!]) });
    return { result, logs };
  } finally {
    transport.close();
    await db.destroy();
  }
}

describe('SMTP credentials over smtp://', () => {
  it('are never sent to a server that offers no STARTTLS: the email stays queued with a TLS error', async () => {
    const smtp = await startSmtp();
    const { result, logs } = await queueAndDrain({ DATABASE_URL: tempDbPath(), SMTP_URL: smtp.url, MAIL_FROM: 'waba-sync@example.com' });
    expect(result).toMatchObject({ sent: 0, deferred: 1, pending: 1 });
    expect(result.lastError).toMatch(/STARTTLS|TLS/i);
    expect(smtp.mails).toHaveLength(0);
    // The client spoke to the server, but never authenticated: neither the password nor any
    // AUTH PLAIN / AUTH LOGIN encoding of it reached the wire.
    const wire = smtp.clientBytes();
    expect(wire).toMatch(/^EHLO /m);
    expect(wire).not.toMatch(/^AUTH /im);
    for (const form of [smtp.pass, Buffer.from(smtp.pass).toString('base64'), Buffer.from(`\0${smtp.user}\0${smtp.pass}`).toString('base64')]) {
      expect(wire).not.toContain(form);
    }
    expect(logs.text()).not.toContain(smtp.pass);
  });

  it('go through in plain text when SMTP_ALLOW_PLAIN_AUTH=1 says so', async () => {
    const smtp = await startSmtp();
    const { result } = await queueAndDrain({ DATABASE_URL: tempDbPath(), SMTP_URL: smtp.url, SMTP_ALLOW_PLAIN_AUTH: '1', MAIL_FROM: 'waba-sync@example.com' });
    expect(result).toMatchObject({ sent: 1, pending: 0 });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.authUser).toBe(smtp.user);
  });

  it('without credentials, or over smtps://, nothing more is required; a bad SMTP_ALLOW_PLAIN_AUTH is named', () => {
    const mail = { MAIL_FROM: 'waba-sync@example.com' };
    expect(parseConfig({ ...mail, SMTP_URL: 'smtp://mail.example.com' }).mail.smtp!.requireTls).toBe(false);
    expect(parseConfig({ ...mail, SMTP_URL: 'smtps://u:p@mail.example.com' }).mail.smtp!.requireTls).toBe(false);
    expect(parseConfig({ ...mail, SMTP_URL: 'smtp://u:p@mail.example.com' }).mail.smtp!.requireTls).toBe(true);
    expect(() => parseConfig({ ...mail, SMTP_URL: 'smtp://u:p@mail.example.com', SMTP_ALLOW_PLAIN_AUTH: 'yes' })).toThrow(/SMTP_ALLOW_PLAIN_AUTH: expected one of 0, 1/);
  });
});
