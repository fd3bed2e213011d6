/**
 * Pure: the report's onboarding section — 99digital onboarding links created, finished and
 * deleted in the month (its local bounds), the median days from creation to finish of those
 * finished in it, and how many were still open at the month's figures (its last complete pull).
 */
import type { MonthBounds } from './month.js';
import type { OnboardingRecord, PullRef } from './types.js';

export interface OnboardingSection {
  readonly created: number;
  readonly finished: number;
  /** Over the links finished in the month whose creation and finish times are known; null when none. */
  readonly medianDaysToFinish: number | null;
  /** Unfinished links at the month's last complete pull; null without a pull. */
  readonly stillOpen: number | null;
  /** Unfinished links that vanished from 99digital's list in the month (deleted: finished ones can't be). */
  readonly deleted: number;
}

const DAY_MS = 86_400_000;

export function onboardingSection(records: readonly OnboardingRecord[], bounds: MonthBounds, pull: PullRef | null): OnboardingSection {
  const start = bounds.start.toISOString();
  const end = bounds.end.toISOString();
  const inMonth = (at: string | null): at is string => at !== null && at >= start && at < end;
  const finished = records.filter((r) => inMonth(r.finishedAt));
  const days = finished
    .map((r) => (Date.parse(r.finishedAt!) - Date.parse(r.createdAt)) / DAY_MS)
    .filter((d) => d >= 0)
    .sort((a, b) => a - b);
  return {
    created: records.filter((r) => inMonth(r.createdAt)).length,
    finished: finished.length,
    medianDaysToFinish: days.length === 0 ? null : Math.round(median(days) * 10) / 10,
    stillOpen: pull ? records.filter((r) => openAt(r, pull.startedAt)).length : null,
    deleted: records.filter((r) => inMonth(r.removedAt) && !r.versions.at(-1)!.finished).length,
  };
}

function openAt(record: OnboardingRecord, at: string): boolean {
  const version = record.versions.find((v) => v.validFrom <= at && (v.validTo === null || v.validTo > at));
  return version !== undefined && !version.finished;
}

function median(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
