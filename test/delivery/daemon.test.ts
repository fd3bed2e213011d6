/**
 * End to end in the real daemon: a pull's events reach a subscriber's receiver (signed, filtered)
 * and the chat webhook (inert text from a hostile business name), /metrics counts them, and
 * `outbox` and `status` list them.
 */
import parsePrometheus from 'parse-prometheus-text-format';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, openApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { type Daemon, startDaemon } from '../../src/daemon/runtime.js';
import { cli } from '../helpers/cli.js';
import { SECRET_A } from '../helpers/delivery.js';
import { digital99Harness } from '../helpers/digital99.js';
import { captureLog } from '../helpers/log.js';
import { startReceiver } from '../helpers/receiver.js';
import { until } from '../helpers/wait.js';

const running: { daemon: Daemon; app: App }[] = [];
afterEach(async () => {
  while (running.length > 0) {
    const { daemon, app } = running.pop()!;
    await daemon.stop(2_000);
    await app.close();
  }
});

const HOSTILE = 'Acme <!channel> <https://evil.example/login|Reset your password> & @channel "quoted" \u202eevil';

describe('event delivery in the daemon', () => {
  it('delivers a pull’s events to the subscriber and the chat, counts them, and lists them in outbox and status', async () => {
    const billing = await startReceiver();
    const chat = await startReceiver();
    const h = await digital99Harness();
    const onboarding = h.world.addOnboarding({ business_name: HOSTILE, display_name: HOSTILE });
    const env = {
      ...h.env,
      HTTP_PORT: '0',
      SYNC_CRON: '* * * * * *',
      FULL_SYNC_CRON: '0 0 1 1 *',
      EVENT_WEBHOOK_BILLING_URL: billing.url,
      EVENT_WEBHOOK_BILLING_SECRET: SECRET_A,
      EVENT_WEBHOOK_BILLING_TYPES: 'onboarding.*',
      CHAT_WEBHOOK_URL: chat.url,
    };
    const app = await openApp(parseConfig(env), { log: captureLog('info').log });
    const daemon = await startDaemon(app);
    running.push({ daemon, app });
    await until(async () => (await app.db.selectFrom('sync_run').select('id').where('outcome', '=', 'complete').execute()).length >= 1, 'the baseline pull');
    h.world.finishOnboarding(onboarding.onboarding_link);
    await until(async () => billing.received.length >= 1 && chat.received.length >= 1, 'the onboarding delivered');

    const [delivered] = billing.received;
    const payload = new Webhook(SECRET_A.slice('whsec_'.length)).verify(delivered!.body, delivered!.headers as Record<string, string>) as { type: string; source: string };
    expect(payload).toMatchObject({ type: 'onboarding.completed', source: 'digital99' });
    expect(billing.received.every((r) => JSON.parse(r.body).type.startsWith('onboarding.'))).toBe(true);

    // Valid JSON; the name's markup escaped, so no mention and no link; the event still named.
    const text = (JSON.parse(chat.received[0]!.body) as { text: string }).text;
    expect(text).toContain('onboarding.completed');
    expect(text).toContain('Acme &lt;!channel&gt; &lt;https://evil.example/login|Reset your password&gt; &amp; @\u2060channel');
    expect(text).not.toMatch(/<[!@#]|<https?:|(^|[^\u2060])@channel\b|\u202e/);

    const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${daemon.port}/metrics`)).text());
    const byName = new Map(metrics.map((f) => [f.name, f]));
    expect(byName.get('waba_sync_event_deliveries_total')!.metrics.find((m) => m.labels?.subscription === 'BILLING')).toBeDefined();
    expect(byName.get('waba_sync_event_delivery_backlog')!.metrics.find((m) => m.labels?.subscription === 'BILLING' && m.labels?.status === 'pending')!.value).toBe('0');

    const outbox = await cli(['outbox'], env);
    expect(outbox.code).toBe(0);
    expect(outbox.stdout).toMatch(/Event deliveries: BILLING 0 pending, 0 failed, [1-9]\d* delivered; chat 0 pending, 0 failed, [1-9]\d* delivered/);
    const status = await cli(['status'], env);
    expect(status.stdout).toMatch(/SUBSCRIPTION +PENDING +OLDEST PENDING EVENT +FAILED +DELIVERED/);
    expect(status.stdout).toMatch(/BILLING +0 +- +0 +[1-9]/);
  });

  it('outbox --send delivers what a one-shot sync wrote, without a daemon, and names what failed', async () => {
    const billing = await startReceiver();
    const h = await digital99Harness();
    const onboarding = h.world.addOnboarding();
    expect((await h.sync()).outcome).toBe('complete');
    const env = { ...h.env, EVENT_WEBHOOK_BILLING_URL: billing.url, EVENT_WEBHOOK_BILLING_SECRET: SECRET_A };
    // No dispatcher has run since the baseline was written: it is still in the feed, and goes out.
    expect((await cli(['outbox', '--send'], env)).stdout).toContain('Delivered 1 event;');
    h.world.finishOnboarding(onboarding.onboarding_link);
    expect((await h.sync()).outcome).toBe('complete');
    billing.answer = () => ({ status: 503, body: 'down for maintenance' });
    const failed = await cli(['outbox', '--send'], env);
    expect(failed.stdout).toContain('Delivered 0 events; 1 attempt failed');
    expect(failed.stdout).toMatch(/BILLING +\d+ +onboarding\.completed +pending +1 +\S+ +msg_\S+ +HTTP 503: down for maintenance/);
    billing.answer = () => ({ status: 200 });
    h.clock.advance(3_600_000);
    const sent = await cli(['outbox', '--send'], env);
    expect(sent.code).toBe(0);
    expect(billing.received.map((r) => JSON.parse(r.body).type)).toContain('onboarding.completed');
  });
});
