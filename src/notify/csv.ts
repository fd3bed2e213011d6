/**
 * CSV for spreadsheets: RFC 4180 quoting, and every cell that a spreadsheet would read as a formula
 * (starting with = + - @ tab or CR, also their full-width forms) prefixed with a single quote, so an
 * upstream name like `=HYPERLINK(…)` stays text.
 */
import { stringify } from 'csv-stringify/sync';

export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return stringify([header as string[], ...rows.map((row) => row.map((cell) => (cell === null ? '' : String(cell))))], {
    escape_formulas: true,
    record_delimiter: 'windows',
    quoted_match: /[\s"',;]/,
  });
}
