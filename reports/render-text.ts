/**
 * The plain-text report: the CLI's summary and the email's text part. Tables are the shared
 * `textTable`; upstream strings go through `plainText` and names through `displayValue`.
 */
import { plainText } from '../src/render/plain-text.js';
import { textTable } from '../src/render/text-table.js';
import { displayValue } from '../src/render/truncate.js';
import { change, localTime, num, signed } from './format.js';
import type { MonthlyReport, ReportRow } from './model.js';
import { ONBOARDING_TITLE, onboardingRows } from './render-onboarding.js';
import { COUNTER_NAMES, type NumberInfo } from './types.js';

/** Rows listed in the text and HTML; the CSV always has every number. */
export const LISTED_ROWS = 100;

export function renderText(report: MonthlyReport): string {
  const out: string[] = [];
  const tz = report.timezone;
  out.push(`Monthly conversation report — ${report.title}`);
  out.push(`${localTime(report.period.start, tz)} to ${localTime(report.period.end, tz)} (${tz}), 99digital's counters`);
  out.push('');
  if (!report.pull || !report.totals) {
    out.push(`No complete 99digital pull started in ${report.title}: there are no figures for this month.`);
  } else {
    out.push(`Figures from the last complete 99digital pull of the month, started ${localTime(report.pull.startedAt, tz)} (${tz}).`);
    if (report.monthToDate) out.push('Month to date: the month is not over yet.');
    if (report.stale) out.push(`WARNING: ${report.stale.text}`);
    out.push('');
    out.push(totalsTable(report));
  }
  out.push('');
  out.push(`Cross-check: ${report.crossCheck.text}`);

  out.push('');
  if (report.findings.length === 0) {
    out.push(report.pull ? 'Checks: every number adds up (conversations = marketing + service + incoming), the totals equal the sums, no counter went down.' : 'Checks: none (no figures).');
  } else {
    out.push(`Checks: ${report.findings.length} finding(s)`);
    out.push(textTable(['CHECK', 'NUMBER', 'DETAIL'], report.findings.map((f) => [f.check, displayValue(f.key), f.detail])));
  }

  if (report.top.length > 0) {
    out.push('');
    out.push('Top numbers');
    out.push(textTable(['#', 'NUMBER', 'NAME', 'CONVERSATIONS'], report.top.map((row, i) => [String(i + 1), displayValue(row.info.whatsapp), displayValue(nameOf(row.info)), num(row.current!.conversations)])));
  }

  if (report.membership) {
    const m = report.membership;
    const since = m.historyStartsInMonth ? `since the first pull on ${localTime(m.since, tz)} (history starts in this month)` : `since ${localTime(m.since, tz)}`;
    out.push('');
    out.push(`Numbers added ${since}: ${m.added.length === 0 ? 'none' : ''}`.trimEnd());
    for (const info of m.added) out.push(`  + ${plainText(displayValue(info.whatsapp))} ${plainText(displayValue(nameOf(info)))}`);
    out.push(`Numbers removed: ${m.removed.length === 0 ? 'none' : ''}`.trimEnd());
    for (const { info, lastReading } of m.removed) {
      const last = lastReading ? ` (last read ${localTime(lastReading.at, tz)}: ${num(lastReading.counters.conversations)} conversations, not in the totals)` : '';
      out.push(`  - ${plainText(displayValue(info.whatsapp))} ${plainText(displayValue(nameOf(info)))}${last}`);
    }
  }

  out.push('');
  out.push(ONBOARDING_TITLE);
  out.push(textTable(['LINKS', report.title.toUpperCase()], onboardingRows(report, '-')));

  if (report.rows.length > 0) {
    out.push('');
    out.push(`Per number (${report.rows.length}${report.rows.length > LISTED_ROWS ? `, the first ${LISTED_ROWS} here, all in the CSV` : ''})`);
    out.push(rowsTable(report.rows.slice(0, LISTED_ROWS)));
  }

  const trend = report.trend.filter((t) => t.totals || t.upstream);
  if (trend.length > 0) {
    out.push('');
    out.push('12-month trend (conversations)');
    out.push(
      textTable(
        ['MONTH', 'CONVERSATIONS', 'MARKETING', 'SERVICE', 'INCOMING', "99DIGITAL'S STATISTICS"],
        trendRows(trend, '-'),
      ),
    );
  }
  out.push('');
  out.push('Counters as 99digital reports them (conversations = marketing + service + incoming); no cost is implied.');
  return `${out.join('\n')}\n`;
}

function totalsTable(report: MonthlyReport): string {
  const totals = report.totals!;
  const previous = report.previousTotals;
  return textTable(
    ['TOTAL', report.title.toUpperCase(), report.previousTitle.toUpperCase(), 'CHANGE'],
    COUNTER_NAMES.map((name) => [name, num(totals[name]), previous ? num(previous[name]) : 'no figures', previous ? change(totals[name], previous[name]) : '-']),
  );
}

function rowsTable(rows: readonly ReportRow[]): string {
  return textTable(
    ['NUMBER', 'DISPLAY NAME', 'BUSINESS', 'COEX', 'CONV', 'MKT', 'SRV', 'INC', 'CHANGE'],
    rows.map((row) => [
      displayValue(row.info.whatsapp),
      displayValue(row.info.display_name ?? ''),
      displayValue(row.info.business_name ?? ''),
      row.info.coexistence ? 'yes' : 'no',
      row.current ? num(row.current.conversations) : '-',
      row.current ? num(row.current.marketing) : '-',
      row.current ? num(row.current.service) : '-',
      row.current ? num(row.current.incoming) : '-',
      row.status === 'gone' ? 'gone' : row.status === 'new' ? 'new' : row.change ? signed(row.change.conversations) : '-',
    ]),
  );
}

/** The trend table's rows, for the text and the HTML: month, the four totals, 99digital's own figure. */
export function trendRows(trend: MonthlyReport['trend'], missing: string): string[][] {
  return trend.map((t) => [
    t.label,
    t.totals ? num(t.totals.conversations) : missing,
    t.totals ? num(t.totals.marketing) : missing,
    t.totals ? num(t.totals.service) : missing,
    t.totals ? num(t.totals.incoming) : missing,
    t.upstream ? num(t.upstream.conversations) : missing,
  ]);
}

export function nameOf(info: NumberInfo): string {
  return info.display_name || info.business_name || info.whatsapp;
}
