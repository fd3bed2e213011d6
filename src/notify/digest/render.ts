/**
 * Pure: a digest's content → subject, plain text, HTML and (when a section was cut short) the full
 * list as CSV. Every upstream string is escaped in HTML and neutralised in CSV; control characters
 * never reach the text part; names, numbers and businesses are cut to VALUE_MAX_CHARS and every cell
 * to CELL_MAX_CHARS (src/render), so a huge upstream string cannot swell the email.
 */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import { toCsv } from '../../render/csv.js';
import { escapeHtml, htmlDocument, htmlTable } from '../../render/html.js';
import { plainText } from '../../render/plain-text.js';
import { displayValue } from '../../render/truncate.js';
import { checkTitle } from '../../sources/registry.js';
import type { Finding } from './checks.js';
import { type DigestRow, SECTIONS } from './sections.js';

export interface SourceHealth {
  readonly source: string;
  readonly enabled: boolean;
  readonly lastComplete: string | null;
  readonly failuresSince: number;
  /** The last run's error when it failed (stored errors never hold a credential). */
  readonly lastError: string | null;
}

export interface DigestContent {
  readonly digestId: number;
  readonly period: { readonly from: string; readonly to: string };
  readonly timezone: string;
  readonly sectionLimit: number;
  /** Oldest first. */
  readonly rows: readonly DigestRow[];
  readonly opened: readonly Finding[];
  readonly cleared: readonly Finding[];
  readonly health: readonly SourceHealth[];
}

export interface RenderedDigest {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly csv: { readonly filename: string; readonly content: string } | null;
  /** Events per section title, in display order. */
  readonly counts: readonly { readonly title: string; readonly count: number }[];
}

const COLUMNS = ['Source', 'Event', 'Name', 'Number / ID', 'Business', 'Detail'];
const CSV_COLUMNS = ['event_id', 'at', 'section', 'source', 'type', 'key', 'name', 'number_or_id', 'business', 'detail'];

