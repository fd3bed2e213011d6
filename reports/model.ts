/**
 * The report model: a pure function of the data read for one month. Every number the renderers
 * show is decided here, including the checks (shown, never hidden), staleness and month-to-date.
 */
import { addMonths, compareMonths, monthKey, monthName, monthOf, shortMonthName } from './month.js';
import { sumCounters } from './query.js';
import { COUNTER_NAMES, type CounterName, type CounterReading, type Counters, type Membership, type NumberInfo, type PullRef, type ReportData } from './types.js';
import { duration, localTime } from './format.js';
import { type OnboardingSection, onboardingSection } from './onboarding.js';

export interface ReportOptions {
  /** A pull further than this before the month's end (or before now, month to date) is flagged. */
  readonly staleHours: number;
  /** How many numbers the "top numbers" list holds (default 5). */
  readonly topCount?: number;
}

export type FindingCheck = 'counters_sum' | 'totals_sum' | 'went_down';

export interface Finding {
  readonly check: FindingCheck;
  /** The number, or "*" for the fleet. */
  readonly key: string;
  readonly detail: string;
}

export interface ReportRow {
  readonly info: NumberInfo;
  /** Null for a number that was in last month's figures but not in this month's. */
  readonly current: Counters | null;
  /** Null when last month's figures did not have the number (or there are none). */
  readonly previous: Counters | null;
  readonly change: Counters | null;
  readonly status: 'kept' | 'new' | 'gone';
}

export interface Staleness {
  readonly gapMs: number;
  readonly text: string;
}

export interface CrossCheck {
  readonly status: 'match' | 'differs' | 'no_data' | 'failed' | 'unavailable' | 'no_figures';
  readonly text: string;
  readonly upstream: Counters | null;
  readonly differences: readonly { readonly name: CounterName; readonly ours: number; readonly theirs: number }[];
}

export interface TrendEntry {
  readonly month: string;
  readonly label: string;
  readonly monthToDate: boolean;
  readonly totals: Counters | null;
  readonly upstream: Counters | null;
}

export interface MonthlyReport {
  readonly month: string;
  readonly title: string;
  readonly monthToDate: boolean;
  readonly timezone: string;
  readonly period: { readonly start: string; readonly end: string };
  readonly generatedAt: string;
  readonly pull: PullRef | null;
  readonly previousMonth: string;
  readonly previousTitle: string;
  readonly previousPull: PullRef | null;
  readonly stale: Staleness | null;
  readonly totals: Counters | null;
  readonly previousTotals: Counters | null;
  readonly change: Counters | null;
  readonly rows: readonly ReportRow[];
  readonly top: readonly ReportRow[];
  readonly membership: Membership | null;
  readonly findings: readonly Finding[];
  readonly crossCheck: CrossCheck;
  readonly trend: readonly TrendEntry[];
  /** 99digital onboarding links in the month. */
  readonly onboarding: OnboardingSection;
}

export function buildReport(data: ReportData, options: ReportOptions): MonthlyReport {
  const { month, timezone, now, bounds, current, previous } = data;
  const monthToDate = compareMonths(month, monthOf(now, timezone)) >= 0;
  const prevMonth = addMonths(month, -1);
  const totals = current ? sumCounters(current.counters.values()) : null;
  const previousTotals = previous ? sumCounters(previous.counters.values()) : null;
  const rows = current ? reportRows(current, previous) : [];

  return {
    month: monthKey(month),
    title: monthToDate ? `${monthName(month)} (month to date)` : monthName(month),
    monthToDate,
    timezone,
    period: { start: bounds.start.toISOString(), end: bounds.end.toISOString() },
    generatedAt: now.toISOString(),
    pull: current?.pull ?? null,
    previousMonth: monthKey(prevMonth),
    previousTitle: monthName(prevMonth),
    previousPull: previous?.pull ?? null,
    stale: current ? staleness(current.pull, monthToDate ? now : bounds.end, monthToDate, options.staleHours, timezone) : null,
    totals,
    previousTotals,
    change: totals && previousTotals ? difference(totals, previousTotals) : null,
    rows,
    top: rows
      .filter((row) => row.current && row.current.conversations > 0)
      .slice(0, options.topCount ?? 5),
    membership: data.membership,
    findings: current ? findings(current.counters, data.storedChecks, data.readings, timezone) : [],
    crossCheck: crossCheck(data, totals, monthToDate),
    trend: data.trend.map((point) => ({
      month: monthKey(point.month),
      label: compareMonths(point.month, monthOf(now, timezone)) >= 0 ? `${shortMonthName(point.month)} (to date)` : shortMonthName(point.month),
      monthToDate: compareMonths(point.month, monthOf(now, timezone)) >= 0,
      totals: point.totals,
      upstream: data.upstream.status === 'ok' ? (data.upstream.months.get(monthKey(point.month)) ?? null) : null,
    })),
    onboarding: onboardingSection(data.onboardings, bounds, current?.pull ?? null),
  };
}

export function difference(a: Counters, b: Counters): Counters {
  return { conversations: a.conversations - b.conversations, marketing: a.marketing - b.marketing, service: a.service - b.service, incoming: a.incoming - b.incoming };
}

