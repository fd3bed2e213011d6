/**
 * The HTML report (email body, or report.html on disk). Every string is escaped (the shared
 * `escapeHtml`, `htmlTable` takes plain text); images are referenced through `imageSrc` ("cid:…"
 * in an email, a file name on disk) because mail clients don't render SVG or scripts.
 */
import { escapeHtml, htmlDocument, htmlTable } from '../src/render/html.js';
import { displayValue } from '../src/render/truncate.js';
import { change, localTime, num, signed } from './format.js';
import type { MonthlyReport, ReportRow } from './model.js';
import { LISTED_ROWS, nameOf, trendRows } from './render-text.js';
import { ONBOARDING_TITLE, onboardingRows } from './render-onboarding.js';
import { COUNTER_NAMES } from './types.js';

export interface HtmlImage {
  readonly name: 'month' | 'trend';
  readonly alt: string;
}

export interface HtmlOptions {
  /** Which charts exist and where they are found. */
  readonly images: readonly HtmlImage[];
  readonly imageSrc: (name: HtmlImage['name']) => string;
}

export function renderHtml(report: MonthlyReport, options: HtmlOptions): string {
  const e = escapeHtml;
  const tz = report.timezone;
  const parts: string[] = [];
  parts.push(`<h1 style="font-size:20px">Monthly conversation report — ${e(report.title)}</h1>`);
  parts.push(`<p>${e(localTime(report.period.start, tz))} to ${e(localTime(report.period.end, tz))} (${e(tz)}), 99digital's counters.</p>`);

  if (!report.pull || !report.totals) {
    parts.push(`<p><strong>No complete 99digital pull started in ${e(report.title)}: there are no figures for this month.</strong></p>`);
  } else {
    parts.push(`<p>Figures from the last complete 99digital pull of the month, started ${e(localTime(report.pull.startedAt, tz))} (${e(tz)}).</p>`);
    if (report.monthToDate) parts.push('<p><strong>Month to date:</strong> the month is not over yet.</p>');
    if (report.stale) parts.push(`<p style="background:#fff3cd;padding:8px"><strong>Warning:</strong> ${e(report.stale.text)}</p>`);
    const totals = report.totals;
    const previous = report.previousTotals;
    parts.push(
      htmlTable(
        ['Total', report.title, report.previousTitle, 'Change'],
        COUNTER_NAMES.map((name) => [name, num(totals[name]), previous ? num(previous[name]) : 'no figures', previous ? change(totals[name], previous[name]) : '–']),
        { numeric: [false, true, true, true] },
      ),
    );
  }
  parts.push(`<p><strong>Cross-check:</strong> ${e(report.crossCheck.text)}</p>`);

  if (report.findings.length === 0) {
    if (report.pull) parts.push('<p><strong>Checks:</strong> every number adds up (conversations = marketing + service + incoming), the totals equal the sums, no counter went down.</p>');
  } else {
    parts.push(`<h2 style="font-size:16px;color:#a00">Checks: ${report.findings.length} finding(s)</h2>`);
    parts.push(htmlTable(['Check', 'Number', 'Detail'], report.findings.map((f) => [f.check, displayValue(f.key), f.detail])));
  }

  for (const image of options.images) {
    parts.push(`<p><img src="${e(options.imageSrc(image.name))}" alt="${e(image.alt)}" style="max-width:100%"></p>`);
  }

  if (report.top.length > 0) {
    parts.push('<h2 style="font-size:16px">Top numbers</h2>');
    parts.push(
      htmlTable(['#', 'Number', 'Name', 'Conversations'], report.top.map((row, i) => [String(i + 1), displayValue(row.info.whatsapp), displayValue(nameOf(row.info)), num(row.current!.conversations)]), {
        numeric: [true, false, false, true],
      }),
    );
  }

  if (report.membership) {
    const m = report.membership;
    const since = m.historyStartsInMonth ? `since the first pull on ${localTime(m.since, tz)} (history starts in this month)` : `since ${localTime(m.since, tz)}`;
    parts.push(`<h2 style="font-size:16px">Numbers added and removed</h2>`);
    parts.push(`<p>Added ${e(since)}: ${m.added.length === 0 ? 'none' : m.added.map((info) => `${e(displayValue(info.whatsapp))} ${e(displayValue(nameOf(info)))}`).join(', ')}.</p>`);
    const removed = m.removed.map(({ info, lastReading }) => {
      const last = lastReading ? ` (last read ${localTime(lastReading.at, tz)}: ${num(lastReading.counters.conversations)} conversations, not in the totals)` : '';
      return `${e(displayValue(info.whatsapp))} ${e(displayValue(nameOf(info)))}${e(last)}`;
    });
    parts.push(`<p>Removed: ${removed.length === 0 ? 'none' : removed.join(', ')}.</p>`);
  }

  parts.push(`<h2 style="font-size:16px">${e(ONBOARDING_TITLE)}</h2>`);
  parts.push(htmlTable(['Links', report.title], onboardingRows(report, '–'), { numeric: [false, true] }));

  if (report.rows.length > 0) {
    const more = report.rows.length > LISTED_ROWS ? ` — the first ${LISTED_ROWS} here, all ${report.rows.length} in the CSV` : '';
    parts.push(`<h2 style="font-size:16px">Per number (${report.rows.length}${e(more)})</h2>`);
    parts.push(
      htmlTable(
        ['Number', 'Display name', 'Business', 'Coexistence', 'Conversations', 'Marketing', 'Service', 'Incoming', `Change vs ${report.previousTitle}`],
        report.rows.slice(0, LISTED_ROWS).map((row) => rowCells(row)),
        { numeric: [false, false, false, false, true, true, true, true, true] },
      ),
    );
  }

  const trend = report.trend.filter((t) => t.totals || t.upstream);
  if (trend.length > 0) {
    parts.push('<h2 style="font-size:16px">12-month trend</h2>');
    parts.push(
      htmlTable(
        ['Month', 'Conversations', 'Marketing', 'Service', 'Incoming', "99digital's statistics"],
        trendRows(trend, '–'),
        { numeric: [false, true, true, true, true, true] },
      ),
    );
  }
  parts.push('<p style="color:#666;font-size:12px">Counters as 99digital reports them (conversations = marketing + service + incoming); no cost is implied. The attached CSV has one row per number.</p>');

  return htmlDocument(`Monthly conversation report — ${report.title}`, parts.join('\n'));
}

/** Plain text: `htmlTable` escapes. */
function rowCells(row: ReportRow): string[] {
  const c = row.current;
  const delta = row.status === 'gone' ? 'gone' : row.status === 'new' ? 'new' : row.change ? signed(row.change.conversations) : '–';
  return [
    displayValue(row.info.whatsapp),
    displayValue(row.info.display_name ?? ''),
    displayValue(row.info.business_name ?? ''),
    row.info.coexistence ? 'yes' : 'no',
    c ? num(c.conversations) : '–',
    c ? num(c.marketing) : '–',
    c ? num(c.service) : '–',
    c ? num(c.incoming) : '–',
    delta,
  ];
}
