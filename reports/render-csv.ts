/**
 * The report CSV (INTERFACE.md "Report CSV"): one row per number with this month's counters, then
 * last month's and the change. Written by the shared CSV writer (src/render/csv.ts): RFC 4180
 * quoting, every text cell from upstream neutralised so a spreadsheet never runs it as a formula.
 */
import { type CsvCell, toCsv } from '../src/render/csv.js';
import type { MonthlyReport } from './model.js';
import { COUNTER_NAMES, type Counters } from './types.js';

export const CSV_HEADER = [
  'whatsapp',
  'display_name',
  'business_name',
  'coexistence',
  ...COUNTER_NAMES,
  ...COUNTER_NAMES.map((name) => `previous_${name}`),
  ...COUNTER_NAMES.map((name) => `change_${name}`),
];

export function renderCsv(report: MonthlyReport): string {
  return toCsv(
    CSV_HEADER,
    report.rows.map((row) => [
      row.info.whatsapp,
      row.info.display_name ?? '',
      row.info.business_name ?? '',
      row.info.coexistence,
      ...counters(row.current),
      ...counters(row.previous),
      ...counters(row.change),
    ]),
  );
}

function counters(c: Counters | null): CsvCell[] {
  return COUNTER_NAMES.map((name) => (c ? c[name] : null));
}
