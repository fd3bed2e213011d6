import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { scheduleTable } from '../../jobs/schedule.js';
import type { JobContext } from '../../jobs/types.js';
import { buildReport } from '../../reports/model.js';
import { type Month, addMonths, monthOf } from '../../reports/month.js';
import { loadReportData } from '../../reports/query.js';
import type { App } from '../../src/app.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { SourceLocks } from '../../src/sync/source-locks.js';
import { digital99Harness } from '../helpers/digital99.js';
import { testBackend } from '../helpers/postgres.js';
import { startSmtp } from '../helpers/smtp.js';

const DAY_MS = 86_400_000;
const TABLES = ['entity_version', 'event', 'digest_event', 'sync_run', 'data_check', 'outbox'] as const;

async function rowCounts(app: App): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const row = await app.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** SQLite: the bytes the database takes (its pages, free ones excluded once handed back). */
async function sqliteBytes(app: App): Promise<number> {
  const pages = await sql<{ page_count: number }>`pragma page_count`.execute(app.db);
  const size = await sql<{ page_size: number }>`pragma page_size`.execute(app.db);
  return pages.rows[0]!.page_count * size.rows[0]!.page_size;
}

/** Every version ever written: what the history would hold without retention. */
async function maxVersionId(app: App): Promise<number> {
  const row = await app.db.selectFrom('entity_version').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow();
  return Number(row.id);
}

/** The report of `month` as a reader sees it, without the moment it was made. */
async function reportOf(app: App, month: Month): Promise<unknown> {
  const data = await loadReportData(app.db, { month, timezone: 'UTC', now: app.clock(), statistics: null });
  const { generatedAt: _generatedAt, ...report } = buildReport(data, { staleHours: app.config.report.staleHours });
  return report;
}

describe('retention over a simulated year', () => {
  it('daily churn, a weekly digest, the daily prune: the database stays within a bound and last month\'s report is what it was', { timeout: 600_000 }, async () => {
    const smtp = await startSmtp();
    const h = await digital99Harness({
      timezone: 'UTC',
      env: {
        TIMEZONE: 'UTC',
        ...smtp.env,
        MAIL_FROM: 'waba-sync@example.com',
        DIGEST_TO: 'ops@example.com',
        ALERT_TO: '',
        RETAIN_EVENTS_DAYS: '30',
        RETAIN_HISTORY_DAYS: '30',
        RETAIN_RUNS_DAYS: '30',
        RETAIN_SENT_MAIL_DAYS: '30',
      },
    });
    h.clock.set('2025-01-01T09:00:00.000Z');
    for (let i = 0; i < 12; i++) h.world.addNumber({ display_name: `Shop ${i}` });
    const ctx: JobContext = { app: h.app, signal: new AbortController().signal, locks: new SourceLocks(), metrics: createMetrics(h.app.db, () => ['digital99']) };
    const jobs = scheduleTable(h.app.config);
    const job = (name: string) => jobs.find((j) => j.name === name)!;
    expect(job('prune').cron).toBe('17 3 * * *');

    const start = h.clock().getTime();
    const recorded = new Map<string, unknown>();
    let mid: { rows: Record<string, number>; bytes: number } | null = null;
    let eventsEmitted = 0;
    let versionsBefore92Days = 0;
    const DAYS = 380; // 2025-01-01 … 2026-01-15
    for (let day = 0; day < DAYS; day++) {
      h.clock.set(new Date(start + day * DAY_MS));
      const today = h.clock();
      if (today.getUTCDate() === 1 && day > 0) {
        // The month that just ended, as its report reads now, before today's prune.
        const previous = addMonths(monthOf(today, 'UTC'), -1);
        recorded.set(`${previous.year}-${previous.month}`, await reportOf(h.app, previous));
        h.world.resetCounters();
      }
      // The day's churn: traffic on a third of the fleet, a renamed shop, a number every few days in and out.
      const numbers = [...h.world.numbers.keys()];
      numbers.forEach((whatsapp, i) => {
        if ((i + day) % 3 === 0) h.world.addTraffic(whatsapp, { marketing: 1 + (day % 4), service: 2, incoming: day % 3 });
      });
      h.world.updateNumber(numbers[day % numbers.length]!, { display_name: `Shop ${day}` });
      if (day % 5 === 0) h.world.addNumber({ display_name: `New ${day}` });
      if (day % 5 === 2) h.world.removeNumber(numbers[0]!);

      const pull = await h.sync();
      expect(pull.outcome).toBe('complete');
      eventsEmitted += pull.events;
      if (day % 7 === 0) await job('digest').run(ctx); // weekly: events wait up to a week to be mailed
      h.clock.set(new Date(start + day * DAY_MS + 8 * 3_600_000));
      await job('prune').run(ctx);
      if (day === DAYS - 93) versionsBefore92Days = await maxVersionId(h.app);
      if (day === 200) mid = { rows: await rowCounts(h.app), bytes: testBackend === 'sqlite' ? await sqliteBytes(h.app) : 0 };
    }

    const end = await rowCounts(h.app);
    const fleet = h.world.numbers.size;
    // Events, digests' links and sent mail: as many as in the middle of the year; far fewer events than were emitted.
    expect(end.event).toBeLessThan(eventsEmitted / 5);
    for (const table of ['event', 'digest_event', 'outbox'] as const) expect(end[table], table).toBeLessThanOrEqual(Math.ceil(mid!.rows[table]! * 1.2) + 5);
    // History: the current versions, what changed in the last 30 days and what the two reports read —
    // from the last pull before November 1st (≤ 92 days) plus one snapshot (numbers and counters) per earlier trend month.
    const everCreated = await maxVersionId(h.app);
    expect(end.entity_version).toBeLessThanOrEqual(2 * fleet + (everCreated - versionsBefore92Days) + 10 * 2 * fleet);
    expect(end.entity_version).toBeLessThan(everCreated / 2);
    // Runs: the two reports' pulls (daily since that same pull, and one per earlier trend month).
    expect(end.sync_run).toBeLessThanOrEqual(93 + 10);
    if (testBackend === 'sqlite') expect(await sqliteBytes(h.app)).toBeLessThanOrEqual(mid!.bytes * 1.3);
    // Current state is whole: one current number per number upstream.
    const current = await h.app.db.selectFrom('entity_version').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', 'number').where('valid_to', 'is', null).executeTakeFirstOrThrow();
    expect(Number(current.n)).toBe(h.world.numbers.size);
    // Every digest was mailed.
    expect(smtp.mails.length).toBe(Math.ceil(DAYS / 7));

    // Last month's report (December 2025), read today after two weeks of pruning, is the one read on January 1st.
    const december: Month = { year: 2025, month: 12 };
    expect(monthOf(h.clock(), 'UTC')).toEqual({ year: 2026, month: 1 });
    const now = await reportOf(h.app, december);
    expect(now).toEqual(recorded.get('2025-12'));
    const trend = (now as { trend: { totals: unknown }[] }).trend;
    expect(trend.filter((point) => point.totals !== null).length).toBeGreaterThanOrEqual(11);
  });
});
