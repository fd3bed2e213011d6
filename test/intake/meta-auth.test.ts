import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { metaSender } from '../../src/simulator/webhooks.js';
import { cli } from '../helpers/cli.js';
import { intakeDaemon } from '../helpers/intake.js';
import { metaHarness } from '../helpers/meta.js';

const APP_SECRET = 'app-secret-for-tests-7f3a9c';
const VERIFY_TOKEN = 'verify-token-for-tests-41d2';
const sign = (body: string | Buffer, secret = APP_SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

async function setup() {
  const h = await metaHarness();
  const waba = h.world.shareWaba();
  h.world.addPhoneNumber(waba.id);
  const d = await intakeDaemon({ ...h.env, META_APP_SECRET: APP_SECRET, META_WEBHOOK_VERIFY_TOKEN: VERIFY_TOKEN });
  const inbox = () => d.app.db.selectFrom('webhook_inbox').selectAll().execute();
  return { h, d, waba, inbox };
}

describe('the Meta webhook intake: who may deliver', () => {
  it('answers the verification handshake with the challenge, and 403 to a wrong token or mode', async () => {
    const { d } = await setup();
    expect(await d.get(`/webhooks/meta?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`)).toEqual({ status: 200, text: '1158201444' });
    expect((await d.get('/webhooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1')).status).toBe(403);
    expect((await d.get(`/webhooks/meta?hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`)).status).toBe(403);
  });

  it('401 and nothing recorded for a missing or wrong signature; 200 for a signature over the raw bytes as sent, \\u escapes and all', async () => {
    const { d, waba, inbox } = await setup();
    // Meta signs its bytes with non-ASCII escaped: re-serialising the parsed JSON would change them.
    const raw = `{"object":"whatsapp_business_account","entry":[{"id":"${waba.id}","time":1764460800,"changes":[{"field":"account_review_update","value":{"decision":"APPROVED","note":"caf\\u00e9 \\u05e9\\u05dc\\u05d5\\u05dd \\/ ok"}}]}]}`;
    expect(JSON.stringify(JSON.parse(raw))).not.toBe(raw);
    expect((await d.post('/webhooks/meta', raw)).status).toBe(401);
    expect((await d.post('/webhooks/meta', raw, { 'x-hub-signature-256': sign(raw, 'another-secret') })).status).toBe(401);
    expect((await d.post('/webhooks/meta', raw, { 'x-hub-signature-256': sign(JSON.stringify(JSON.parse(raw))) })).status).toBe(401);
    expect((await d.post('/webhooks/meta', raw, { 'x-hub-signature-256': 'sha256=zz' })).status).toBe(401);
    expect(await inbox()).toEqual([]);

    expect(await d.post('/webhooks/meta', raw, { 'x-hub-signature-256': sign(raw) })).toEqual({ status: 200, text: 'ok' });
    const rows = await inbox();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.body).toBe(raw);
    const metrics = await (await fetch(`http://127.0.0.1:${d.daemon.port}/metrics`)).text();
    expect(metrics).toMatch(/waba_sync_webhook_rejected_total\{upstream="meta",reason="signature"\} 4/);
    expect(metrics).toMatch(/waba_sync_webhook_deliveries_total\{upstream="meta"\} 1/);
  });

  it('413 for a body over 3 MB, before anything is read or recorded', async () => {
    const { d, inbox } = await setup();
    const big = `{"object":"whatsapp_business_account","entry":[],"pad":"${'x'.repeat(3 * 1024 * 1024)}"}`;
    expect((await d.post('/webhooks/meta', big, { 'x-hub-signature-256': sign(big) })).status).toBe(413);
    expect(await inbox()).toEqual([]);
  });

  it('404 for an upstream whose webhook secret is unset, and for paths that are not webhooks', async () => {
    const { d } = await setup();
    expect((await d.post('/webhooks/dialog360', '{}', { 'x-360dialog-signature': 'a'.repeat(64) })).status).toBe(404);
    expect((await d.post('/webhooks/digital99/sometoken', '{}')).status).toBe(404);
    expect((await d.get('/healthz')).status).toBe(404);
    expect((await d.post('/webhooks/meta/extra', '{}')).status).toBe(404);
  });

  it('a duplicate delivery is answered 200, counted, and processed once; no secret reaches the logs, the inbox or the events', async () => {
    const { h, d, waba, inbox } = await setup();
    h.world.webhooks = metaSender(`${d.url}/webhooks/meta`, APP_SECRET);
    h.world.webhooks.duplicateNext();
    h.world.setReviewStatus(waba.id, 'APPROVED');
    await h.world.webhooks.settled();
    expect(h.world.webhooks.deliveries.map((delivery) => delivery.statuses)).toEqual([[200], [200]]);
    await d.eventually('waba.review_status_changed');
    await d.daemon.intake.processor!.settled();
    expect(await d.events('waba.review_status_changed')).toHaveLength(1);
    const rows = await inbox();
    expect(rows).toMatchObject([{ deliveries: 2, outcome: 'applied' }]);
    expect(rows[0]!.processed_at).not.toBeNull();

    const health = JSON.parse(await (await fetch(`http://127.0.0.1:${d.daemon.port}/healthz`)).text());
    expect(health.intake).toEqual([{ upstream: 'meta', lastReceivedAt: expect.any(String), backlog: 0, oldestPendingAt: null }]);
    const status = await cli(['status'], { ...h.env, META_APP_SECRET: APP_SECRET, META_WEBHOOK_VERIFY_TOKEN: VERIFY_TOKEN });
    expect(status.stdout).toMatch(/Webhook intake: WEBHOOK_PORT is not set, no listener\n\s*UPSTREAM\s+LAST DELIVERY\s+BACKLOG\s+OLDEST WAITING\n\s*meta\s+\d{4}-\S+\s+0\s+-/);

    const everything = [d.logs.text(), JSON.stringify(rows), JSON.stringify(await d.events()), status.stdout, status.stderr].join('\n');
    for (const secret of [APP_SECRET, VERIFY_TOKEN, h.world.accessToken]) expect(everything).not.toContain(secret);
  });
});
