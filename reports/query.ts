/**
 * Reads what the report needs from the stored 99digital history. A month's figures are the state
 * as of the last complete digital99 pull whose start falls inside the month (in TIMEZONE): the
 * entity versions valid at that pull's start. Failed pulls never wrote versions, so they are never
 * read. Stored JSON is parsed once, into the report's own types, by src/sources/digital99/stored.ts.
 */
import type { Db } from '../db/database.js';
import { describeError } from '../src/errors.js';
// 99digital's stored records, parsed by its own module: the report knows no upstream field names.
import { NOT_CONFIGURED, NUMBER, NUMBER_COUNTERS, SOURCE, readCounters, readNumber, unknownNumber } from '../src/sources/digital99/stored.js';
import { readOnboardingTimelines } from '../src/sources/digital99/onboardings.js';
import { type Month, type MonthBounds, addMonths, monthBounds, monthKey, monthsEndingWith } from './month.js';
import type { CounterReading, Counters, Membership, NumberInfo, PullRef, ReportData, Snapshot, StoredCheck, TrendPoint, UpstreamStatistics } from './types.js';
import { type CompletePullRef, completePullStartedIn, lastCompletePullStartedBefore } from '../src/sync/ledger.js';

export const TREND_MONTHS = 12;

/** 99digital's own monthly statistics for a range of months, keyed "YYYY-MM"; throws when it can't answer. */
export type StatisticsReader = (range: { from: Month; to: Month }, signal?: AbortSignal) => Promise<ReadonlyMap<string, Counters>>;

export interface LoadOptions {
  readonly month: Month;
  readonly timezone: string;
  readonly now: Date;
  /** Null when 99digital is not configured: the cross-check says so. */
  readonly statistics: StatisticsReader | null;
  readonly signal?: AbortSignal;
}

export async function loadReportData(db: Db, options: LoadOptions): Promise<ReportData> {
  const { month, timezone, now } = options;
  const bounds = monthBounds(month, timezone);
  const pull = await lastPullIn(db, bounds);
  const previousPull = await lastPullIn(db, monthBounds(addMonths(month, -1), timezone));
  const current = pull ? await snapshotAt(db, pull) : null;
  const previous = previousPull ? await snapshotAt(db, previousPull) : null;

  let readings: CounterReading[] = [];
  let membership: Membership | null = null;
  let storedChecks: StoredCheck[] = [];
  if (pull) {
    const first = (await firstPullIn(db, bounds))!;
    readings = await countersSeenBetween(db, first.startedAt, pull.startedAt);
    membership = await membershipIn(db, bounds, first, pull, readings);
    storedChecks = await db
      .selectFrom('data_check')
      .select(['check', 'key', 'detail'])
      .where('run_id', '=', pull.runId)
      .where('source', '=', SOURCE)
      .orderBy('id')
      .execute();
  }

  const trend: TrendPoint[] = [];
  for (const m of monthsEndingWith(month, TREND_MONTHS)) {
    if (monthKey(m) === monthKey(month)) {
      trend.push({ month: m, pull, totals: current ? sumCounters(current.counters.values()) : null });
      continue;
    }
    const ref = await lastPullIn(db, monthBounds(m, timezone));
    const counters = ref ? await countersAt(db, ref.startedAt) : null;
    trend.push({ month: m, pull: ref, totals: counters ? sumCounters(counters.values()) : null });
  }

  const onboardings = (await readOnboardingTimelines(db)).map(({ createdAt, finishedAt, removedAt, versions }) => ({ createdAt, finishedAt, removedAt, versions }));
  return { month, timezone, now, bounds, current, previous, storedChecks, readings, membership, trend, upstream: await readUpstream(options), onboardings };
}

async function readUpstream(options: LoadOptions): Promise<UpstreamStatistics> {
  if (!options.statistics) return { status: 'unavailable', reason: NOT_CONFIGURED };
  try {
    const months = await options.statistics({ from: addMonths(options.month, -(TREND_MONTHS - 1)), to: options.month }, options.signal);
    return { status: 'ok', months };
  } catch (error) {
    return { status: 'failed', error: describeError(error) };
  }
}

/** The last complete pull that started inside the month. */
export async function lastPullIn(db: Db, bounds: MonthBounds): Promise<PullRef | null> {
  return pullRef(await completePullStartedIn(db, SOURCE, monthRange(bounds), 'last'));
}

async function firstPullIn(db: Db, bounds: MonthBounds): Promise<PullRef | null> {
  return pullRef(await completePullStartedIn(db, SOURCE, monthRange(bounds), 'first'));
}

