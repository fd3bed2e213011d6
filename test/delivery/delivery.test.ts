/**
 * Signed webhooks to a real receiver on loopback, on both database backends: every event once, in
 * order, signed so the `standardwebhooks` package accepts it; filters; outages; hangs; redirects;
 * a crash between sending and marking; two dispatchers on one database; giving up.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { claimDue } from '../../src/delivery/store.js';
import { postJson } from '../../src/delivery/post.js';
import { signatureHeaders } from '../../src/delivery/signing.js';
import { listDeliveries } from '../../src/delivery/store.js';
import { SECRET_A, SECRET_B, type TestEvent, deliveryHarness } from '../helpers/delivery.js';
import { testBackend } from '../helpers/postgres.js';
import { startReceiver } from '../helpers/receiver.js';

const churn: TestEvent[] = [
  { type: 'waba.shared', key: 'w1' },
  { type: 'phone_number.added', key: 'p1' },
  { type: 'phone_number.quality_changed', key: 'p1', changes: { quality_rating: { from: 'GREEN', to: 'RED' } } },
  { type: 'waba.changed', key: 'w1', changes: { name: { from: 'A', to: 'B' } } },
  { type: 'phone_number.status_changed', key: 'p1', changes: { status: { from: 'CONNECTED', to: 'FLAGGED' } } },
  { type: 'waba.unshared', key: 'w1' },
];

/**
 * What a receiver running standardwebhooks gets from verify() at the moment the request arrived
 * (its 5-minute tolerance is checked against the clock; the tests move ours by hours).
 */
function verified(secret: string, request: { headers: Record<string, unknown>; body: string }): unknown {
  const realNow = Date.now;
  Date.now = () => Number(request.headers['webhook-timestamp']) * 1000;
  try {
    return new Webhook(secret.slice('whsec_'.length)).verify(request.body, request.headers as Record<string, string>);
  } finally {
    Date.now = realNow;
  }
}

