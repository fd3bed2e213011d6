import { describe, expect, it } from 'vitest';
import { dialog360Sender, digital99Sender } from '../../src/simulator/webhooks.js';
import { manualClock } from '../helpers/clock.js';
import { dialog360Harness } from '../helpers/dialog360.js';
import { digital99Harness } from '../helpers/digital99.js';
import { intakeDaemon } from '../helpers/intake.js';

const DIALOG360_SECRET = 'partner-webhook-secret-9c1e';
const TOKEN = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';

describe('360dialog partner webhooks', () => {
  it('channel and client events read that channel or client by id → channel.* / client.* within seconds; a violation → channel.account_update', async () => {
    const h = await dialog360Harness();
    const existing = h.world.addChannel({ status: 'running' });
    const d = await intakeDaemon({ ...h.env, DIALOG360_WEBHOOK_SECRET: DIALOG360_SECRET });
    h.world.webhooks = dialog360Sender(`${d.url}/webhooks/dialog360`, DIALOG360_SECRET);
    const added = h.world.addChannel({ status: 'submitted' });
    await d.eventually('channel.added');
    expect((await d.events('channel.added', 'client.added')).map((e) => [e.type, e.key]).sort()).toEqual(
      [
        ['channel.added', added.id],
        ['client.added', added.client_id],
      ].sort(),
    );
    h.world.setStatus(added.id, 'ready');
    await d.eventually('channel.status_changed');
    h.world.accountEvent(existing.id, 'account_violation', 'SCAM');
    await d.eventually('channel.account_update');
    expect(await d.events('channel.account_update')).toMatchObject([{ key: existing.id, after: { event: 'account_violation', violation_type: 'SCAM' } }]);
    const targeted = await d.app.db.selectFrom('sync_run').select(['mode', 'scope', 'api_calls']).where('mode', '=', 'webhook').execute();
    expect(targeted.length).toBeGreaterThanOrEqual(3);
    expect(targeted.every((run) => run.scope === 'targeted')).toBe(true);
  });

  it('a violation that comes again after another account event is news again; sent again right away it is the same news', async () => {
    const h = await dialog360Harness();
    const channel = h.world.addChannel({ status: 'running' });
    const d = await intakeDaemon({ ...h.env, DIALOG360_WEBHOOK_SECRET: DIALOG360_SECRET });
    h.world.webhooks = dialog360Sender(`${d.url}/webhooks/dialog360`, DIALOG360_SECRET);
    const send = async (event: 'account_violation' | 'account_restriction', type: string) => {
      h.world.accountEvent(channel.id, event, type);
      await h.world.webhooks!.settled();
      await d.daemon.intake.processor!.settled();
    };
    await send('account_violation', 'SCAM');
    await send('account_violation', 'SCAM');
    await send('account_restriction', 'SPAM');
    await send('account_violation', 'SCAM');
    expect((await d.events('channel.account_update')).map((e) => (e.after as { event: string }).event)).toEqual(['account_violation', 'account_restriction', 'account_violation']);
    expect(h.world.webhooks!.deliveries.map((delivery) => delivery.statuses)).toEqual([[200], [200], [200], [200]]);
  });

  it('the same violation a day later, with nothing between, is news again (360dialog says no time: a day tells a repeat from a resend)', async () => {
    const h = await dialog360Harness();
    const channel = h.world.addChannel({ status: 'running' });
    const clock = manualClock('2026-10-01T08:00:00.000Z');
    const d = await intakeDaemon({ ...h.env, DIALOG360_WEBHOOK_SECRET: DIALOG360_SECRET }, { clock });
    h.world.webhooks = dialog360Sender(`${d.url}/webhooks/dialog360`, DIALOG360_SECRET);
    const send = async () => {
      h.world.accountEvent(channel.id, 'account_violation', 'SCAM');
      await h.world.webhooks!.settled();
      await d.daemon.intake.processor!.settled();
    };
    await send();
    clock.advance(23 * 3_600_000);
    await send();
    expect(await d.events('channel.account_update')).toHaveLength(1);
    clock.advance(2 * 3_600_000);
    await send();
    expect(await d.events('channel.account_update')).toHaveLength(2);
  });

  it('401 for a wrong signature; nothing recorded', async () => {
    const h = await dialog360Harness();
    const d = await intakeDaemon({ ...h.env, DIALOG360_WEBHOOK_SECRET: DIALOG360_SECRET });
    h.world.webhooks = dialog360Sender(`${d.url}/webhooks/dialog360`, 'not-the-secret');
    h.world.addClient();
    await h.world.webhooks.settled();
    expect(h.world.webhooks.deliveries.map((delivery) => delivery.statuses)).toEqual([[401]]);
    expect(await d.app.db.selectFrom('webhook_inbox').select('id').execute()).toEqual([]);
  });
});

