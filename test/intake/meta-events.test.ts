import { describe, expect, it } from 'vitest';
import { openApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { startIntakeServer } from '../../src/intake/server.js';
import { intakeRoutes } from '../../src/intake/index.js';
import { metaSender } from '../../src/simulator/webhooks.js';
import { withLease } from '../../src/sync/lease.js';
import { runSourcePull } from '../../src/sync/run-source.js';
import { intakeDaemon } from '../helpers/intake.js';
import { captureLog } from '../helpers/log.js';
import { metaHarness } from '../helpers/meta.js';
import { until } from '../helpers/wait.js';
import { manualClock } from '../helpers/clock.js';

const APP_SECRET = 'app-secret-for-tests-7f3a9c';
const SECRETS = { META_APP_SECRET: APP_SECRET, META_WEBHOOK_VERIFY_TOKEN: 'verify-token-for-tests-41d2' };

async function setup(env: Record<string, string> = {}) {
  const h = await metaHarness();
  const waba = h.world.shareWaba();
  const phone = h.world.addPhoneNumber(waba.id);
  const d = await intakeDaemon({ ...h.env, ...SECRETS, ...env });
  h.world.webhooks = metaSender(`${d.url}/webhooks/meta`, APP_SECRET);
  const poll = () => runSourcePull({ db: d.app.db, clock: d.app.clock, log: d.app.log }, d.app.sources.get('meta')!, 'full');
  const runs = () => d.app.db.selectFrom('sync_run').selectAll().orderBy('id').execute();
  return { h, d, waba, phone, poll, runs };
}

describe('Meta webhooks become events within seconds, each change once', () => {
  it('PARTNER_ADDED reads that WABA (waba_info.waba_id, not entry.id) in one Graph call → waba.shared and its phone_number.added; the next poll reports nothing again', async () => {
    const { h, d, poll, runs } = await setup();
    const calls = h.world.calls.waba;
    const added = h.world.shareWaba({ name: 'Falafel Haim' });
    h.world.webhooks = null;
    h.world.addPhoneNumber(added.id);
    await d.eventually('phone_number.added');
    expect((await d.events('waba.shared', 'phone_number.added')).map((e) => [e.type, e.key])).toEqual([
      ['waba.shared', added.id],
      ['phone_number.added', expect.any(String)],
    ]);
    expect(h.world.calls.waba - calls).toBe(1);
    const targeted = (await runs()).filter((run) => run.mode === 'webhook');
    expect(targeted).toMatchObject([{ scope: 'targeted', outcome: 'complete', api_calls: 1 }]);
    const result = await poll();
    expect(result).toMatchObject({ outcome: 'complete', events: 0 });
  });

  it('a review decision, a quality drop and a name decision: the WABA is read again → waba.review_status_changed, phone_number.quality_changed (the rating comes from the read), phone_number.changed', async () => {
    const { h, d, waba, phone, poll } = await setup();
    h.world.setReviewStatus(waba.id, 'REJECTED');
    h.world.updatePhoneNumber(phone.id, { quality_rating: 'RED' });
    await d.eventually('phone_number.quality_changed');
    await d.eventually('waba.review_status_changed');
    const [quality] = await d.events('phone_number.quality_changed');
    expect(quality).toMatchObject({ key: phone.id });
    expect(JSON.stringify(quality!.after)).toContain('"quality_rating":"RED"');
    // A display name decision: the numbers are read again.
    h.world.updatePhoneNumber(phone.id, { verified_name: 'Hummus Eliyahu' });
    await d.eventually('phone_number.changed');
    expect(JSON.stringify((await d.events('phone_number.changed'))[0]!.after)).toContain('"verified_name":"Hummus Eliyahu"');
    expect((await poll()).events).toBe(0);
  });

  it('a WABA the token may not read yet costs only itself: the other WABAs of the delivery are applied at once, and it is left to the next poll', async () => {
    const { h, d, waba, poll } = await setup();
    const other = h.world.shareWaba();
    await d.eventually('waba.shared');
    const sender = h.world.webhooks!;
    h.world.webhooks = null;
    h.world.setReviewStatus(waba.id, 'REJECTED');
    h.world.setReviewStatus(other.id, 'REJECTED');
    // The first WABA read is refused (error 200: the system user has no access to it yet).
    h.world.inject({ call: 'waba', kind: 'graph_error', code: 200, message: '(#200) Permissions error', times: 1 });
    const at = Math.floor(Date.now() / 1000);
    sender.send({
      object: 'whatsapp_business_account',
      entry: [waba.id, other.id].map((id) => ({ id, time: at, changes: [{ field: 'account_review_update', value: { decision: 'REJECTED' } }] })),
    });
    await sender.settled();
    await d.daemon.intake.processor!.settled();
    // The share of the other WABA, then the two decisions in one delivery: each applied at its first attempt.
    expect(await d.app.db.selectFrom('webhook_inbox').select(['attempts', 'outcome']).orderBy('id').execute()).toEqual([
      { attempts: 0, outcome: 'applied' },
      { attempts: 0, outcome: 'applied' },
    ]);
    expect(await d.events('waba.review_status_changed')).toHaveLength(1);
    expect((await poll()).eventTypes).toEqual({ 'waba.review_status_changed': 1 });
    expect((await d.events('waba.review_status_changed')).map((e) => e.key).sort()).toEqual([waba.id, other.id].sort());
  });

  it('a lost webhook: nothing until the next poll, which finds the change', async () => {
    const { h, d, waba, poll } = await setup();
    h.world.webhooks!.loseNext();
    h.world.setReviewStatus(waba.id, 'APPROVED');
    await h.world.webhooks!.settled();
    await d.daemon.intake.processor!.settled();
    expect(await d.events('waba.review_status_changed')).toEqual([]);
    expect((await poll()).eventTypes).toEqual({ 'waba.review_status_changed': 1 });
  });

  it('a webhook processed while a full pull of Meta runs: the change is reported once, neither reversed by that pull nor repeated by the next', async () => {
    const { h, d, waba, poll } = await setup();
    const sender = h.world.webhooks;
    // A change no webhook announces; the full pull reads it …
    h.world.webhooks = null;
    h.world.setReviewStatus(waba.id, 'REJECTED');
    h.world.webhooks = sender;
    // … then stalls on the owned listing while the WABA changes again, by webhook.
    h.world.inject({ call: 'owned_whatsapp_business_accounts', kind: 'latency', ms: 1500 });
    const listed = h.world.calls.client_whatsapp_business_accounts;
    const full = poll();
    await until(() => h.world.calls.client_whatsapp_business_accounts > listed && h.world.calls.owned_whatsapp_business_accounts > 0, 'the full pull to read the client list');
    h.world.setReviewStatus(waba.id, 'APPROVED');
    await d.eventually('waba.review_status_changed');
    expect(await full).toMatchObject({ outcome: 'complete', events: 0 });
    expect((await poll()).events).toBe(0);
    const changes = await d.events('waba.review_status_changed');
    expect(changes).toHaveLength(1);
    expect(JSON.stringify(changes[0]!.after)).toContain('"account_review_status":"APPROVED"');
  });

  it('ACCOUNT_VIOLATION → waba.account_update at once and one alert email, even when Meta sends the same change again in another delivery', async () => {
    const { h, d, waba } = await setup({ ALERT_TO: 'ops@example.com', SMTP_URL: 'smtp://127.0.0.1:9', MAIL_FROM: 'waba-sync@example.com' });
    const violation = { violation_info: { violation_type: 'SCAM' } };
    h.world.accountUpdate(waba.id, 'ACCOUNT_VIOLATION', violation);
    await d.eventually('waba.account_update');
    // The same change, batched with another: a different body, the same event.
    h.world.webhooks!.send({
      object: 'whatsapp_business_account',
      entry: [{ id: waba.id, time: 1, changes: [{ field: 'account_update', value: { event: 'ACCOUNT_VIOLATION', ...violation } }, { field: 'message_template_status_update', value: { event: 'APPROVED' } }] }],
    });
    await h.world.webhooks!.settled();
    await d.daemon.intake.processor!.settled();
    const events = await d.events('waba.account_update');
    expect(events).toEqual([{ type: 'waba.account_update', key: waba.id, after: { event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } }, run_id: expect.any(Number) }]);
    const emails = await d.app.db.selectFrom('outbox').select(['subject', 'recipients']).execute();
    expect(emails).toEqual([{ subject: `[waba-sync] Meta reports a policy violation on WABA ${waba.id}`, recipients: '["ops@example.com"]' }]);
    const metrics = await (await fetch(`http://127.0.0.1:${d.daemon.port}/metrics`)).text();
    expect(metrics).toMatch(/waba_sync_webhook_unhandled_total\{upstream="meta",field="message_template_status_update"\} 1/);
  });

  it('ids written as JSON numbers (Meta quotes them or not) are read like quoted ones: PARTNER_ADDED and a review decision are applied, not left alone', async () => {
    const { h, d, waba } = await setup();
    const sender = h.world.webhooks!;
    h.world.webhooks = null;
    const added = h.world.shareWaba({ name: 'Shakshuka Bar' });
    h.world.setReviewStatus(waba.id, 'REJECTED');
    const at = Math.floor(Date.now() / 1000);
    sender.send({
      object: 'whatsapp_business_account',
      entry: [{ id: 9_000_000_000, time: at, changes: [{ field: 'account_update', value: { event: 'PARTNER_ADDED', waba_info: { waba_id: Number(added.id), owner_business_id: 4_000_000 } } }] }],
    });
    sender.send({ object: 'whatsapp_business_account', entry: [{ id: Number(waba.id), time: at, changes: [{ field: 'account_review_update', value: { decision: 'REJECTED' } }] }] });
    await d.eventually('waba.shared');
    await d.eventually('waba.review_status_changed');
    expect((await d.events('waba.shared')).map((e) => e.key)).toEqual([added.id]);
    expect((await d.events('waba.review_status_changed')).map((e) => e.key)).toEqual([waba.id]);
    const notes = await d.app.db.selectFrom('webhook_inbox').select('note').execute();
    expect(notes.map((row) => row.note).join(' ')).not.toContain('left alone');
  });

  it('the alert email’s text is inert whatever the webhook’s field names hold: no terminal escapes, no line of its own', async () => {
    const { h, d, waba } = await setup({ ALERT_TO: 'ops@example.com', SMTP_URL: 'smtp://127.0.0.1:9', MAIL_FROM: 'waba-sync@example.com' });
    h.world.accountUpdate(waba.id, 'ACCOUNT_VIOLATION', { violation_info: { violation_type: 'SCAM', 'x\u001b[2J\u001b]0;owned\u0007\nFAKE: line': 'v' } });
    await d.eventually('waba.account_update');
    await until(async () => (await d.app.db.selectFrom('outbox').select('id').execute()).length > 0, 'the alert email');
    const [email] = await d.app.db.selectFrom('outbox').select('text_body').execute();
    // No control character but the line breaks.
    expect([...email!.text_body].filter((c) => c < ' ' && c !== '\n')).toEqual([]);
    expect(email!.text_body.split('\n').some((line) => line.startsWith('FAKE'))).toBe(false);
    expect(email!.text_body).toContain('violation_info.violation_type: SCAM');
  });

  it('the same account event is news again when it happens again, and the same change resent is not: a violation, offboarding, reconnection, and a month later a violation and an offboarding are five events and two alerts', async () => {
    const h = await metaHarness();
    const waba = h.world.shareWaba();
    const clock = manualClock('2026-10-01T08:00:00.000Z');
    const d = await intakeDaemon({ ...h.env, ...SECRETS, ALERT_TO: 'ops@example.com', SMTP_URL: 'smtp://127.0.0.1:9', MAIL_FROM: 'waba-sync@example.com' }, { clock });
    h.world.webhooks = metaSender(`${d.url}/webhooks/meta`, APP_SECRET);
    // Meta's entry.time: a few seconds before the delivery reaches us.
    const send = async (value: object, also: object[] = [], time = Math.floor(clock().getTime() / 1000) - 5) => {
      h.world.webhooks!.send({ object: 'whatsapp_business_account', entry: [{ id: waba.id, time, changes: [{ field: 'account_update', value }, ...also] }] });
      await h.world.webhooks!.settled();
      await d.daemon.intake.processor!.settled();
      return time;
    };
    const violation = { event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } };
    const offboarded = { event: 'ACCOUNT_OFFBOARDED' };
    await send(violation);
    await send(offboarded);
    clock.advance(3 * 86_400_000);
    await send({ event: 'ACCOUNT_RECONNECTED' });
    clock.advance(27 * 86_400_000);
    await send(violation);
    const at = await send(offboarded);
    clock.advance(60_000);
    // The last change resent a minute later, batched with another: the same change, not a sixth event.
    await send(offboarded, [{ field: 'message_template_status_update', value: { event: 'APPROVED' } }], at);
    expect((await d.events('waba.account_update')).map((e) => (e.after as { event: string }).event)).toEqual([
      'ACCOUNT_VIOLATION',
      'ACCOUNT_OFFBOARDED',
      'ACCOUNT_RECONNECTED',
      'ACCOUNT_VIOLATION',
      'ACCOUNT_OFFBOARDED',
    ]);
    const subjects = (await d.app.db.selectFrom('outbox').select('subject').execute()).map((row) => row.subject);
    expect(subjects).toEqual([`[waba-sync] Meta reports a policy violation on WABA ${waba.id}`, `[waba-sync] Meta reports a policy violation on WABA ${waba.id}`]);
  });

  it('two changes of one WABA in one delivery, resent batched another way: still two events and two alerts', async () => {
    const { h, d, waba } = await setup({ ALERT_TO: 'ops@example.com', SMTP_URL: 'smtp://127.0.0.1:9', MAIL_FROM: 'waba-sync@example.com' });
    const time = Math.floor(Date.now() / 1000) - 5;
    const changes = [
      { field: 'account_update', value: { event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } } },
      { field: 'account_update', value: { event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_ADD_PHONE_NUMBER_ACTION' }] } },
    ];
    h.world.webhooks!.send({ object: 'whatsapp_business_account', entry: [{ id: waba.id, time, changes }] });
    await h.world.webhooks!.settled();
    await d.daemon.intake.processor!.settled();
    h.world.webhooks!.send({ object: 'whatsapp_business_account', entry: [{ id: waba.id, time, changes: [changes[0]] }, { id: waba.id, time, changes: [changes[1]] }] });
    await h.world.webhooks!.settled();
    await d.daemon.intake.processor!.settled();
    expect((await d.events('waba.account_update')).map((e) => (e.after as { event: string }).event)).toEqual(['ACCOUNT_VIOLATION', 'ACCOUNT_RESTRICTION']);
    expect(await d.app.db.selectFrom('outbox').select('id').execute()).toHaveLength(2);
  });

  it('a ban told by webhook before the first complete pull is reported and alerted at once; the WABA itself is left to the baseline', async () => {
    const h = await metaHarness();
    const waba = h.world.shareWaba();
    const d = await intakeDaemon({ ...h.env, ...SECRETS, ALERT_TO: 'ops@example.com', SMTP_URL: 'smtp://127.0.0.1:9', MAIL_FROM: 'waba-sync@example.com' }, { skipCatchUp: true });
    h.world.webhooks = metaSender(`${d.url}/webhooks/meta`, APP_SECRET);
    h.world.accountUpdate(waba.id, 'DISABLED_UPDATE', { ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: '2026-12-02' } });
    await h.world.webhooks.settled();
    await d.daemon.intake.processor!.settled();
    expect(await d.events()).toMatchObject([{ type: 'waba.account_update', key: waba.id, after: { event: 'DISABLED_UPDATE' }, run_id: null }]);
    expect((await d.app.db.selectFrom('outbox').select('subject').execute()).map((row) => row.subject)).toEqual([`[waba-sync] Meta reports a ban on WABA ${waba.id}`]);
    expect(await d.app.db.selectFrom('webhook_inbox').select('outcome').execute()).toEqual([{ outcome: 'applied' }]);
  });

  it('PARTNER_REMOVED → waba.account_update now and waba.unshared when the full pull it triggers completes; a second removal soon after waits for the interval', async () => {
    const { h, d, waba, runs } = await setup({ WEBHOOK_FULL_PULL_MIN_INTERVAL_SECONDS: '3600' });
    const other = h.world.shareWaba();
    await d.eventually('waba.shared');
    h.world.unshareWaba(waba.id);
    await d.eventually('waba.unshared');
    const types = (await d.events()).map((e) => e.type);
    expect(types.indexOf('waba.account_update')).toBeLessThan(types.indexOf('waba.unshared'));
    expect(await d.events('waba.account_update')).toMatchObject([{ key: waba.id, after: { event: 'PARTNER_REMOVED', waba_info: { waba_id: waba.id } } }]);
    h.world.unshareWaba(other.id);
    await d.eventually('waba.account_update', 2);
    await d.daemon.intake.processor!.settled();
    const triggered = (await runs()).filter((run) => run.mode === 'webhook' && run.scope === 'all');
    expect(triggered).toHaveLength(1);
    expect(await d.events('waba.unshared')).toHaveLength(1);
    expect(d.logs.text()).toContain('runs when WEBHOOK_FULL_PULL_MIN_INTERVAL_SECONDS has passed');
  });

  it('waiting on another daemon that holds the source uses up none of the attempts: once it lets go, a failed read is still tried again and the change reported', async () => {
    const { h, d, waba } = await setup({ HTTP_RETRIES: '0' });
    // Another daemon's hold on the source's webhook lease, until `letGo`.
    let letGo = () => {};
    const released = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    let held = () => {};
    const holding = new Promise<void>((resolve) => {
      held = resolve;
    });
    const other = withLease({ db: d.app.db, clock: d.app.clock, log: d.app.log }, 'webhook:meta', async () => {
      held();
      await released;
    });
    await holding;
    h.world.setReviewStatus(waba.id, 'REJECTED');
    await h.world.webhooks!.settled();
    // Six looks at the lease, a second apart: more than the attempts a failing read gets.
    await until(async () => (await d.app.db.selectFrom('webhook_inbox').select('error').executeTakeFirst())?.error != null, 'a look at the held lease');
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(await d.app.db.selectFrom('webhook_inbox').select(['attempts', 'processed_at']).execute()).toEqual([{ attempts: 0, processed_at: null }]);
    h.world.inject({ call: '*', kind: 'http', status: 500, times: 1 });
    letGo();
    expect(await other).toMatchObject({ acquired: true });
    await d.eventually('waba.review_status_changed', 1, 15);
    expect(await d.app.db.selectFrom('webhook_inbox').select(['attempts', 'outcome']).execute()).toEqual([{ attempts: 1, outcome: 'applied' }]);
  }, 30_000);

  it('a removal that arrives while the full pull it asked for runs is confirmed by the next one, when the interval allows, not at once', async () => {
    const { h, d, waba, runs } = await setup({ WEBHOOK_FULL_PULL_MIN_INTERVAL_SECONDS: '3600' });
    const other = h.world.shareWaba();
    await d.eventually('waba.shared');
    h.world.inject({ call: 'owned_whatsapp_business_accounts', kind: 'latency', ms: 1500 });
    const listed = h.world.calls.client_whatsapp_business_accounts;
    h.world.unshareWaba(waba.id);
    await until(() => h.world.calls.client_whatsapp_business_accounts > listed, 'the triggered full pull to start');
    h.world.unshareWaba(other.id);
    await d.eventually('waba.account_update', 2);
    await d.eventually('waba.unshared');
    await d.daemon.intake.processor!.settled();
    expect((await runs()).filter((run) => run.mode === 'webhook' && run.scope === 'all')).toHaveLength(1);
    expect(d.logs.text()).toContain('runs when WEBHOOK_FULL_PULL_MIN_INTERVAL_SECONDS has passed');
  });

  it('a delivery recorded but not processed before the process stopped is processed after the restart', async () => {
    const h = await metaHarness();
    const waba = h.world.shareWaba();
    const env = { ...h.env, ...SECRETS };
    // Baseline first, by a daemon that then stops.
    const first = await intakeDaemon(env);
    await first.daemon.stop();
    // Only the listener (no processor): the delivery is recorded and answered, nothing more.
    const app = await openApp(parseConfig(env), { log: captureLog().log });
    const metrics = createMetrics(app.db, () => ['meta']);
    const server = await startIntakeServer(
      { db: app.db, clock: app.clock, log: app.log, scrubber: app.scrubber, metrics: metrics.webhooks, routes: intakeRoutes(app), trustProxy: false, onRecorded: () => undefined },
      { host: '127.0.0.1', port: 0 },
    );
    h.world.webhooks = metaSender(`http://127.0.0.1:${server.port}/webhooks/meta`, APP_SECRET);
    h.world.setReviewStatus(waba.id, 'APPROVED');
    await h.world.webhooks.settled();
    await server.close();
    await app.close();
    expect(h.world.webhooks.deliveries[0]!.statuses).toEqual([200]);

    const second = await intakeDaemon(env);
    await second.eventually('waba.review_status_changed');
    expect(await second.events('waba.review_status_changed')).toHaveLength(1);
  });
});

describe('account updates in the digest', () => {
  it('head it, with the event and its reason', async () => {
    const { digestRow, SECTIONS } = await import('../../src/notify/digest/sections.js');
    expect(SECTIONS[0]!.id).toBe('account');
    const row = digestRow({
      id: 1,
      type: 'waba.account_update',
      source: 'meta',
      key: '123456',
      at: '2026-11-30T06:00:00.000Z',
      run_id: 1,
      before: null,
      after: { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: '2026-12-01' } },
      changes: null,
    });
    expect(row).toMatchObject({ section: 'account', numberOrId: '123456', detail: 'DISABLED_UPDATE; ban: DISABLE' });
  });
});
