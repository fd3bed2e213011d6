/**
 * The onboarding section in every rendering: its rows (label, value) for the text and HTML
 * tables, and its own CSV (report.csv keeps its pinned shape: one row per number).
 */
import { toCsv } from '../src/render/csv.js';
import type { MonthlyReport } from './model.js';

export const ONBOARDING_TITLE = 'Onboarding links (99digital)';

export const ONBOARDING_CSV_HEADER = ['month', 'links_created', 'links_finished', 'median_days_to_finish', 'still_open', 'deleted'];

/** [label, value] rows; `missing` stands for a figure that can't be had. */
export function onboardingRows(report: MonthlyReport, missing: string): string[][] {
  const o = report.onboarding;
  return [
    ['links created', String(o.created)],
    ['finished', String(o.finished)],
    ['median days to finish', o.medianDaysToFinish === null ? missing : o.medianDaysToFinish.toFixed(1)],
    ['still open', o.stillOpen === null ? `${missing} (no complete pull)` : `${o.stillOpen} (at the last complete pull)`],
    ['deleted', String(o.deleted)],
  ];
}

export function renderOnboardingCsv(report: MonthlyReport): string {
  const o = report.onboarding;
  return toCsv(ONBOARDING_CSV_HEADER, [[report.month, o.created, o.finished, o.medianDaysToFinish, o.stillOpen, o.deleted]]);
}