describe('99digital onboarding webhook', () => {
  it('any delivery from an allowed address with the path token triggers a pull → onboarding.completed, onboarding.number_swapped, number.added', async () => {
    const h = await digital99Harness();
    const link = h.world.addOnboarding({ coexistence: 1 });
    const d = await intakeDaemon({ ...h.env, DIGITAL99_WEBHOOK_TOKEN: TOKEN, DIGITAL99_WEBHOOK_ALLOW: '127.0.0.1' });
    h.world.webhooks = digital99Sender(`${d.url}/webhooks/digital99/${TOKEN}`);
    h.world.finishOnboarding(link.onboarding_link);
    await d.eventually('number.added');
    const types = (await d.events()).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['onboarding.completed', 'onboarding.number_swapped', 'number.added']));
    const runs = await d.app.db.selectFrom('sync_run').select(['mode', 'scope', 'outcome']).orderBy('id').execute();
    expect(runs.at(-1)).toEqual({ mode: 'webhook', scope: 'all', outcome: 'complete' });
  });

  it('the same body again after its pull is another pull: a second onboarding finished since is reported', async () => {
    const h = await digital99Harness();
    const first = h.world.addOnboarding({});
    const second = h.world.addOnboarding({});
    const d = await intakeDaemon({ ...h.env, DIGITAL99_WEBHOOK_TOKEN: TOKEN, DIGITAL99_WEBHOOK_ALLOW: '127.0.0.1,::1' });
    const body = '{"event":"onboarding_completed"}';
    h.world.finishOnboarding(first.onboarding_link);
    expect((await d.post(`/webhooks/digital99/${TOKEN}`, body)).status).toBe(200);
    await d.eventually('onboarding.completed', 1);
    await d.daemon.intake.processor!.settled();
    h.world.finishOnboarding(second.onboarding_link);
    expect((await d.post(`/webhooks/digital99/${TOKEN}`, body)).status).toBe(200);
    await d.eventually('onboarding.completed', 2);
    expect((await d.events('onboarding.completed')).map((e) => e.key).sort()).toEqual([first.onboarding_link, second.onboarding_link].sort());
    expect(await d.app.db.selectFrom('webhook_inbox').select('deliveries').execute()).toEqual([{ deliveries: 2 }]);
  });

  it('404 for a wrong token, 403 for an address not allowed (behind one trusted proxy hop, the forwarded address counts)', async () => {
    const h = await digital99Harness();
    const d = await intakeDaemon({ ...h.env, DIGITAL99_WEBHOOK_TOKEN: TOKEN, WEBHOOK_TRUST_PROXY: '1' });
    expect((await d.post(`/webhooks/digital99/${'x'.repeat(32)}`, '{}', { 'x-forwarded-for': '34.165.99.212' })).status).toBe(404);
    expect((await d.post(`/webhooks/digital99/${TOKEN}`, '{}', { 'x-forwarded-for': '203.0.113.9' })).status).toBe(403);
    // A client can't slip the allowed address in before the hop our proxy appends.
    expect((await d.post(`/webhooks/digital99/${TOKEN}`, '{}', { 'x-forwarded-for': '34.165.99.212, 203.0.113.9' })).status).toBe(403);
    expect(await d.app.db.selectFrom('webhook_inbox').select('id').execute()).toEqual([]);
    expect((await d.post(`/webhooks/digital99/${TOKEN}`, '{}', { 'x-forwarded-for': '203.0.113.9, 34.165.99.212' })).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${d.daemon.port}/metrics`)).text();
    expect(metrics).toMatch(/waba_sync_webhook_rejected_total\{upstream="digital99",reason="token"\} 1/);
    expect(metrics).toMatch(/waba_sync_webhook_rejected_total\{upstream="digital99",reason="address"\} 2/);
    expect(d.logs.text()).not.toContain(TOKEN);
  });
  it('a body over 3 MB to a path that is off, or with a wrong token or address, is answered 404 or 403 like any other, not 413', async () => {
    const h = await digital99Harness();
    const d = await intakeDaemon({ ...h.env, DIGITAL99_WEBHOOK_TOKEN: TOKEN, DIGITAL99_WEBHOOK_ALLOW: '127.0.0.1,::1', WEBHOOK_TRUST_PROXY: '1' });
    const large = Buffer.alloc(3 * 1024 * 1024 + 1, 0x20);
    expect((await d.post('/webhooks/dialog360', large)).status).toBe(404);
    expect((await d.post(`/webhooks/digital99/${'x'.repeat(32)}`, large)).status).toBe(404);
    expect((await d.post(`/webhooks/digital99/${TOKEN}`, large, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(403);
    expect((await d.post(`/webhooks/digital99/${TOKEN}`, large, { 'x-forwarded-for': '127.0.0.1' })).status).toBe(413);
    expect(await d.app.db.selectFrom('webhook_inbox').select('id').execute()).toEqual([]);
  });

  it('an allow list written in IPv4-mapped IPv6 (an address or a range) admits the IPv4 sender it names, and only that one', async () => {
    const h = await digital99Harness();
    const d = await intakeDaemon({ ...h.env, DIGITAL99_WEBHOOK_TOKEN: TOKEN, WEBHOOK_TRUST_PROXY: '1', DIGITAL99_WEBHOOK_ALLOW: '::ffff:34.165.99.212,::ffff:198.51.100.0/120' });
    const from = async (address: string) => (await d.post(`/webhooks/digital99/${TOKEN}`, JSON.stringify({ from: address }), { 'x-forwarded-for': address })).status;
    expect(await from('34.165.99.212')).toBe(200);
    expect(await from('::ffff:34.165.99.212')).toBe(200);
    expect(await from('198.51.100.77')).toBe(200);
    expect(await from('34.165.99.213')).toBe(403);
    expect(await from('198.51.101.1')).toBe(403);
  });
});

describe('what an authenticated sender may put in a body', () => {
  it('a body with NUL bytes and invalid UTF-8 is recorded (the hash over the bytes) and left alone', async () => {
    const h = await digital99Harness();
    const d = await intakeDaemon({ ...h.env, DIGITAL99_WEBHOOK_TOKEN: TOKEN, DIGITAL99_WEBHOOK_ALLOW: '127.0.0.1,::1' });
    const body = Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x7d]);
    expect((await d.post(`/webhooks/digital99/${TOKEN}`, body, { 'content-type': 'application/octet-stream' })).status).toBe(200);
    await d.daemon.intake.processor!.settled();
    const [row] = await d.app.db.selectFrom('webhook_inbox').select(['body', 'processed_at']).execute();
    expect(row!.body).toBe('{\uFFFD\uFFFD\uFFFD}');
    expect(row!.processed_at).not.toBeNull();
  });
});
