import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

function problems(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('mail settings', () => {
  it('reads SMTP_URL (plain/STARTTLS or implicit TLS), the sender and the recipient lists, ALERT_TO defaulting to DIGEST_TO', () => {
    const config = parseConfig({ SMTP_URL: 'smtp://user%40corp:p%3Ass@mail.example.com:2525', MAIL_FROM: 'waba-sync <noreply@example.com>', DIGEST_TO: 'a@example.com, b@example.com' });
    expect(config.mail).toEqual({
      smtp: { host: 'mail.example.com', port: 2525, secure: false, user: 'user@corp', pass: 'p:ss' },
      from: 'waba-sync <noreply@example.com>',
      digestTo: ['a@example.com', 'b@example.com'],
      alertTo: ['a@example.com', 'b@example.com'],
    });
    expect(parseConfig({ SMTP_URL: 'smtps://mail.example.com', MAIL_FROM: 'n@example.com' }).mail.smtp).toEqual({ host: 'mail.example.com', port: 465, secure: true, user: null, pass: null });
    expect(parseConfig({ SMTP_URL: 'smtp://mail.example.com', MAIL_FROM: 'n@example.com', DIGEST_TO: 'a@example.com', ALERT_TO: 'pager@example.com' }).mail.alertTo).toEqual(['pager@example.com']);
    expect(parseConfig({}).mail).toEqual({ smtp: null, from: null, digestTo: [], alertTo: [] });
    expect(parseConfig({}).notify).toEqual({
      digestCron: '0 7 * * *',
      digestSectionLimit: 25,
      alertAfterFailures: 3,
      reconcileGraceHours: 24,
      outboxMaxAttempts: 8,
      outboxRetryBaseMs: 60_000,
    });
  });

  it('names each bad variable, and never repeats an SMTP password', () => {
    const message = problems({
      SMTP_URL: 'http://user:hunter2@mail.example.com',
      DIGEST_TO: 'ops@example.com, not-an-address',
      ALERT_AFTER_FAILURES: '0',
      DIGEST_CRON: 'every day',
    });
    expect(message).toContain('SMTP_URL: unsupported scheme "http"');
    expect(message).not.toContain('hunter2');
    expect(message).toContain('DIGEST_TO: expected comma-separated email addresses; not an address: "not-an-address"');
    expect(message).toContain('ALERT_AFTER_FAILURES: expected a whole number from 1 to 1000');
    expect(message).toContain('DIGEST_CRON: not a valid cron expression');
    expect(problems({ SMTP_URL: 'smtp://u:hunter2@mail.example.com/path' })).not.toContain('hunter2');
    expect(problems({ SMTP_URL: 'smtp://mail.example.com' })).toContain('MAIL_FROM: required because SMTP_URL is set');
    expect(problems({ DIGEST_TO: 'ops@example.com' })).toContain('SMTP_URL: required because DIGEST_TO is set');
    expect(problems({ SMTP_URL: 'smtp://mail.example.com', MAIL_FROM: 'nobody' })).toContain('MAIL_FROM: expected an email address');
  });
});
