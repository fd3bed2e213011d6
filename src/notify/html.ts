/** HTML for email: every value that did not come from our own templates goes through `escapeHtml`. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element content and in quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}

/** A table whose cells are all escaped; `header` and cells are plain text. */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = header.map((h) => `<th style="text-align:left;padding:4px 8px;border-bottom:1px solid #ccc">${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((cell) => `<td style="padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top">${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table style="border-collapse:collapse;font-size:13px"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A complete document around trusted body markup. */
export function htmlDocument(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family:Arial,Helvetica,sans-serif;color:#222">',
    body,
    '</body></html>',
  ].join('\n');
}
