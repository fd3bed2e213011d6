/**
 * CSV for spreadsheets, the one writer of the digest attachment and the report: RFC 4180 with CRLF
 * line ends, a cell quoted when it holds `"` `,` CR or LF, starts or ends with a blank, or starts
 * with `'` (as a neutralised one does). Text cells are cut to CELL_MAX_CHARS; numbers are written as they are.
 */
import { truncate } from './truncate.js';

export type CsvCell = string | number | null;

/**
 * What a spreadsheet takes as the start of a formula: = + - @ (also their full-width forms ＝ ＋ －
 * ＠, which some spreadsheets fold to ASCII), after any leading blanks; or a tab or CR first.
 */
const FORMULA_START = /^\s*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r]/;

/** A text cell a spreadsheet would run as a formula gets a `'` in front, so it stays text. */
export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** One cell as written: a number as is, null as empty, text cut, neutralised and quoted if need be. */
export function csvCell(cell: CsvCell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  const safe = neutraliseFormula(truncate(cell));
  const quote = /[",\r\n]/.test(safe) || safe !== safe.trim() || safe.startsWith("'");
  return quote ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A header row, then one line per row; every line ends with CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((row) => `${row.map(csvCell).join(',')}\r\n`).join('');
}