export function renderDigest(content: DigestContent): RenderedDigest {
  const when = (iso: string) => format(new TZDate(iso, content.timezone), 'yyyy-MM-dd HH:mm');
  const period = `${when(content.period.from)} → ${when(content.period.to)} (${content.timezone})`;
  const sections = SECTIONS.map((spec) => ({ ...spec, rows: content.rows.filter((row) => row.section === spec.id) }));
  const capped = sections.some((s) => s.rows.length > content.sectionLimit);
  const csvName = `waba-sync-digest-${content.digestId}.csv`;
  const cells = (row: DigestRow) => [row.source, row.type, displayValue(row.name) ?? '—', displayValue(row.numberOrId), displayValue(row.business) ?? '—', row.detail || '—'];

  const findingsWord = (n: number, what: string) => (n === 0 ? null : `${n} ${what}`);
  const summary = [
    `${content.rows.length} change${content.rows.length === 1 ? '' : 's'}`,
    findingsWord(content.opened.length, content.opened.length === 1 ? 'new finding' : 'new findings'),
    findingsWord(content.cleared.length, 'cleared'),
  ]
    .filter(Boolean)
    .join(', ');
  const subject = `waba-sync digest: ${summary} (${when(content.period.to).slice(0, 10)})`;

  // ---- plain text ----
  const text: string[] = [`waba-sync digest: ${summary}`, `Period: ${period}`, ''];
  text.push('Summary:');
  for (const s of sections) text.push(`  ${s.title}: ${s.rows.length}`);
  text.push(`  Reconciliation: ${content.opened.length} new, ${content.cleared.length} cleared`, '');
  const textSection = (title: string, rows: readonly DigestRow[]) => {
    text.push(`${title} (${rows.length})`);
    for (const row of rows.slice(0, content.sectionLimit)) text.push(`  - ${cells(row).map(plainText).join(' | ')}`);
    if (rows.length > content.sectionLimit) text.push(`  … and ${rows.length - content.sectionLimit} more: the attached ${csvName} lists all ${content.rows.length} changes`);
    text.push('');
  };
  const textFindings = () => {
    if (content.opened.length + content.cleared.length === 0) return;
    text.push(`Reconciliation checks (${content.opened.length} new, ${content.cleared.length} cleared)`);
    for (const f of content.opened) text.push(`  - NEW ${checkTitle(f.check)}: ${plainText(f.detail)}`);
    for (const f of content.cleared) text.push(`  - CLEARED ${checkTitle(f.check)}: ${plainText(f.detail)}`);
    text.push('');
  };

  // ---- HTML ----
  const html: string[] = [
    `<h1 style="font-size:18px">waba-sync digest: ${escapeHtml(summary)}</h1>`,
    `<p>Period: ${escapeHtml(period)}</p>`,
    htmlTable(
      ['Section', 'Count'],
      [...sections.map((s) => [s.title, String(s.rows.length)]), ['Reconciliation', `${content.opened.length} new, ${content.cleared.length} cleared`]],
    ),
  ];
  const htmlSection = (title: string, rows: readonly DigestRow[]) => {
    html.push(`<h2 style="font-size:15px;margin-top:20px">${escapeHtml(title)} (${rows.length})</h2>`);
    html.push(htmlTable(COLUMNS, rows.slice(0, content.sectionLimit).map(cells)));
    if (rows.length > content.sectionLimit) {
      html.push(`<p>… and ${rows.length - content.sectionLimit} more: the attached ${escapeHtml(csvName)} lists all ${content.rows.length} changes.</p>`);
    }
  };
  const htmlFindings = () => {
    if (content.opened.length + content.cleared.length === 0) return;
    html.push(`<h2 style="font-size:15px;margin-top:20px">Reconciliation checks (${content.opened.length} new, ${content.cleared.length} cleared)</h2>`);
    html.push(
      htmlTable(
        ['', 'Check', 'Detail'],
        [...content.opened.map((f) => ['NEW', checkTitle(f.check), f.detail]), ...content.cleared.map((f) => ['CLEARED', checkTitle(f.check), f.detail])],
      ),
    );
  };

  for (const s of sections) {
    // Findings are more pressing than "the rest": they come just before it.
    if (s.id === 'other') {
      textFindings();
      htmlFindings();
    }
    if (s.rows.length === 0) continue;
    textSection(s.title, s.rows);
    htmlSection(s.title, s.rows);
  }

  const healthRows = content.health.map((h) => [
    h.source,
    h.enabled ? 'enabled' : 'disabled',
    h.lastComplete ? when(h.lastComplete) : 'never',
    String(h.failuresSince),
    h.lastError ?? '',
  ]);
  text.push('Source health');
  for (const h of content.health) {
    text.push(
      `  ${h.source}${h.enabled ? '' : ' (disabled)'}: last complete pull ${h.lastComplete ? when(h.lastComplete) : 'never'}, ${h.failuresSince} failed pull${h.failuresSince === 1 ? '' : 's'} since${h.lastError ? `; last error: ${plainText(h.lastError)}` : ''}`,
    );
  }
  if (content.health.length === 0) text.push('  no source has run yet');
  html.push('<h2 style="font-size:15px;margin-top:20px">Source health</h2>');
  html.push(htmlTable(['Source', 'State', `Last complete pull (${content.timezone})`, 'Failures since', 'Last error'], healthRows));

  return {
    subject,
    text: `${text.join('\n')}\n`,
    html: htmlDocument(subject, html.join('\n')),
    csv: capped
      ? {
          filename: csvName,
          content: toCsv(
            CSV_COLUMNS,
            content.rows.map((r) => [r.eventId, r.at, r.section, r.source, r.type, displayValue(r.key), displayValue(r.name), displayValue(r.numberOrId), displayValue(r.business), r.detail]),
          ),
        }
      : null,
    counts: sections.map((s) => ({ title: s.title, count: s.rows.length })),
  };
}
