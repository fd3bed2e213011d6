/**
 * The report CSV (INTERFACE.md "Report CSV"): one row per number with this month's counters, then
 * last month's and the change. RFC 4180 quoting; every text cell from upstream is neutralised so a
 * spreadsheet never runs it as a formula.
 */
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
  const lines = [CSV_HEADER.map(quote).join(',')];
  for (const row of report.rows) {
    const cells = [
      text(row.info.whatsapp),
      text(row.info.display_name ?? ''),
      text(row.info.business_name ?? ''),
      String(row.info.coexistence),
      ...counters(row.current),
      ...counters(row.previous),
      ...counters(row.change),
    ];
    lines.push(cells.join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function counters(c: Counters | null): string[] {
  return COUNTER_NAMES.map((name) => (c ? String(c[name]) : ''));
}

/**
 * A text cell: one that starts (after any blanks) with =, +, -, @, or with a tab or carriage return
 * — what spreadsheets take as the start of a formula — gets a ' in front, then the cell is quoted.
 */
export function text(value: string): string {
  const safe = /^\s*[=+\-@]|^[\t\r]/.test(value) ? `'${value}` : value;
  return quote(safe);
}

function quote(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() || value.startsWith("'") ? `"${value.replace(/"/g, '""')}"` : value;
}