describe('signed event webhooks', () => {
  it('delivers every event once, in order, as its event line, signed so standardwebhooks verifies it, and no secret in any payload', async () => {
    const receiver = await startReceiver();
    const h = await deliveryHarness({ EVENT_WEBHOOK_BILLING_URL: receiver.url, EVENT_WEBHOOK_BILLING_SECRET: SECRET_A });
    const ids = await h.writeEvents(churn);
    const pass = await h.dispatcher().runOnce();
    expect(pass).toMatchObject({ fannedOut: 6, delivered: 6, attemptsFailed: 0 });
    expect(receiver.received.map((r) => JSON.parse(r.body).id)).toEqual(ids);
    for (const request of receiver.received) {
      const payload = verified(SECRET_A, request) as Record<string, unknown>;
      expect(Object.keys(payload)).toEqual(['id', 'type', 'source', 'key', 'at', 'run_id', 'before', 'after', 'changes']);
      expect(request.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
      expect(request.headers['content-type']).toBe('application/json');
      const everything = JSON.stringify(request.headers) + request.body;
      expect(everything).not.toContain(SECRET_A);
      expect(everything).not.toContain(SECRET_A.slice('whsec_'.length));
    }
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(6);
    // Another secret does not verify: the signature is really over this secret.
    expect(() => verified(SECRET_B, receiver.received[0]!)).toThrow();
    // Nothing left, nothing sent twice.
    expect(await h.dispatcher().runOnce()).toMatchObject({ delivered: 0 });
    expect(receiver.received).toHaveLength(6);
  });

  it('sends each subscription only the types and families it asked for', async () => {
    const all = await startReceiver();
    const wabas = await startReceiver();
    const h = await deliveryHarness({
      EVENT_WEBHOOK_ALL_URL: all.url,
      EVENT_WEBHOOK_ALL_SECRET: SECRET_A,
      EVENT_WEBHOOK_WABAS_URL: wabas.url,
      EVENT_WEBHOOK_WABAS_SECRET: SECRET_B,
      EVENT_WEBHOOK_WABAS_TYPES: 'waba.*, phone_number.quality_changed',
    });
    await h.writeEvents(churn);
    await h.dispatcher().runOnce();
    expect(all.received.map((r) => JSON.parse(r.body).type)).toEqual(churn.map((e) => e.type));
    expect(wabas.received.map((r) => JSON.parse(r.body).type)).toEqual(['waba.shared', 'phone_number.quality_changed', 'waba.changed', 'waba.unshared']);
    for (const request of wabas.received) verified(SECRET_B, request);
  });

  it('receiver down for a while: everything arrives once it is back, repeats only with the same webhook-id', async () => {
    const receiver = await startReceiver();
    const h = await deliveryHarness({ EVENT_WEBHOOK_OPS_URL: receiver.url, EVENT_WEBHOOK_OPS_SECRET: SECRET_A });
    const ids = await h.writeEvents(churn);
    const dispatcher = h.dispatcher();
    // Half answered, then a 503 page.
    let answered = 0;
    receiver.answer = () => (answered++ < 3 ? { status: 200 } : { status: 503, body: '<html>maintenance</html>' });
    await dispatcher.runOnce();
    await receiver.down();
    for (let i = 0; i < 4; i++) {
      h.clock.advance(10 * 60_000);
      await dispatcher.runOnce();
    }
    const waiting = await listDeliveries(h.db, { subscription: 'OPS', statuses: ['pending'] });
    expect(waiting.length).toBe(3);
    expect(waiting[0]!.lastError).toMatch(/ECONNREFUSED/);
    await receiver.up();
    receiver.answer = () => ({ status: 204 });
    h.clock.advance(3 * 3_600_000);
    await dispatcher.runOnce();
    const byId = new Map<number, Set<string>>();
    for (const request of receiver.received) {
      const id = JSON.parse(request.body).id as number;
      byId.set(id, (byId.get(id) ?? new Set()).add(String(request.headers['webhook-id'])));
      verified(SECRET_A, request);
    }
    expect([...byId.keys()].sort((a, b) => a - b)).toEqual(ids);
    for (const webhookIds of byId.values()) expect(webhookIds.size).toBe(1);
    // The last accepted request of each event is in event order.
    const lastAccepted = receiver.received.slice(3).map((r) => JSON.parse(r.body).id as number);
    expect(lastAccepted.filter((id, i, all) => all.lastIndexOf(id) === i)).toEqual(ids.slice(3));
    expect(await listDeliveries(h.db, { subscription: 'OPS', statuses: ['pending', 'failed'] })).toEqual([]);
  });

  it('with several requests in flight, each entity’s events still arrive in order, each once', async () => {
    const receiver = await startReceiver();
    const h = await deliveryHarness({ EVENT_WEBHOOK_PAR_URL: receiver.url, EVENT_WEBHOOK_PAR_SECRET: SECRET_A, EVENT_WEBHOOK_CONCURRENCY: '4' });
    const ids = await h.writeEvents(Array.from({ length: 60 }, (_, i) => ({ type: 'phone_number.changed', key: `p${i % 7}`, changes: { n: { from: i, to: i + 1 } } })));
    await h.dispatcher().runOnce();
    const got = receiver.received.map((r) => JSON.parse(r.body) as { id: number; key: string });
    expect(got.map((e) => e.id).sort((a, b) => a - b)).toEqual(ids);
    for (const key of new Set(got.map((e) => e.key))) {
      const ofKey = got.filter((e) => e.key === key).map((e) => e.id);
      expect(ofKey).toEqual([...ofKey].sort((a, b) => a - b));
    }
  });

  it('a hanging receiver costs its own lane the timeout and holds up no other subscription', async () => {
    const hanging = await startReceiver();
    hanging.answer = () => 'hang';
    const healthy = await startReceiver();
    const h = await deliveryHarness({
      EVENT_WEBHOOK_SLOW_URL: hanging.url,
      EVENT_WEBHOOK_SLOW_SECRET: SECRET_A,
      EVENT_WEBHOOK_FAST_URL: healthy.url,
      EVENT_WEBHOOK_FAST_SECRET: SECRET_B,
      EVENT_WEBHOOK_TIMEOUT_SECONDS: '1',
    });
    await h.writeEvents(churn);
    await h.dispatcher().runOnce();
    expect(healthy.received).toHaveLength(6);
    // One attempt, given up after the timeout; the lane paused instead of trying every event.
    expect(hanging.received).toHaveLength(1);
    const slow = await listDeliveries(h.db, { subscription: 'SLOW', statuses: ['pending'] });
    expect(slow).toHaveLength(6);
    expect(slow[0]).toMatchObject({ attempts: 1, lastError: 'no answer within 1000 ms' });
  });

  it('does not follow a redirect, and keeps only the start of a large error body', async () => {
    const elsewhere = await startReceiver();
    const receiver = await startReceiver();
    receiver.answer = () => ({ status: 307, headers: { location: `${elsewhere.url}?token=abc` } });
    const h = await deliveryHarness({ EVENT_WEBHOOK_R_URL: receiver.url, EVENT_WEBHOOK_R_SECRET: SECRET_A });
    await h.writeEvents(churn.slice(0, 1));
    await h.dispatcher().runOnce();
    expect(elsewhere.received).toHaveLength(0);
    const [row] = await listDeliveries(h.db, { subscription: 'R' });
    expect(row).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 307 });
    expect(row!.lastError).toBe(`HTTP 307 redirect to ${new URL(elsewhere.url).host} (not followed)`);

    receiver.answer = () => ({ status: 400, body: `${'x'.repeat(5_000_000)}` });
    h.clock.advance(60_000);
    await h.dispatcher().runOnce();
    const [again] = await listDeliveries(h.db, { subscription: 'R' });
    expect(again!.lastError!.length).toBeLessThanOrEqual(500);
    expect(again!.lastError).toMatch(/^HTTP 400: x+\.\.\.$/);
  });

  it('a crash between sending and marking repeats that one delivery, with the same webhook-id, and nothing else', async () => {
    const receiver = await startReceiver();
    const h = await deliveryHarness({ EVENT_WEBHOOK_C_URL: receiver.url, EVENT_WEBHOOK_C_SECRET: SECRET_A });
    const ids = await h.writeEvents(churn);
    // The process that crashed: it fanned out, claimed a batch, sent the first, and died.
    const crashed = h.dispatcher({ holder: 'crashed' });
    await crashed.stop();
    const { fanOut } = await import('../../src/delivery/fan-out.js');
    const { lanesFor } = await import('../../src/delivery/dispatcher.js');
    await fanOut(h.db, lanesFor(h.config), h.clock());
    const [first] = await claimDue(h.db, 'C', 'crashed', h.clock(), 60_000, 20);
    const body = (await h.db.selectFrom('event').selectAll().where('id', '=', first!.event_id).execute()).map((e) => e);
    const { eventJsonLine } = await import('../../src/events/format.js');
    const { toEventRecord } = await import('../../src/events/query.js');
    const line = eventJsonLine(toEventRecord(body[0]!));
    expect((await postJson(receiver.url, line, { ...signatureHeaders(SECRET_A, first!.webhook_id, h.clock(), line) }, 5000)).ok).toBe(true);
    // Its lease still holds: nobody sends meanwhile.
    await h.dispatcher().runOnce();
    expect(receiver.received).toHaveLength(1);
    // The lease runs out; the next daemon sends everything, the first event a second time.
    h.clock.advance(61_000);
    await h.dispatcher().runOnce();
    expect(receiver.received.map((r) => JSON.parse(r.body).id)).toEqual([ids[0], ...ids]);
    expect(receiver.received[0]!.headers['webhook-id']).toBe(receiver.received[1]!.headers['webhook-id']);
  });

  // Two connections in one process deadlock on SQLite (better-sqlite3 waits synchronously); there
  // its single writer serializes processes anyway. PostgreSQL is where daemons race.
  it.skipIf(testBackend !== 'postgres')('two dispatchers on one database make each delivery once', async () => {
    const receiver = await startReceiver();
    const h = await deliveryHarness({ EVENT_WEBHOOK_HA_URL: receiver.url, EVENT_WEBHOOK_HA_SECRET: SECRET_A });
    const many = Array.from({ length: 60 }, (_, i) => ({ type: 'phone_number.changed', key: `p${i % 7}`, changes: { n: { from: i, to: i + 1 } } }));
    const ids = await h.writeEvents(many);
    const otherDb = await openDatabase(h.dbPath);
    try {
      const one = h.dispatcher({ holder: 'one' });
      const two = h.dispatcher({ holder: 'two', db: otherDb });
      await Promise.all([one.runOnce(), two.runOnce(), one.runOnce(), two.runOnce()]);
      await two.stop();
    } finally {
      await otherDb.destroy();
    }
    const got = receiver.received.map((r) => JSON.parse(r.body) as { id: number; key: string });
    expect(got.map((e) => e.id).sort((a, b) => a - b)).toEqual(ids);
    // Per entity, in event order.
    for (const key of new Set(got.map((e) => e.key))) {
      const ofKey = got.filter((e) => e.key === key).map((e) => e.id);
      expect(ofKey).toEqual([...ofKey].sort((a, b) => a - b));
    }
  });

  // PostgreSQL hands out ids when a transaction writes, not when it commits: the event with the
  // lower id may become visible later. The feed is a queue, so it is still delivered.
  it.skipIf(testBackend !== 'postgres')('delivers an event whose transaction commits after one with a higher id', async () => {
    const receiver = await startReceiver();
    const h = await deliveryHarness({ EVENT_WEBHOOK_PG_URL: receiver.url, EVENT_WEBHOOK_PG_SECRET: SECRET_A });
    const dispatcher = h.dispatcher();
    const slow = await h.db.startTransaction().execute();
    try {
      const insert = (db: typeof h.db, key: string) =>
        db.insertInto('event').values({ type: 'waba.changed', source: 'meta', key, at: h.clock().toISOString(), run_id: null, before: null, after: '{}', changes: null }).returning('id').executeTakeFirstOrThrow();
      const early = await insert(slow, 'late-commit');
      const later = await insert(h.db, 'early-commit');
      expect(early.id).toBeLessThan(later.id);
      await dispatcher.runOnce();
      expect(receiver.received.map((r) => JSON.parse(r.body).id)).toEqual([later.id]);
      await slow.commit().execute();
      await dispatcher.runOnce();
      expect(receiver.received.map((r) => JSON.parse(r.body).id)).toEqual([later.id, early.id]);
    } finally {
      if (!slow.isCommitted) await slow.rollback().execute();
    }
  });

  it('gives up after the schedule, marks it failed and queues one alert email, the receiver’s answer made harmless in it', async () => {
    const receiver = await startReceiver();
    // What the receiver answers is its text: terminal escapes and markup must not reach the email.
    receiver.answer = () => ({ status: 500, body: 'bad \u001b]0;pwned\u0007\u001b[2J\u001b[31mRED <b>x</b>' });
    const h = await deliveryHarness({
      EVENT_WEBHOOK_X_URL: receiver.url,
      EVENT_WEBHOOK_X_SECRET: SECRET_A,
      EVENT_WEBHOOK_RETRY_SCHEDULE: '5s,1h',
      EVENT_WEBHOOK_GIVE_UP_HOURS: '2',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      MAIL_FROM: 'waba-sync@example.com',
      ALERT_TO: 'ops@example.com',
    });
    await h.writeEvents(churn.slice(0, 2));
    const dispatcher = h.dispatcher();
    for (let i = 0; i < 6; i++) {
      await dispatcher.runOnce();
      h.clock.advance(3_600_000);
    }
    const failed = await listDeliveries(h.db, { subscription: 'X', statuses: ['failed'] });
    expect(failed.map((d) => d.attempts)).toEqual([3, 3]);
    expect(failed[0]!.lastError).toBe('HTTP 500: bad RED <b>x</b>');
    const emails = await h.db.selectFrom('outbox').select(['idempotency_key', 'subject', 'text_body', 'html_body']).execute();
    expect(emails.map(({ idempotency_key, subject }) => ({ idempotency_key, subject }))).toEqual([
      { idempotency_key: `event-delivery-failed:X:${failed[0]!.nextAttemptAt.slice(0, 10)}`, subject: 'waba-sync: event deliveries to EVENT_WEBHOOK_X_URL failed' },
    ]);
    expect(emails[0]!.text_body).toContain('Last error: HTTP 500: bad RED <b>x</b>\n');
    // No control character but the line breaks.
    expect([...emails[0]!.text_body].filter((c) => c < ' ' && c !== '\n')).toEqual([]);
    expect(emails[0]!.html_body).toContain('Last error: HTTP 500: bad RED &lt;b&gt;x&lt;/b&gt;\n');
  });
});
