/** EVENT_WEBHOOK_<NAME>_* and CHAT_WEBHOOK_URL: parsed, validated, every problem naming its variable, no secret repeated. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { retryDelayMs } from '../../src/delivery/settings.js';
import { SecretScrubber, configuredSecrets } from '../../src/secrets.js';

const SECRET = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
const base = { DATABASE_URL: '/tmp/never-opened.sqlite' };

function problems(env: Record<string, string>): string {
  try {
    parseConfig({ ...base, ...env });
  } catch (error) {
    return String((error as Error).message);
  }
  throw new Error('expected a configuration error');
}

describe('event delivery settings', () => {
  it('reads subscriptions, filters, the default schedule, and the chat URL; the secrets join the scrubber', () => {
    const config = parseConfig({
      ...base,
      EVENT_WEBHOOK_BILLING_URL: 'https://billing.example.com/hooks?x=1',
      EVENT_WEBHOOK_BILLING_SECRET: SECRET,
      EVENT_WEBHOOK_BILLING_TYPES: 'onboarding.*, waba.unshared',
      EVENT_WEBHOOK_LOCAL_2_URL: 'http://127.0.0.1:8080/in',
      EVENT_WEBHOOK_LOCAL_2_SECRET: SECRET,
      EVENT_WEBHOOK_LAN_URL: 'http://10.0.0.5/in',
      EVENT_WEBHOOK_LAN_SECRET: SECRET,
      EVENT_WEBHOOK_LAN_ALLOW_HTTP: '1',
      CHAT_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXXXXXX',
    });
    expect(config.delivery.subscriptions.map((s) => [s.name, s.url, s.types])).toEqual([
      ['BILLING', 'https://billing.example.com/hooks?x=1', ['onboarding.*', 'waba.unshared']],
      ['LAN', 'http://10.0.0.5/in', null],
      ['LOCAL_2', 'http://127.0.0.1:8080/in', null],
    ]);
    expect(config.delivery.retryDelaysMs).toEqual([5_000, 30_000, 120_000, 600_000, 3_600_000, 10_800_000]);
    expect(config.delivery.giveUpAfterMs).toBe(72 * 3_600_000);
    expect(config.delivery.concurrency).toBe(1);
    expect(retryDelayMs(config.delivery.retryDelaysMs, 9)).toBe(10_800_000);
    const scrubbed = new SecretScrubber(configuredSecrets(config)).scrub(`sig key ${SECRET} and ${SECRET.slice(6)} via https://hooks.slack.com/services/T000/B000/XXXXXXXX`);
    expect(scrubbed).not.toContain(SECRET.slice(6));
    expect(scrubbed).not.toContain('XXXXXXXX');
  });

  it('names every problem’s variable and never repeats a secret', () => {
    const message = problems({
      EVENT_WEBHOOK_PLAIN_URL: 'http://partner.example.com/hooks',
      EVENT_WEBHOOK_PLAIN_SECRET: SECRET,
      EVENT_WEBHOOK_SHORT_URL: 'https://a.example.com',
      EVENT_WEBHOOK_SHORT_SECRET: 'whsec_c2hvcnQ=',
      EVENT_WEBHOOK_TYPO_URL: 'https://b.example.com',
      EVENT_WEBHOOK_TYPO_SECRET: SECRET,
      EVENT_WEBHOOK_TYPO_TYPES: 'waba.sharde,nothing.*',
      EVENT_WEBHOOK_NOURL_SECRET: SECRET,
      EVENT_WEBHOOK_lower_URL: 'https://c.example.com',
      EVENT_WEBHOOK_X_SECRT: 'x',
      EVENT_WEBHOOK_RETRY_SCHEDULE: '5s,soon',
      CHAT_WEBHOOK_URL: 'http://chat.example.com/hook/s3cr3tpath',
    });
    expect(message).toContain('EVENT_WEBHOOK_PLAIN_URL: plain http:// is allowed only to loopback');
    expect(message).toContain('set EVENT_WEBHOOK_PLAIN_ALLOW_HTTP=1 to allow it');
    expect(message).toContain('EVENT_WEBHOOK_SHORT_SECRET: expected whsec_ followed by base64 of at least 24 random bytes (value not shown)');
    expect(message).toContain('EVENT_WEBHOOK_TYPO_TYPES: unknown event type or family "waba.sharde", "nothing.*"');
    expect(message).toContain('EVENT_WEBHOOK_NOURL_URL: required');
    expect(message).toContain('EVENT_WEBHOOK_lower_URL: the subscription name must be upper-case');
    expect(message).toContain('EVENT_WEBHOOK_X_SECRT: unknown setting');
    expect(message).toContain('EVENT_WEBHOOK_RETRY_SCHEDULE: expected a comma list of delays');
    expect(message).toContain('CHAT_WEBHOOK_URL: plain http:// is allowed only to loopback');
    expect(message).not.toContain('s3cr3tpath');
    expect(message).not.toContain(SECRET.slice(6));
    expect(message).not.toContain('c2hvcnQ');
  });
});
