import { describe, expect, it } from 'vitest';
import { queueDigest, digestSettings } from '../../src/notify/digest/digest.js';
import { drainConfigured } from '../../src/notify/mailer.js';
import type { App } from '../../src/app.js';
import { cli } from '../helpers/cli.js';
import { digital99Harness } from '../helpers/digital99.js';
import { startSmtp } from '../helpers/smtp.js';

const DAY_MS = 86_400_000;

async function count(app: App, table: 'event' | 'digest_event' | 'entity_version' | 'sync_run' | 'outbox', where?: [string, string]): Promise<number> {
  let query = app.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
  if (where) query = query.where(where[0] as any, '=', where[1]);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

/** The ROWS column of one table in the prune output. */
function rowsOf(output: string, table: string): string {
  return output.split('\n').find((line) => line.startsWith(`${table} `))!.trim().split(/\s+/)[1]!;
}

describe('prune', () => {
  it('deletes only what retention allows: never current versions, events not yet in a digest, unsent mail or the latest runs; --dry-run deletes nothing', async () => {
    const smtp = await startSmtp();
    const retention = { RETAIN_EVENTS_DAYS: '10', RETAIN_HISTORY_DAYS: '10', RETAIN_RUNS_DAYS: '10', RETAIN_SENT_MAIL_DAYS: '10' };
    const mail = { ...smtp.env, MAIL_FROM: 'waba-sync@example.com', DIGEST_TO: 'ops@example.com', ALERT_TO: '' };
    const h = await digital99Harness({ env: { ...mail, ...retention } });
    const { app } = h;
    const digestAndSend = async () => {
      await queueDigest(app.db, app.clock(), digestSettings(app.config), { commit: true });
      await drainConfigured({ db: app.db, clock: app.clock, log: app.log, config: app.config, scrubber: app.scrubber });
    };

    const onboarding = h.world.addOnboarding();
    const number = h.world.addNumber({ display_name: 'Old name' });
    await h.sync(); // baseline
    h.world.updateNumber(number.whatsapp, { display_name: 'New name' });
    await h.sync(); // number.changed: the old version closes
    await digestAndSend(); // covers both events; the email is sent
    expect(smtp.mails).toHaveLength(1);

    h.clock.advance(DAY_MS);
    h.world.finishOnboarding(onboarding.onboarding_link);
    await h.sync(); // onboarding.completed + number.added, not yet in a digest
    await smtp.down('refuse');
    h.world.updateNumber(number.whatsapp, { display_name: 'Newer name' });
    await h.sync();
    await digestAndSend(); // this digest's email stays pending: the mail server is down
    expect(await count(app, 'outbox', ['status', 'pending'])).toBe(1);
    h.world.updateNumber(number.whatsapp, { display_name: 'Newest name' });
    await h.sync(); // not in any digest

    h.clock.advance(30 * DAY_MS);
    const before = { event: await count(app, 'event'), versions: await count(app, 'entity_version'), runs: await count(app, 'sync_run'), outbox: await count(app, 'outbox') };
    const dry = await cli(['prune', '--dry-run'], h.env, { clock: h.clock });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run (nothing deleted)');
    expect(rowsOf(dry.stdout, 'event')).toBe('2'); // sync.baseline and the first number.changed
    expect(rowsOf(dry.stdout, 'outbox')).toBe('1');
    expect({ event: await count(app, 'event'), versions: await count(app, 'entity_version'), runs: await count(app, 'sync_run'), outbox: await count(app, 'outbox') }).toEqual(before);

    const run = await cli(['prune'], h.env, { clock: h.clock });
    expect(run.code).toBe(0);
    for (const table of ['event', 'entity_version', 'sync_run', 'outbox']) expect(rowsOf(run.stdout, table), table).toBe(rowsOf(dry.stdout, table));
    // Events: only those already mailed went; the rest are still to be mailed.
    expect((await app.db.selectFrom('event').select('type').orderBy('id').execute()).map((e) => e.type)).toEqual(['onboarding.completed', 'number.added', 'number.changed', 'number.changed']);
    expect(await count(app, 'digest_event')).toBe(3);
    // Mail: the sent one went, the pending one waits for the server.
    expect(await count(app, 'outbox')).toBe(1);
    expect(await count(app, 'outbox', ['status', 'pending'])).toBe(1);
    // History: every current version stays; the number's replaced names went.
    const current = await app.db.selectFrom('entity_version').select(['kind', 'key']).where('valid_to', 'is', null).execute();
    expect(current.length).toBeGreaterThanOrEqual(4);
    expect(await count(app, 'entity_version')).toBe(before.versions - Number(rowsOf(run.stdout, 'entity_version')));
    // The ledger still knows the last complete pull.
    const status = await cli(['status'], h.env, { clock: h.clock });
    expect(status.stdout).toMatch(/digital99\s+enabled\s+full complete/);

    // A second prune finds nothing more; without a digest configured, nothing is to be mailed any more.
    const again = await cli(['prune'], h.env, { clock: h.clock });
    expect(rowsOf(again.stdout, 'event')).toBe('0');
    const withoutDigest = await cli(['prune'], { ...h.env, SMTP_URL: '', MAIL_FROM: '', DIGEST_TO: '' }, { clock: h.clock });
    expect(rowsOf(withoutDigest.stdout, 'event')).toBe('4');
    expect(await count(app, 'digest_event')).toBe(0);
  });

  it('with no RETAIN_*_DAYS set keeps everything and says so', async () => {
    const h = await digital99Harness();
    h.world.addNumber();
    await h.sync();
    h.clock.advance(400 * DAY_MS);
    const run = await cli(['prune'], h.env, { clock: h.clock });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('RETAIN_EVENTS_DAYS is unset: everything is kept');
    expect(await count(h.app, 'event')).toBe(1);
  });

  it('rejects a retention that is not a whole number of days (exit 2, naming it)', async () => {
    const run = await cli(['prune'], { RETAIN_EVENTS_DAYS: '0' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('RETAIN_EVENTS_DAYS: expected a whole number from 1 to 36500, got "0"');
  });
});

describe('prune and the webhook inbox', () => {
  it('processed deliveries go with RETAIN_RUNS_DAYS but stay at least 8 days (Meta repeats for 7); unprocessed ones stay', async () => {
    const h = await digital99Harness({ env: { RETAIN_RUNS_DAYS: '1' } });
    const at = (days: number) => new Date(h.clock().getTime() - days * DAY_MS).toISOString();
    const row = (hash: string, processedDaysAgo: number | null) => ({
      upstream: 'meta',
      body_hash: hash.repeat(64),
      body: '{}',
      received_at: at(processedDaysAgo ?? 30),
      last_received_at: at(processedDaysAgo ?? 30),
      next_attempt_at: at(processedDaysAgo ?? 30),
      processed_at: processedDaysAgo === null ? null : at(processedDaysAgo),
      outcome: processedDaysAgo === null ? null : 'applied',
    });
    await h.app.db.insertInto('webhook_inbox').values([row('a', 30), row('b', 5), row('c', null)]).execute();
    const run = await cli(['prune'], h.env, { clock: h.clock });
    expect(run.code).toBe(0);
    expect(rowsOf(run.stdout, 'webhook_inbox')).toBe('1');
    const left = await h.app.db.selectFrom('webhook_inbox').select('body_hash').orderBy('body_hash').execute();
    expect(left.map((r) => r.body_hash[0])).toEqual(['b', 'c']);
  });
});

describe('prune and outgoing event delivery', () => {
  it('keeps an event still waiting to be fanned out or delivered; an event delivered everywhere goes with its delivery rows', async () => {
    const subscription = { EVENT_WEBHOOK_BILLING_URL: 'http://127.0.0.1:9/hooks', EVENT_WEBHOOK_BILLING_SECRET: `whsec_${Buffer.alloc(24, 7).toString('base64')}` };
    const h = await digital99Harness({ env: { RETAIN_EVENTS_DAYS: '1', ...subscription } });
    h.world.addNumber();
    await h.sync(); // sync.baseline: in event_feed (no dispatcher ran)
    h.world.addNumber();
    await h.sync(); // number.added
    const events = await h.app.db.selectFrom('event').select(['id', 'type', 'at']).orderBy('id').execute();
    expect(events.map((e) => e.type)).toEqual(['sync.baseline', 'number.added']);
    // The baseline was fanned out and delivered; number.added was fanned out and is still pending.
    await h.app.db.deleteFrom('event_feed').execute();
    const delivery = (eventId: number, status: 'pending' | 'delivered') => ({
      subscription: 'BILLING',
      event_id: eventId,
      event_type: 'x',
      entity: 'digital99/number/x',
      webhook_id: `msg_${eventId}`,
      attempts: 0,
      status,
      next_attempt_at: events[0]!.at,
      event_at: events[0]!.at,
      created_at: events[0]!.at,
    });
    await h.app.db.insertInto('event_delivery').values([delivery(events[0]!.id, 'delivered'), delivery(events[1]!.id, 'pending')]).execute();
    h.clock.advance(10 * DAY_MS);
    const run = await cli(['prune'], h.env, { clock: h.clock });
    expect(run.code).toBe(0);
    expect((await h.app.db.selectFrom('event').select('type').execute()).map((e) => e.type)).toEqual(['number.added']);
    expect((await h.app.db.selectFrom('event_delivery').select('status').execute()).map((d) => d.status)).toEqual(['pending']);
  });

  it('an event not yet fanned out is kept while a subscription is configured, and not held back when none is', async () => {
    const subscription = { EVENT_WEBHOOK_BILLING_URL: 'http://127.0.0.1:9/hooks', EVENT_WEBHOOK_BILLING_SECRET: `whsec_${Buffer.alloc(24, 7).toString('base64')}` };
    const h = await digital99Harness({ env: { RETAIN_EVENTS_DAYS: '1' } });
    h.world.addNumber();
    await h.sync();
    h.clock.advance(10 * DAY_MS);
    expect(rowsOf((await cli(['prune', '--dry-run'], { ...h.env, ...subscription }, { clock: h.clock })).stdout, 'event')).toBe('0');
    expect(rowsOf((await cli(['prune'], h.env, { clock: h.clock })).stdout, 'event')).toBe('1');
    expect(await h.app.db.selectFrom('event_feed').select('event_id').execute()).toEqual([]);
  });
});
