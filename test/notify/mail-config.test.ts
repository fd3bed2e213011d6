import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnv, parseConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

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
      smtp: { host: 'mail.example.com', port: 2525, secure: false, user: 'user@corp', pass: 'p:ss', requireTls: true },
      from: 'waba-sync <noreply@example.com>',
      digestTo: ['a@example.com', 'b@example.com'],
      alertTo: ['a@example.com', 'b@example.com'],
    });
    expect(parseConfig({ SMTP_URL: 'smtps://mail.example.com', MAIL_FROM: 'n@example.com' }).mail.smtp).toEqual({ host: 'mail.example.com', port: 465, secure: true, user: null, pass: null, requireTls: false });
    expect(parseConfig({ SMTP_URL: 'smtp://mail.example.com', MAIL_FROM: 'n@example.com', DIGEST_TO: 'a@example.com', ALERT_TO: 'pager@example.com' }).mail.alertTo).toEqual(['pager@example.com']);
    expect(parseConfig({}).mail).toEqual({ smtp: null, from: null, digestTo: [], alertTo: [] });
    expect(parseConfig({}).notify).toEqual({
      digestCron: '0 7 * * *',
      digestSectionLimit: 25,
      alertAfterFailures: 3,
      reconcileGraceHours: 24,
      onboardingStuckDays: 7,
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

  it('ALERT_TO set but empty means no alerts (not DIGEST_TO), also from a .env file', () => {
    const mail = { SMTP_URL: 'smtp://mail.example.com', MAIL_FROM: 'n@example.com', DIGEST_TO: 'ops@example.com' };
    expect(parseConfig({ ...mail, ALERT_TO: '' }).mail).toMatchObject({ digestTo: ['ops@example.com'], alertTo: [] });
    expect(parseConfig({ ...mail, ALERT_TO: '  ' }).mail.alertTo).toEqual([]);
    expect(parseConfig(mail).mail.alertTo).toEqual(['ops@example.com']);
    // An empty ALERT_TO asks for nothing, so it needs no SMTP_URL.
    expect(parseConfig({ ALERT_TO: '' }).mail.alertTo).toEqual([]);
    const cwd = tempDir();
    writeFileSync(join(cwd, '.env'), 'SMTP_URL=smtp://mail.example.com\nMAIL_FROM=n@example.com\nDIGEST_TO=ops@example.com\nALERT_TO=\n');
    expect(parseConfig(loadEnv({}, cwd)).mail.alertTo).toEqual([]);
  });

  it('an SMTP_URL that cannot be decoded (a stray % in the password) is a configuration error naming SMTP_URL, without the password', async () => {
    const message = problems({ SMTP_URL: 'smtp://u:50%off@mail.example.com', MAIL_FROM: 'n@example.com' });
    expect(message).toContain('SMTP_URL: the user or password is not valid percent-encoding');
    expect(message).toContain('%25');
    expect(message).not.toContain('50%off');
    expect(message).not.toContain('off@');
    const run = await cli(['status'], { SMTP_URL: 'smtp://u:50%off@mail.example.com', MAIL_FROM: 'n@example.com', DATABASE_URL: join(tempDir(), 'db.sqlite') });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('SMTP_URL: the user or password is not valid percent-encoding');
    expect(run.stderr + run.stdout).not.toContain('50%off');
  });

  it('REPORT_TO without SMTP_URL is rejected like DIGEST_TO and ALERT_TO', () => {
    expect(problems({ REPORT_TO: 'finance@example.com' })).toContain('SMTP_URL: required because REPORT_TO is set');
    expect(problems({ DIGEST_TO: 'ops@example.com', REPORT_TO: 'finance@example.com' })).toContain('SMTP_URL: required because DIGEST_TO and REPORT_TO are set');
    expect(problems({ SMTP_URL: 'smtp://mail.example.com', REPORT_TO: 'finance@example.com' })).toContain('MAIL_FROM: required because SMTP_URL is set');
  });
});