/** Numbers in this month's figures (most conversations first), then those only in last month's. */
function reportRows(current: NonNullable<ReportData['current']>, previous: ReportData['previous']): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const [key, info] of current.numbers) {
    const now = current.counters.get(key) ?? null;
    const before = previous?.counters.get(key) ?? null;
    rows.push({ info, current: now, previous: before, change: now && before ? difference(now, before) : null, status: before || !previous ? 'kept' : 'new' });
  }
  rows.sort((a, b) => (b.current?.conversations ?? 0) - (a.current?.conversations ?? 0) || a.info.whatsapp.localeCompare(b.info.whatsapp));
  if (previous) {
    const gone = [...previous.numbers.values()].filter((info) => !current.numbers.has(info.whatsapp)).sort((a, b) => a.whatsapp.localeCompare(b.whatsapp));
    for (const info of gone) rows.push({ info, current: null, previous: previous.counters.get(info.whatsapp) ?? null, change: null, status: 'gone' });
  }
  return rows;
}

function staleness(pull: PullRef, reference: Date, monthToDate: boolean, staleHours: number, timezone: string): Staleness | null {
  const gapMs = reference.getTime() - new Date(pull.startedAt).getTime();
  if (gapMs <= staleHours * 3_600_000) return null;
  const at = localTime(pull.startedAt, timezone);
  const text = monthToDate
    ? `The figures are as of the last complete pull at ${at} (${timezone}), ${duration(gapMs)} ago: more recent conversations are not included.`
    : `The figures may be short: the last complete pull of the month was at ${at} (${timezone}), ${duration(gapMs)} before the month ended, so up to ${duration(gapMs)} of conversations may be missing.`;
  return { gapMs, text };
}

function findings(counters: ReadonlyMap<string, Counters>, stored: ReportData['storedChecks'], readings: readonly CounterReading[], timezone: string): Finding[] {
  const out: Finding[] = [];
  for (const [key, c] of counters) {
    const parts = c.marketing + c.service + c.incoming;
    if (c.conversations !== parts) {
      out.push({ check: 'counters_sum', key, detail: `conversations ${c.conversations} ≠ marketing ${c.marketing} + service ${c.service} + incoming ${c.incoming} (= ${parts})` });
    }
  }
  const totals = sumCounters(counters.values());
  const parts = totals.marketing + totals.service + totals.incoming;
  if (totals.conversations !== parts) {
    out.push({ check: 'totals_sum', key: '*', detail: `total conversations ${totals.conversations} ≠ total marketing + service + incoming (= ${parts})` });
  }
  for (const check of stored) {
    if (check.check === 'totals_sum') out.push({ check: 'totals_sum', key: check.key, detail: `99digital's stated total differs from its list: ${check.detail}` });
  }
  for (let i = 1; i < readings.length; i++) {
    const before = readings[i - 1]!;
    const after = readings[i]!;
    if (before.whatsapp !== after.whatsapp) continue;
    const dropped = COUNTER_NAMES.filter((name) => after.counters[name] < before.counters[name]);
    if (dropped.length === 0) continue;
    const what = dropped.map((name) => `${name} ${before.counters[name]} → ${after.counters[name]}`).join(', ');
    out.push({
      check: 'went_down',
      key: after.whatsapp,
      detail: `went down within the month: ${what} (between pulls at ${localTime(before.at, timezone)} and ${localTime(after.at, timezone)})`,
    });
  }
  return out;
}

function crossCheck(data: ReportData, totals: Counters | null, monthToDate: boolean): CrossCheck {
  const none = { upstream: null, differences: [] };
  const upstream = data.upstream;
  if (upstream.status === 'unavailable') return { status: 'unavailable', text: `Not cross-checked with 99digital's statistics: ${upstream.reason}.`, ...none };
  if (upstream.status === 'failed') {
    return { status: 'failed', text: `99digital's statistics could not be read (${upstream.error}); the figures come from the stored pulls only.`, ...none };
  }
  const theirs = upstream.months.get(monthKey(data.month)) ?? null;
  if (!theirs) return { status: 'no_data', text: `99digital's statistics have no figures for ${monthName(data.month)}.`, ...none };
  if (!totals) return { status: 'no_figures', text: `99digital's statistics give ${theirs.conversations} conversations; there is no complete pull to compare with.`, upstream: theirs, differences: [] };
  const differences = COUNTER_NAMES.filter((name) => totals[name] !== theirs[name]).map((name) => ({ name, ours: totals[name], theirs: theirs[name] }));
  if (differences.length === 0) return { status: 'match', text: "99digital's statistics for the month agree with these totals.", upstream: theirs, differences };
  const list = differences.map((d) => `${d.name} ${d.ours} here, ${d.theirs} in 99digital's statistics`).join('; ');
  const why = monthToDate ? ' (month to date: 99digital may have counted conversations after the last pull)' : '';
  return { status: 'differs', text: `99digital's statistics differ: ${list}${why}.`, upstream: theirs, differences };
}