async function lastPullBefore(db: Db, instant: string): Promise<PullRef | null> {
  return pullRef(await lastCompletePullStartedBefore(db, SOURCE, instant));
}

/** True when some complete 99digital pull started before `instant` (the report has something to say). */
export async function hasPullBefore(db: Db, instant: Date): Promise<boolean> {
  return (await lastPullBefore(db, instant.toISOString())) !== null;
}

function monthRange(bounds: MonthBounds): { from: string; to: string } {
  return { from: bounds.start.toISOString(), to: bounds.end.toISOString() };
}

function pullRef(row: CompletePullRef | null): PullRef | null {
  return row && { runId: row.id, startedAt: row.started_at, finishedAt: row.finished_at };
}

async function snapshotAt(db: Db, pull: PullRef): Promise<Snapshot> {
  const numbers = new Map<string, NumberInfo>();
  for (const row of await versionsAt(db, NUMBER, pull.startedAt)) numbers.set(row.key, readNumber(row.key, row.data));
  return { pull, numbers, counters: await countersAt(db, pull.startedAt) };
}

async function countersAt(db: Db, at: string): Promise<Map<string, Counters>> {
  const counters = new Map<string, Counters>();
  for (const row of await versionsAt(db, NUMBER_COUNTERS, at)) counters.set(row.key, readCounters(row.key, row.data));
  return counters;
}

/** The versions of one kind valid at `at`: valid_from <= at < valid_to. */
function versionsAt(db: Db, kind: string, at: string) {
  return db
    .selectFrom('entity_version')
    .select(['key', 'data'])
    .where('source', '=', SOURCE)
    .where('kind', '=', kind)
    .where('valid_from', '<=', at)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', at)]))
    .orderBy('key')
    .execute();
}

/** Versions of one kind that some pull in [from, to] saw: valid at `from`, or started by a pull up to `to`. */
function versionsSeenBetween(db: Db, kind: string, from: string, to: string) {
  return db
    .selectFrom('entity_version')
    .select(['key', 'data', 'valid_from'])
    .where('source', '=', SOURCE)
    .where('kind', '=', kind)
    .where('valid_from', '<=', to)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', from)]))
    .orderBy('key')
    .orderBy('valid_from')
    .execute();
}

async function countersSeenBetween(db: Db, from: string, to: string): Promise<CounterReading[]> {
  const rows = await versionsSeenBetween(db, NUMBER_COUNTERS, from, to);
  return rows.map((row) => ({ whatsapp: row.key, at: row.valid_from < from ? from : row.valid_from, counters: readCounters(row.key, row.data) }));
}

/**
 * Numbers added and removed in the month: compared with the last complete pull before the month
 * (or, when history starts inside it, with the month's first pull). A number that came and went
 * inside the month is both added and removed.
 */
async function membershipIn(db: Db, bounds: MonthBounds, first: PullRef, last: PullRef, readings: readonly CounterReading[]): Promise<Membership> {
  const before = await lastPullBefore(db, bounds.start.toISOString());
  const since = before ?? first;
  const atStart = new Set((await versionsAt(db, NUMBER, since.startedAt)).map((row) => row.key));
  const atEnd = new Set((await versionsAt(db, NUMBER, last.startedAt)).map((row) => row.key));
  const latest = new Map<string, NumberInfo>();
  for (const row of await versionsSeenBetween(db, NUMBER, since.startedAt, last.startedAt)) latest.set(row.key, readNumber(row.key, row.data));
  const lastReading = new Map<string, CounterReading>();
  for (const reading of readings) lastReading.set(reading.whatsapp, reading);

  const added = [...latest.keys()].filter((key) => !atStart.has(key)).sort();
  const removed = [...new Set([...latest.keys(), ...atStart])].filter((key) => !atEnd.has(key)).sort();
  return {
    since: since.startedAt,
    historyStartsInMonth: before === null,
    added: added.map((key) => latest.get(key)!),
    removed: removed.map((key) => ({ info: latest.get(key) ?? unknownNumber(key), lastReading: lastReading.get(key) ?? null })),
  };
}

export function sumCounters(all: Iterable<Counters>): Counters {
  const sum = { conversations: 0, marketing: 0, service: 0, incoming: 0 };
  for (const c of all) {
    sum.conversations += c.conversations;
    sum.marketing += c.marketing;
    sum.service += c.service;
    sum.incoming += c.incoming;
  }
  return sum;
}
