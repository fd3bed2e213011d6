/** The report's domain: what the query reads and the pure model works on. No database, no upstream JSON. */
import type { Month, MonthBounds } from './month.js';

/** 99digital's monthly counters, under the names the report uses (UPSTREAM.md §4). Never a cost. */
export interface Counters {
  readonly conversations: number;
  readonly marketing: number;
  readonly service: number;
  readonly incoming: number;
}

export const COUNTER_NAMES = ['conversations', 'marketing', 'service', 'incoming'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
/** The three categories that make up conversations. */
export const CATEGORIES = ['marketing', 'service', 'incoming'] as const;

export interface NumberInfo {
  readonly whatsapp: string;
  readonly display_name: string | null;
  readonly business_name: string | null;
  readonly coexistence: 0 | 1;
}

/** A complete 99digital pull: the reading a month's figures come from. */
export interface PullRef {
  readonly runId: number;
  /** ISO UTC; versions valid at this instant are the pull's state. */
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

/** The state of the fleet as one complete pull saw it. */
export interface Snapshot {
  readonly pull: PullRef;
  readonly numbers: ReadonlyMap<string, NumberInfo>;
  readonly counters: ReadonlyMap<string, Counters>;
}

/** One stored version of a number's counters, in order of time. */
export interface CounterReading {
  readonly whatsapp: string;
  /** When a pull first saw these values. */
  readonly at: string;
  readonly counters: Counters;
}

/** A data check the source recorded on a pull (e.g. 99digital's stated totals ≠ the list's sums). */
export interface StoredCheck {
  readonly check: string;
  readonly key: string;
  readonly detail: string;
}

export interface Membership {
  /** The instant numbers are counted from: the last complete pull before the month, else the month's first. */
  readonly since: string;
  /** True when there is no pull before the month: history starts inside it. */
  readonly historyStartsInMonth: boolean;
  readonly added: readonly NumberInfo[];
  /** With the last counters read in the month, when any pull of the month saw the number. */
  readonly removed: readonly { readonly info: NumberInfo; readonly lastReading: CounterReading | null }[];
}

export interface TrendPoint {
  readonly month: Month;
  readonly pull: PullRef | null;
  readonly totals: Counters | null;
}

/** 99digital's own monthly statistics, keyed "YYYY-MM", or why they could not be had. */
export type UpstreamStatistics =
  | { readonly status: 'ok'; readonly months: ReadonlyMap<string, Counters> }
  | { readonly status: 'failed'; readonly error: string }
  | { readonly status: 'unavailable'; readonly reason: string };

/** One 99digital onboarding link over time, in the report's words (read by src/sources/digital99/onboardings.ts). */
export interface OnboardingRecord {
  readonly createdAt: string;
  /** When a pull first saw it finished; null when unfinished or finished before waba-sync watched. */
  readonly finishedAt: string | null;
  /** When it vanished from 99digital's list; null while listed. */
  readonly removedAt: string | null;
  /** Its stored versions: from when, until when, finished or not. */
  readonly versions: readonly { readonly validFrom: string; readonly validTo: string | null; readonly finished: boolean }[];
}

/** Everything the model needs, read at one moment. */
export interface ReportData {
  readonly month: Month;
  readonly timezone: string;
  /** When the report is made: decides "month to date". */
  readonly now: Date;
  readonly bounds: MonthBounds;
  /** The last complete pull of the month, or null when there is none. */
  readonly current: Snapshot | null;
  readonly previous: Snapshot | null;
  /** Checks recorded on the current pull. */
  readonly storedChecks: readonly StoredCheck[];
  /** Every counters version seen by the month's pulls, per number in time order. */
  readonly readings: readonly CounterReading[];
  readonly membership: Membership | null;
  /** 12 months ending with the report's month, oldest first. */
  readonly trend: readonly TrendPoint[];
  readonly upstream: UpstreamStatistics;
  /** Every onboarding link ever stored (the onboarding section). */
  readonly onboardings: readonly OnboardingRecord[];
}
