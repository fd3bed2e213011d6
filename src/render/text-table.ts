/**
 * A plain-text table for the terminal and text emails: columns padded to the widest cell, the last
 * column not padded. Every cell goes through `plainText` (one line, no control characters, cut).
 */
import { plainText } from './plain-text.js';

export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows].map((row) => row.map(plainText));
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}
