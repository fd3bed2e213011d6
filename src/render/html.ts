/**
 * HTML for email and files: every value that did not come from our own templates goes through
 * `escapeHtml` (or is a cell of `htmlTable`, which escapes it). A value is first made `plainText`
 * — control characters (invalid in HTML) become blanks, and it is cut to CELL_MAX_CHARS before
 * escaping, so an entity is never cut in half.
 */
import { plainText } from './plain-text.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element content and in quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return plainText(String(value ?? '')).replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}

const CELL_STYLE = 'padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top';

export interface HtmlTableOptions {
  /** Per column: numbers are right-aligned. */
  readonly numeric?: readonly boolean[];
}

/** A table whose header and cells are plain text, all escaped here. */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], options: HtmlTableOptions = {}): string {
  const align = (i: number) => `text-align:${options.numeric?.[i] ? 'right' : 'left'}`;
  const th = header.map((h, i) => `<th style="${align(i)};padding:4px 8px;border-bottom:1px solid #ccc">${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell, i) => `<td style="${align(i)};${CELL_STYLE}">${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table style="border-collapse:collapse;font-size:13px;margin:8px 0"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A complete document around trusted body markup; `title` is plain text. */
export function htmlDocument(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family:Arial,Helvetica,sans-serif;color:#222">',
    body,
    '</body></html>',
    '',
  ].join('\n');
}
